import { performance } from 'node:perf_hooks';
import {
  Answer,
  call,
  cluster,
  Database,
  formatHistogram,
  freshDatabase,
  histogram,
  ms,
  must,
  newTenant,
  percentile,
  Server,
  startServer,
  stopAllServers,
} from './harness';
import { runScenario, ScenarioReport } from './report';

/** The server's body limit (src/bootstrap.ts BODY_LIMIT_BYTES). */
const BODY_LIMIT = 1024 * 1024;
const KEYS = 100_000;
const COMPLEX_BODIES = 20;
const REGISTRATIONS = 60;
/** The registration limit the server runs with: the default, REGISTER_RATE_LIMIT=10 an hour per address. */
const REGISTER_LIMIT = 10;

/** A JSON object of `n` distinct unknown keys (base-36 names: about 0.9 MB at 100,000 keys). */
const manyKeys = (n: number): string => {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(`"${i.toString(36)}":1`);
  return `{${parts.join(',')}}`;
};

/**
 * Poll /health back to back while `work` runs; the latencies of the answers (an answer that is not
 * a 200 counts as a failure).
 */
async function healthDuring<T>(
  url: string,
  work: Promise<T>,
): Promise<{ result: T; latencies: number[]; failures: string[] }> {
  let done = false;
  const latencies: number[] = [];
  const failures: string[] = [];
  const poll = (async () => {
    while (!done) {
      const a = await call(url, 'GET', '/health', { timeoutMs: 30_000 });
      if (a.status === 200) latencies.push(a.ms);
      else failures.push(a.status === 0 ? `error ${a.error}` : String(a.status));
    }
  })();
  try {
    return { result: await work, latencies, failures };
  } finally {
    done = true;
    await poll;
  }
}

/**
 * One production paymux process from dist/. The largest body under the limit and one over it;
 * twenty 100,000-key JSON bodies at once (the body that held the event loop for a minute each)
 * while /health is polled; sixty registrations at once. No 5xx, no stall, /health answers throughout.
 */
