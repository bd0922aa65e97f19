import { createServer, IncomingMessage, Server as HttpServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { merchantSignature } from '../../src/auth/merchant-signature';
import {
  cluster,
  Database,
  freshDatabase,
  Json,
  merchant,
  ms,
  must,
  newApiKey,
  newTenant,
  orderNo,
  seconds,
  Server,
  sleep,
  startServer,
  stopAllServers,
  until,
} from './harness';
import { runScenario, ScenarioReport } from './report';

/**
 * The retry schedule of docs/api-contract.md (seconds after the previous attempt), as the contract
 * states it: the test holds paymux to the document, not to its own constant.
 */
const DESIGN_SCHEDULE_SECONDS = [
  15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600,
];

/**
 * Time compression (NOTIFY_RETRY_SCALE). 0.2 makes the four waits 3 s, 3 s, 6 s and 36 s (48 s in
 * all): long enough that one step of the schedule (3 s → 6 s → 36 s) is far wider than the
 * tolerance below, short enough for the scenario's time budget.
 */
const SCALE = 0.2;

/**
 * How late an attempt may come after its scheduled time: the worker polls pg-boss every 0.5 s
 * (JobQueue: pollingIntervalSeconds 0.5), so a job that becomes due waits up to 0.5 s to be
 * fetched; then the delivery's own reads and the HTTP connection, plus headroom for a 2-core
 * machine that other scenarios may be loading at the same time: 1.0 s. Early is never allowed:
 * the next job's start_after is set by PostgreSQL's now() in the transaction that records the
 * previous attempt, which begins after the receiver's answer came back, so the gap can never be
 * shorter than the previous attempt's latency plus the scheduled wait (5 ms for rounding of the
 * millisecond timestamps).
 */
const POLL_SECONDS = 0.5;
const LATE_SLACK_SECONDS = 1.0;
const EARLY_SLACK_MS = 5;

/** After the success, this long with nothing arriving (pg-boss would retry a failed handler after 5 s). */
const QUIET_MS = 8000;

/** What the receiver answers, attempt by attempt; the first four fail in four different ways. */
interface Step {
  status: number;
  body: string;
  /** Wait this long before answering (to check the recorded latency). */
  delayMs: number;
  why: string;
}
const LONG_BODY = `<html><body>${'not found '.repeat(120)}</body></html>`;
const SCRIPT: Step[] = [
  { status: 500, body: 'internal error', delayMs: 0, why: 'a 5xx' },
  {
    status: 200,
    body: 'received',
    delayMs: 400,
    why: 'a 2xx whose body is not `success`, answered after 400 ms',
  },
  { status: 404, body: LONG_BODY, delayMs: 0, why: `a 4xx with a ${LONG_BODY.length}-character body` },
  { status: 204, body: '', delayMs: 0, why: 'a 2xx with an empty body' },
  { status: 200, body: 'SUCCESS', delayMs: 0, why: 'any case is accepted' },
];
/** Anything after the fifth attempt is answered `success` too, so a duplicate would be visible. */
const AFTER: Step = { status: 200, body: 'success', delayMs: 0, why: 'after the success' };

interface Hit {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** When the request (headers and body) had fully arrived. */
  at: number;
  step: Step;
}

/** A merchant receiver that follows SCRIPT (in order of arrival) and records everything. */
async function scriptedReceiver(): Promise<{ url: string; hits: Hit[]; close(): Promise<void> }> {
  const hits: Hit[] = [];
  const server: HttpServer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const step = SCRIPT[hits.length] ?? AFTER;
      hits.push({
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
        step,
      });
      setTimeout(
        () => res.writeHead(step.status, { 'content-type': 'text/plain' }).end(step.body),
        step.delayMs,
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

interface AttemptRow {
  attempt: number;
  attempted_at: Date;
  status_code: number | null;
  latency_ms: number;
  body_excerpt: string | null;
  error: string | null;
  success: boolean;
}

/**
 * One merchant order, closed, so one notification (order.cancelled) goes to a receiver that fails
 * four times and then answers SUCCESS. With the schedule compressed 5x, the attempts must come at
 * 3 s, 3 s, 6 s and 36 s after each other, each recorded (time, status, latency, body excerpt),
 * each signed with the merchant's key, and nothing may come after the success.
 */
describe('reliability 3: a failing notification receiver', () => {
  const report = new ScenarioReport(
    3,
    'A receiver that fails four times and then answers `success` gets exactly one successful delivery, at the attempts the documented schedule sets (time compressed 5x), every attempt recorded and signed, and nothing after the success.',
  );
  let db: Database | undefined;
  let a: Server | undefined;
  let rx: Awaited<ReturnType<typeof scriptedReceiver>> | undefined;

  afterAll(async () => {
    report.save();
    await stopAllServers();
    await rx?.close();
    await db?.drop();
  });

  it('retries a receiver that fails four times on the scaled schedule and delivers exactly once', () =>
    runScenario(
      report,
      () => [a],
      async () => {
        db = await freshDatabase('s3');
        const c = cluster(db, { NOTIFY_ALLOW_PRIVATE: 'true', NOTIFY_RETRY_SCALE: String(SCALE) });
        a = await startServer(c, 'A', { NOTIFY_WORKER: 'true' });
        report.ran(
          `one paymux process (pid ${a.pid}) with NOTIFY_WORKER=true, NOTIFY_RETRY_SCALE=${SCALE} (the schedule runs 5x faster) and NOTIFY_ALLOW_PRIVATE=true (the receiver is on 127.0.0.1)`,
        );
        const t = await newTenant(a.url, 'Rx');
        const key = await newApiKey(a.url, t);
        rx = await scriptedReceiver();
        const notifyPath = '/hooks/paymux?shop=rx-test';
        const no = orderNo();
        const created = await merchant(a.url, key, 'POST', '/v1/payment', {
          order_no: no,
          currency: 'USDT',
          amount: '12.5',
          chain_type: 'TRON',
          notify_url: `${rx.url}${notifyPath}`,
          product_name: 'Failing receiver',
          meta: 'rel-3',
        });
        if (created.status !== 200) throw new Error(`POST /v1/payment: ${created.status} ${created.text}`);
        const orderId = created.body.data.id as string;
        const closed = await merchant(a.url, key, 'POST', `/v1/payment/${no}/close`);
        if (closed.status !== 200) throw new Error(`close: ${closed.status} ${closed.text}`);
        const closedAt = Date.now();
        report.ran(
          `a merchant order (POST /v1/payment, USDT 12.5 on TRON, notify_url on a local receiver) closed with POST /v1/payment/:order_no/close: one state change (Cancelled), so one notification`,
        );
        report.ran(
          `the receiver answers, in order: ${SCRIPT.map((s, i) => `${i + 1}. ${s.status} ${JSON.stringify(s.body.length > 20 ? `${s.body.slice(0, 17)}...` : s.body)} (${s.why})`).join('; ')}; anything later would get 200 \`success\` (so a duplicate would show)`,
        );

        // While the fifth attempt is due (36 s after the fourth), the API shows the plan.
        await until('the fourth attempt', () => Promise.resolve(rx!.hits.length >= 4), 60_000, 50);
        const mid = await until(
          'the fourth attempt to be recorded',
          async () => {
            const b = await must(200, a!.url, 'GET', `/api/v1/notifications?order_id=${orderId}`, {
              token: t.token,
            });
            const n = b.data[0];
            return n && n.attempts === 4 ? n : undefined;
          },
          10_000,
          100,
        );
        await until('the fifth attempt', () => Promise.resolve(rx!.hits.length >= 5), 90_000, 50);
        const successAt = rx.hits[4].at;
        // Quiet window: nothing more may arrive.
        await sleep(QUIET_MS);
        const hits = [...rx.hits];

        const listed = await must(200, a.url, 'GET', `/api/v1/notifications?order_id=${orderId}`, {
          token: t.token,
        });
        const rows = await db.q<{
          id: string;
          event: string;
          status: string;
          attempts: number;
          body: string;
          next_attempt_at: Date | null;
          delivered_at: Date | null;
        }>(
          `SELECT id, event, status, attempts, body, next_attempt_at, delivered_at FROM notifications WHERE order_id = $1 ORDER BY seq`,
          [orderId],
        );
        const n = rows[0];
        const attempts = n
          ? await db.q<AttemptRow>(
              `SELECT attempt, attempted_at, status_code, latency_ms, body_excerpt, error, success
                 FROM notification_attempts WHERE notification_id = $1 ORDER BY attempted_at`,
              [n.id],
            )
          : [];
        const jobs = n
          ? await db.q<{ state: string; n: number }>(
              `SELECT state, count(*)::int AS n FROM pgboss.job
                WHERE name = 'merchant-notification' AND data->>'notificationId' = $1 GROUP BY state`,
              [n.id],
            )
          : [];

        // ---------------------------------------------------------------- figures
        report.figure('notifications written for the order', rows.length);
        report.figure('requests the receiver got', hits.length);
        report.figure(
          'successful deliveries (2xx `success`)',
          hits.filter((h) => h.step === SCRIPT[4] || h.step === AFTER).length,
        );
        report.figure('first attempt after the close', ms(hits[0].at - closedAt));
        report.figure('first attempt to success', seconds(successAt - hits[0].at));
        report.figure(
          'scheduled waits (documented schedule × scale)',
          DESIGN_SCHEDULE_SECONDS.slice(0, 4)
            .map((s) => `${s} s × ${SCALE} = ${seconds(s * SCALE * 1000)}`)
            .join(', '),
        );
        report.figure(
          'tolerance on each gap',
          `scheduled wait + the previous attempt's latency, then at most ${POLL_SECONDS + LATE_SLACK_SECONDS} s late (${POLL_SECONDS} s pg-boss polling + ${LATE_SLACK_SECONDS} s processing headroom), never early`,
        );
        report.figure('quiet window after the success', seconds(QUIET_MS));

        const rowsTable: (string | number)[][] = attempts.map((at, i) => {
          const prev = attempts[i - 1];
          const scheduled = i === 0 ? NaN : DESIGN_SCHEDULE_SECONDS[i - 1] * SCALE * 1000;
          const gap = prev ? at.attempted_at.getTime() - prev.attempted_at.getTime() : NaN;
          const rxGap = i > 0 && hits[i] && hits[i - 1] ? hits[i].at - hits[i - 1].at : NaN;
          return [
            at.attempt,
            at.attempted_at.toISOString(),
            i === 0 ? '(first)' : seconds(scheduled),
            i === 0 ? '' : `${seconds(gap)} (late by ${ms(gap - scheduled - prev.latency_ms)})`,
            i === 0 ? '' : seconds(rxGap),
            String(at.status_code ?? at.error),
            at.latency_ms,
            JSON.stringify((at.body_excerpt ?? '').slice(0, 24)) +
              ((at.body_excerpt ?? '').length > 24 ? `… (${(at.body_excerpt ?? '').length} chars)` : ''),
            at.success ? 'yes' : 'no',
          ];
        });
        report.table(
          'Attempts as paymux recorded them (notification_attempts), with the gaps the receiver saw',
          [
            'attempt',
            'attempted_at',
            'scheduled wait',
            'gap (recorded)',
            'gap (at the receiver)',
            'status',
            'latency ms',
            'body excerpt',
            'success',
          ],
          rowsTable,
        );

        // ---------------------------------------------------------------- checks
        report.check(
          'the close wrote exactly one notification (Cancelled)',
          rows.length === 1 && n.event === 'Cancelled',
          rows.map((r) => r.event).join(', ') || 'none',
        );
        report.check(
          'the receiver got exactly 5 requests: four failures, then one success, and nothing in the quiet window after it',
          hits.length === SCRIPT.length && hits.every((h, i) => h.step === SCRIPT[i]),
          `${hits.length} requests; ${hits.filter((h) => h.at > successAt).length} after the success`,
        );
        report.check(
          'the first attempt comes at once: within the polling interval and the same headroom of the close’s answer',
          hits.length > 0 && hits[0].at - closedAt <= (POLL_SECONDS + LATE_SLACK_SECONDS) * 1000,
          ms(hits[0] ? hits[0].at - closedAt : NaN),
        );
        const successes = attempts.filter((x) => x.success);
        report.check(
          'exactly one attempt is recorded as a success, and it is the fifth',
          successes.length === 1 && successes[0].attempt === 5,
          `successful attempts: ${successes.map((x) => x.attempt).join(', ') || 'none'}`,
        );
        report.check(
          'the notification is delivered: status delivered, 5 attempts, delivered_at set, no next attempt',
          n?.status === 'delivered' &&
            n.attempts === 5 &&
            n.delivered_at !== null &&
            n.next_attempt_at === null,
          n
            ? `status ${n.status}, attempts ${n.attempts}, delivered_at ${n.delivered_at?.toISOString() ?? 'null'}, next_attempt_at ${n.next_attempt_at?.toISOString() ?? 'null'}`
            : 'no row',
        );
        const waiting = jobs.filter((j) => ['created', 'retry', 'active'].includes(j.state));
        report.check(
          'no delivery job is left waiting for the notification in the queue (pgboss.job)',
          jobs.length > 0 && waiting.length === 0,
          jobs.map((j) => `${j.state} × ${j.n}`).join(', ') || 'no job rows',
        );

        // Every attempt is recorded: number, time, status, latency, body excerpt.
        const recordedOk =
          attempts.length === SCRIPT.length &&
          attempts.every(
            (x, i) =>
              x.attempt === i + 1 &&
              x.status_code === SCRIPT[i].status &&
              x.success === (i === 4) &&
              x.error === null &&
              x.body_excerpt === SCRIPT[i].body.slice(0, 512),
          );
        report.check(
          'every attempt is recorded with its number, the status and the body (first 512 characters) the receiver answered',
          recordedOk,
          attempts
            .map(
              (x) =>
                `#${x.attempt} ${x.status_code} ${x.success ? 'ok' : 'fail'} ${(x.body_excerpt ?? '').length} chars`,
            )
            .join('; '),
        );
        report.check(
          'the long answer is cut to 512 characters in the record',
          LONG_BODY.length > 512 && attempts[2]?.body_excerpt?.length === 512,
          `${LONG_BODY.length} characters answered, ${attempts[2]?.body_excerpt?.length ?? 'no'} recorded`,
        );
        const slow = attempts[1];
        report.check(
          'the recorded latency measures the answer: ≥ 400 ms for the answer delayed 400 ms, < 400 ms for the others',
          slow !== undefined &&
            slow.latency_ms >= SCRIPT[1].delayMs &&
            slow.latency_ms < SCRIPT[1].delayMs + 1000 &&
            attempts.every((x, i) => i === 1 || x.latency_ms < 400),
          attempts.map((x) => `#${x.attempt} ${x.latency_ms} ms`).join(', '),
        );
        const timesMatch = attempts.every(
          (x, i) =>
            hits[i] &&
            hits[i].at >= x.attempted_at.getTime() - 5 &&
            hits[i].at - x.attempted_at.getTime() < 1000,
        );
        report.check(
          'each recorded attempt time is when the request reached the receiver (within 1 s, never after it)',
          attempts.length === hits.length && timesMatch,
          attempts
            .map((x, i) => (hits[i] ? `${hits[i].at - x.attempted_at.getTime()} ms` : 'missing'))
            .join(', '),
        );

        // The schedule.
        const gapProblems: string[] = [];
        for (let i = 1; i < attempts.length; i++) {
          const scheduled = DESIGN_SCHEDULE_SECONDS[i - 1] * SCALE * 1000;
          const gap = attempts[i].attempted_at.getTime() - attempts[i - 1].attempted_at.getTime();
          const earliest = scheduled + attempts[i - 1].latency_ms - EARLY_SLACK_MS;
          const latest = scheduled + attempts[i - 1].latency_ms + (POLL_SECONDS + LATE_SLACK_SECONDS) * 1000;
          if (gap < earliest || gap > latest)
            gapProblems.push(`#${i}→#${i + 1}: ${gap} ms, allowed ${earliest}-${latest} ms`);
        }
        report.check(
          'each gap between attempts is the scheduled wait (15 s, 15 s, 30 s, 3 min × 0.2) plus the previous answer’s latency, at most 1.5 s late and never early',
          attempts.length === SCRIPT.length && gapProblems.length === 0,
          gapProblems.join('; ') ||
            attempts
              .slice(1)
              .map((x, i) => `${x.attempted_at.getTime() - attempts[i].attempted_at.getTime()} ms`)
              .join(', '),
        );
        const rxProblems: string[] = [];
        for (let i = 1; i < hits.length && i < SCRIPT.length; i++) {
          const scheduled = DESIGN_SCHEDULE_SECONDS[i - 1] * SCALE * 1000;
          const gap = hits[i].at - hits[i - 1].at;
          const earliest = scheduled + SCRIPT[i - 1].delayMs - 50;
          const latest = scheduled + SCRIPT[i - 1].delayMs + (POLL_SECONDS + LATE_SLACK_SECONDS) * 1000 + 50;
          if (gap < earliest || gap > latest)
            rxProblems.push(`#${i}→#${i + 1}: ${gap} ms, allowed ${earliest}-${latest} ms`);
        }
        report.check(
          'the receiver’s own clock sees the same gaps (scheduled wait + its answer delay, at most 1.5 s late, 50 ms for the two clocks)',
          hits.length >= SCRIPT.length && rxProblems.length === 0,
          rxProblems.join('; ') ||
            hits
              .slice(1, SCRIPT.length)
              .map((h, i) => `${h.at - hits[i].at} ms`)
              .join(', '),
        );
        const midLog = mid.attempt_log as Json[] | undefined;
        const planned =
          mid.next_attempt_at && midLog?.[3]
            ? Date.parse(mid.next_attempt_at as string) - Date.parse(midLog[3].attempted_at as string)
            : NaN;
        const expectedPlan = DESIGN_SCHEDULE_SECONDS[3] * SCALE * 1000;
        report.check(
          'between the fourth and fifth attempts the API shows it pending, 4 attempts, next attempt 36 s (3 min × 0.2) after the fourth',
          mid.status === 'pending' &&
            mid.attempts === 4 &&
            planned >= expectedPlan + (midLog?.[3]?.latency_ms ?? 0) - EARLY_SLACK_MS &&
            planned <= expectedPlan + (midLog?.[3]?.latency_ms ?? 0) + 1000,
          `status ${mid.status}, attempts ${mid.attempts}, next_attempt_at − 4th attempt = ${ms(planned)}`,
        );

        // The API listing shows the same attempts.
        const listedN = listed.data?.[0];
        const log = (listedN?.attempt_log ?? []) as Json[];
        report.check(
          'GET /api/v1/notifications?order_id= lists the notification delivered with all 5 attempts as recorded',
          listed.data?.length === 1 &&
            listedN.id === n?.id &&
            listedN.status === 'delivered' &&
            listedN.attempts === 5 &&
            log.length === attempts.length &&
            log.every(
              (l, i) =>
                l.attempt === attempts[i].attempt &&
                Date.parse(l.attempted_at as string) === attempts[i].attempted_at.getTime() &&
                l.status_code === attempts[i].status_code &&
                l.latency_ms === attempts[i].latency_ms &&
                l.body_excerpt === attempts[i].body_excerpt &&
                l.success === attempts[i].success,
            ),
          `${listed.data?.length ?? 0} listed; attempt_log: ${log.map((l) => `${l.attempt}:${l.status_code}`).join(' ')}`,
        );

        // Signatures (docs/api-contract.md, Merchant API), checked with the API key's secret.
        const verify = (h: Hit, secret: string, body = h.body): boolean =>
          h.headers['x-signature'] ===
          merchantSignature(secret, {
            timestamp: String(h.headers['x-timestamp']),
            nonce: String(h.headers['x-nonce']),
            method: 'POST',
            pathWithQuery: h.path,
            body,
          });
        const badSig = hits.filter((h) => !verify(h, key.secret));
        report.check(
          'every request is signed: X-Signature = HMAC-SHA256(secret, timestamp\\nnonce\\nPOST\\npath?query\\nbody), with X-API-Key the key id',
          hits.length > 0 &&
            badSig.length === 0 &&
            hits.every((h) => h.headers['x-api-key'] === key.key_id && h.path === notifyPath),
          `${hits.length - badSig.length}/${hits.length} verify; key ids ${[...new Set(hits.map((h) => String(h.headers['x-api-key'])))].join(', ')}`,
        );
        report.check(
          'the verification is not vacuous: another secret, or the body one byte longer, does not verify',
          hits.length > 0 &&
            hits.every((h) => !verify(h, `${key.secret}x`) && !verify(h, key.secret, `${h.body} `)),
          'every request fails to verify with a wrong secret, and with its body one byte longer',
        );
        const skews = hits.map((h) => Math.abs(h.at / 1000 - Number(h.headers['x-timestamp'])));
        const nonces = new Set(hits.map((h) => String(h.headers['x-nonce'])));
        report.check(
          'each attempt is signed afresh: X-Timestamp within the 300 s window of its arrival, a new X-Nonce every time',
          hits.length > 0 && skews.every((s) => s < 300) && nonces.size === hits.length,
          `max skew ${Math.max(...skews).toFixed(1)} s; ${nonces.size} distinct nonces for ${hits.length} requests`,
        );
        const bodies = hits.map((h) => {
          try {
            return JSON.parse(h.body);
          } catch {
            return undefined;
          }
        });
        report.check(
          'every attempt carries the same body, the one stored: the order, Cancelled (state 5), with its notification id',
          hits.length > 0 &&
            hits.every((h) => h.body === n?.body && h.headers['x-notification-id'] === n?.id) &&
            bodies.every(
              (b) =>
                b?.notification_id === n?.id &&
                b?.event === 'order.cancelled' &&
                b?.id === orderId &&
                b?.order_no === no &&
                b?.state === 5 &&
                b?.amount === '12.5' &&
                b?.meta === 'rel-3',
            ),
          `${new Set(hits.map((h) => h.body)).size} distinct bodies; event ${String(bodies[0]?.event)}, state ${String(bodies[0]?.state)}`,
        );
        report.check('the process is still up', a.running(), `A ${a.running()}`);
      },
    ));
});