describe('reliability 7: HTTP-layer abuse', () => {
  const report = new ScenarioReport(
    7,
    'A request cannot stall the server: bodies up to the limit are handled, larger ones get 413, bodies with too many keys get a quick 413 before anything transforms them, concurrent registrations answer without a 5xx, and /health answers throughout.',
  );
  let db: Database | undefined;
  let s: Server | undefined;

  afterAll(async () => {
    report.save();
    await stopAllServers();
    await db?.drop();
  });

  it('refuses oversized and too-complex bodies quickly and keeps answering /health', () =>
    runScenario(
      report,
      () => [s],
      async () => {
        db = await freshDatabase('s7');
        // Registrations at the production default limit (10 an hour per address; the harness lifts it).
        s = await startServer(cluster(db), 'A', { REGISTER_RATE_LIMIT: String(REGISTER_LIMIT) });
        const server = s;
        report.ran(
          `one paymux process (pid ${server.pid}, NODE_ENV=production) from dist/ on a fresh database`,
        );
        const t = await newTenant(server.url, 'Abuse');
        const order = (await must(201, server.url, 'POST', '/api/v1/orders', {
          token: t.token,
          json: { application_id: t.applicationId, package_id: t.packageId, pay_way: 'Sandbox' },
        })) as { pay_id: string };

        // 1. The largest body under the limit, and one byte over it.
        const head = '{"email":"big@example.test","password":"';
        const largest = `${head}${'a'.repeat(BODY_LIMIT - head.length - 2)}"}`;
        const over = `${head}${'a'.repeat(BODY_LIMIT - head.length - 1)}"}`;
        const json = { 'content-type': 'application/json' };
        const big = await call(server.url, 'POST', '/api/v1/auth/login', { raw: largest, headers: json });
        const tooBig = await call(server.url, 'POST', '/api/v1/auth/login', { raw: over, headers: json });
        report.ran(
          `POST /api/v1/auth/login with a ${Buffer.byteLength(largest).toLocaleString('en-US')}-byte JSON body (the limit exactly) and with a ${Buffer.byteLength(over).toLocaleString('en-US')}-byte one`,
        );
        report.figure('largest body accepted (bytes)', Buffer.byteLength(largest));
        report.figure('answer to the largest body', `${big.status} ${big.body?.code ?? ''} in ${ms(big.ms)}`);
        report.figure(
          'answer to one byte more',
          `${tooBig.status} ${tooBig.body?.code ?? ''} in ${ms(tooBig.ms)}`,
        );
        report.check(
          'a body at the limit is read and answered with a 4xx (not 413, not 5xx)',
          big.status >= 400 && big.status < 500 && big.status !== 413,
          `${big.status} ${big.text.slice(0, 200)}`,
        );
        report.check('a body one byte over the limit is a 413', tooBig.status === 413, `${tooBig.status}`);

        // 2. Twenty 100,000-key bodies at once, on the routes the issue names, /health polled meanwhile.
        const body = manyKeys(KEYS);
        const paths = [
          '/api/v1/auth/register',
          '/api/v1/auth/login',
          `/api/v1/sandbox/payments/${order.pay_id}/complete`,
          `/api/v1/webhooks/stripe/${t.tenantId}`,
        ];
        const started = performance.now();
        const burst = await healthDuring(
          server.url,
          Promise.all(
            Array.from({ length: COMPLEX_BODIES }, (_, i) =>
              call(server.url, 'POST', paths[i % paths.length], {
                raw: body,
                headers: json,
                timeoutMs: 120_000,
              }),
            ),
          ),
        );
        const wall = performance.now() - started;
        const answers: Answer[] = burst.result;
        report.ran(
          `${COMPLEX_BODIES} JSON bodies of ${KEYS.toLocaleString('en-US')} unknown keys (${Buffer.byteLength(body).toLocaleString('en-US')} bytes each) sent at once to ${paths.map((p) => p.replace(/[0-9a-f-]{36}|sbx_\w+/g, ':id')).join(', ')}, while GET /health was polled back to back`,
        );
        const statuses = histogram(answers.map((a) => (a.status === 0 ? `error ${a.error}` : a.status)));
        const latencies = answers.map((a) => a.ms);
        report.figure('keys per body', KEYS);
        report.figure('bodies sent at once', COMPLEX_BODIES);
        report.figure('their answers', formatHistogram(statuses));
        report.figure(
          'their codes',
          formatHistogram(histogram(answers.map((a) => String(a.body?.code ?? 'none')))),
        );
        report.figure(
          'their latency p50 / max',
          `${ms(percentile(latencies, 50))} / ${ms(Math.max(...latencies))} (all ${COMPLEX_BODIES} in ${ms(wall)})`,
        );
        report.figure(
          '/health during the burst: answers, p50 / max',
          burst.latencies.length
            ? `${burst.latencies.length}, ${ms(percentile(burst.latencies, 50))} / ${ms(Math.max(...burst.latencies))}`
            : 'none',
        );
        report.check(
          'every 100,000-key body is a 413 body_too_complex',
          answers.every((a) => a.status === 413 && a.body?.code === 'body_too_complex'),
          formatHistogram(statuses),
        );
        report.check(
          'the 413s come quickly (each in under 10 s; the old code held the event loop about a minute per body)',
          Math.max(...latencies) < 10_000,
          ms(Math.max(...latencies)),
        );
        report.check(
          '/health answered 200 during the burst, each in under 5 s',
          burst.failures.length === 0 && burst.latencies.length > 0 && Math.max(...burst.latencies) < 5000,
          `${burst.latencies.length} answers, max ${ms(Math.max(0, ...burst.latencies))}; failures: ${burst.failures.join(', ') || 'none'}`,
        );

        // 3. Sixty registrations at once (from one address: a registration rate limit may answer 429).
        const run = Date.now();
        const regs = await healthDuring(
          server.url,
          Promise.all(
            Array.from({ length: REGISTRATIONS }, (_, i) =>
              call(server.url, 'POST', '/api/v1/auth/register', {
                json: { email: `r${run}-${i}@example.test`, password: 'correct horse battery', name: 'R' },
                timeoutMs: 120_000,
              }),
            ),
          ),
        );
        report.ran(
          `${REGISTRATIONS} POST /api/v1/auth/register at once from one address, GET /health polled meanwhile`,
        );
        const regStatuses = histogram(
          regs.result.map((a) => (a.status === 0 ? `error ${a.error}` : a.status)),
        );
        const regLatencies = regs.result.map((a) => a.ms);
        report.figure('concurrent registrations', REGISTRATIONS);
        report.figure(
          'registrations: created / rate-limited / other',
          `${regStatuses['201'] ?? 0} / ${regStatuses['429'] ?? 0} / ${REGISTRATIONS - (regStatuses['201'] ?? 0) - (regStatuses['429'] ?? 0)}`,
        );
        report.figure('registration answers', formatHistogram(regStatuses));
        report.figure(
          'registration latency p50 / max',
          `${ms(percentile(regLatencies, 50))} / ${ms(Math.max(...regLatencies))}`,
        );
        report.figure(
          '/health during the registrations: answers, p50 / max',
          regs.latencies.length
            ? `${regs.latencies.length}, ${ms(percentile(regs.latencies, 50))} / ${ms(Math.max(...regs.latencies))}`
            : 'none',
        );
        // newTenant registered once from this address before the burst.
        const created = regStatuses['201'] ?? 0;
        report.check(
          `the registration limit held: at most ${REGISTER_LIMIT - 1} created, every other one 429`,
          created <= REGISTER_LIMIT - 1 && (regStatuses['429'] ?? 0) === REGISTRATIONS - created,
          formatHistogram(regStatuses),
        );
        report.check(
          'no registration answered a 5xx or failed to answer',
          regs.result.every((a) => a.status > 0 && a.status < 500),
          formatHistogram(regStatuses),
        );
        report.check(
          '/health answered 200 during the registrations, each in under 5 s',
          regs.failures.length === 0 && regs.latencies.length > 0 && Math.max(...regs.latencies) < 5000,
          `${regs.latencies.length} answers, max ${ms(Math.max(0, ...regs.latencies))}; failures: ${regs.failures.join(', ') || 'none'}`,
        );
        report.check('the process is still up', server.running(), String(server.running()));
      },
    ));
});
