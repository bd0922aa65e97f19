import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { FakeSession, StripeFake } from '../fakes/stripe/stripe.fake';
import { TokenPayFake } from '../fakes/tokenpay/tokenpay.fake';
import {
  Answer,
  call,
  cluster,
  Database,
  formatHistogram,
  freshDatabase,
  histogram,
  merchant,
  ms,
  must,
  newApiKey,
  newTenant,
  percentile,
  pool,
  Server,
  startServer,
  stopAllServers,
} from './harness';
import { runScenario, ScenarioReport } from './report';

const SECRET_KEY = 'sk_test_51paymuxReliabilityFailingProvider4';
const WEBHOOK_SECRET = 'whsec_paymux_reliability_4_endpoint_secret';
/** paymux's bound on every provider call in this scenario (PROVIDER_TIMEOUT_MS). */
const PROVIDER_TIMEOUT_MS = 1500;
/** How long the proxy holds a "timeout" request before it lets go: well past paymux's bound. */
const HOLD_MS = PROVIDER_TIMEOUT_MS + 4000;
/**
 * On a loaded machine a forwarded answer or a 500 can reach paymux after its deadline: a correct
 * provider_timeout ("late by load"), counted apart; more than this share of them is a mapping bug.
 */
const LOAD_TOLERANCE = 0.1;
/** Order creations POST /api/v1/orders (pay_way Stripe), first attempts. */
const CREATIONS = 400;
/** Every 4th creation carries an Idempotency-Key and is retried with the same key until it gets 201. */
const KEYED_EVERY = 4;
/** Sandbox orders then paid with Stripe through the order payment API, retried until 200. */
const SANDBOX_ORDERS = 60;
/** Retries after a 502: with half the calls failing, 30 failures in a row would take ~2^-30 luck. */
const MAX_ATTEMPTS = 30;
const CONCURRENCY = 16;
/** Stripe-created orders paid again through the order payment API while their session is open (reused). */
const REUSE = 20;
/** Orders driven to Finished through a signed Stripe webhook: created with Stripe / paid later with Stripe. */
const PAY_CREATED = 10;
const PAY_SANDBOX = 10;
/** Stripe-created orders whose attempt then fails at Stripe (half expired, half async failed), paid again. */
const FAIL_THEN_PAY = 8;
/** Signed merchant payments POST /v1/payment routed to TokenPay, each retried with its order_no after a 502. */
const MERCHANT_PAYMENTS = 120;
/** Merchant orders then paid at TokenPay (its callback). */
const PAY_MERCHANT = 6;
const TOKENPAY_ACCOUNT = {
  appId: 'tp-rel4-app',
  mchId: '4400000001',
  appSecret: 'rel4rel4rel4rel4rel4rel4rel4rel4',
};

// ---------------------------------------------------------------------------------------------
// A fault-injecting proxy in front of a provider fake

/**
 * What the proxy does with one request. `pass`: forwarded, answer returned at once. `500-*`: answers
 * 500 itself (the provider's JSON error, an HTML error page, an empty body); the fake never sees it.
 * `hang`: never forwarded; the connection is held past paymux's timeout, then dropped. `late`:
 * forwarded at once (the fake does the work: a session exists), but the answer is held past
 * paymux's timeout, so it is lost.
 */
type Fault = 'pass' | '500-json' | '500-html' | '500-empty' | 'hang' | 'late';
const FAULTS_500: Fault[] = ['500-json', '500-html', '500-empty'];
const is500 = (f: Fault): boolean => f.startsWith('500');
const isHeld = (f: Fault): boolean => f === 'hang' || f === 'late';

/** Request k (in arrival order): even ones pass; odd ones fail, alternately with a 500 and a timeout. */
function faultOf(k: number): Fault {
  if (k % 2 === 0) return 'pass';
  if (k % 4 === 1) return FAULTS_500[((k - 1) / 4) % 3];
  return ((k - 3) / 4) % 2 === 0 ? 'hang' : 'late';
}

interface Hop {
  k: number;
  phase: string;
  method: string;
  path: string;
  fault: Fault;
  /** The order and payment attempt the request is for, as the adapter sent them. */
  orderId: string | null;
  paymentId: string | null;
  /** The fake's status, answer, and the provider reference it made, when the request reached it. */
  upstream: number | null;
  answer: string | null;
  ref: string | null;
  /** ms after arrival at which paymux closed the connection without waiting for the answer. */
  abandonedAfterMs: number | null;
}

/** How a proxy reads its provider's wire format. */
interface Wire {
  name: string;
  /** The order and payment attempt named in a request. */
  request(path: string, body: string): { orderId: string | null; paymentId: string | null };
  /** The provider's reference for what a successful answer opened, or null. */
  ref(hop: Hop, status: number, text: string): string | null;
  /** The provider's own JSON body for a 500. */
  error500: string;
}

const STRIPE_WIRE: Wire = {
  name: 'Stripe',
  request: (_path, body) => {
    const form = new URLSearchParams(body);
    return { orderId: form.get('metadata[order_id]'), paymentId: form.get('metadata[payment_id]') };
  },
  ref: (hop, status, text) =>
    status === 200 && hop.method === 'POST' && hop.path === '/v1/checkout/sessions'
      ? ((JSON.parse(text) as { id?: string }).id ?? null)
      : null,
  error500: JSON.stringify({ error: { type: 'api_error', message: 'An unknown error occurred' } }),
};

const TOKENPAY_WIRE: Wire = {
  name: 'TokenPay',
  request: (_path, body) => {
    try {
      const j = JSON.parse(body.replace(/"amount":(\d+)/, '"amount":"$1"')) as Record<string, unknown>;
      const order = typeof j.description === 'string' ? /^Order ([0-9a-f-]{36})$/.exec(j.description) : null;
      return {
        orderId: order?.[1] ?? null,
        paymentId: typeof j.out_trade_no === 'string' ? j.out_trade_no : null,
      };
    } catch {
      return { orderId: null, paymentId: null };
    }
  },
  // The prepayment's reference in paymux is our own out_trade_no.
  ref: (hop, status, text) =>
    status === 200 &&
    hop.path === '/v1/transaction/prepayment' &&
    (JSON.parse(text) as { code?: number }).code === 0
      ? hop.paymentId
      : null,
  error500: JSON.stringify({ code: 11000, msg: 'internal error' }),
};

class FaultyProxy {
  readonly hops: Hop[] = [];
  phase = 'setup';
  url = '';
  private k = 0;
  private readonly server: HttpServer;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly upstream: string,
    readonly wire: Wire,
  ) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => void this.handle(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    // Idle keep-alive sockets stay open longer than the scenario: no reuse race on a closing socket.
    this.server.keepAliveTimeout = 300_000;
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  inPhase(phase: string): Hop[] {
    return this.hops.filter((h) => h.phase === phase);
  }

  private wait(msValue: number): Promise<void> {
    return new Promise((r) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        r();
      }, msValue);
      this.timers.add(t);
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
    const arrived = performance.now();
    const fault = faultOf(this.k);
    const path = new URL(req.url ?? '/', 'http://proxy').pathname;
    const hop: Hop = {
      k: this.k++,
      phase: this.phase,
      method: req.method ?? 'GET',
      path,
      fault,
      ...this.wire.request(path, body),
      upstream: null,
      answer: null,
      ref: null,
      abandonedAfterMs: null,
    };
    this.hops.push(hop);
    res.on('close', () => {
      if (!res.writableFinished) hop.abandonedAfterMs = performance.now() - arrived;
    });
    const write = (status: number, contentType: string, text: string): void => {
      if (res.destroyed || res.writableEnded) return;
      res.writeHead(status, {
        'content-type': contentType,
        'request-id': `req_${randomBytes(8).toString('hex')}`,
      });
      res.end(text);
    };
    switch (fault) {
      case '500-json':
        return write(500, 'application/json', this.wire.error500);
      case '500-html':
        return write(500, 'text/html', '<html><body><h1>500 Internal Server Error</h1></body></html>');
      case '500-empty':
        return write(500, 'application/json', '');
      case 'hang':
        await this.wait(HOLD_MS);
        res.destroy();
        return;
      case 'pass':
      case 'late': {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(req.headers)) {
          if (['host', 'connection', 'content-length', 'keep-alive', 'transfer-encoding'].includes(name))
            continue;
          if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
        }
        const up = await fetch(this.upstream + (req.url ?? '/'), {
          method: hop.method,
          headers,
          body: hop.method === 'GET' || hop.method === 'HEAD' ? undefined : body,
        });
        const text = await up.text();
        hop.upstream = up.status;
        hop.answer = text;
        hop.ref = this.wire.ref(hop, up.status, text);
        if (fault === 'late') await this.wait(Math.max(0, HOLD_MS - (performance.now() - arrived)));
        return write(up.status, up.headers.get('content-type') ?? 'application/json', text);
      }
    }
  }
}

/**
 * Calls against the provider requests they made, as counts (a failed creation names no order to
 * pair it with): a success only for a forwarded request, a provider_unavailable only for a 500, a
 * provider_timeout for every held request, and the answers add up.
 */
function tally(
  hops: Hop[],
  okIds: Set<string>,
  unavailable: number,
  timeouts: number,
  calls: number,
): { ok: boolean; lateByLoad: number; detail: string } {
  const nPass = hops.filter((h) => h.fault === 'pass').length;
  const n500 = hops.filter((h) => is500(h.fault)).length;
  const nHeld = hops.filter((h) => isHeld(h.fault)).length;
  const passIds = new Set(hops.filter((h) => h.fault === 'pass').map((h) => h.orderId));
  const okNotPass = [...okIds].filter((id) => !passIds.has(id)).length;
  const passLate = nPass - (okIds.size - okNotPass);
  const failLate = n500 - unavailable;
  const lateByLoad = passLate + failLate;
  return {
    ok:
      hops.length === calls &&
      okNotPass === 0 &&
      failLate >= 0 &&
      okIds.size + unavailable + timeouts === calls &&
      timeouts === nHeld + lateByLoad &&
      lateByLoad <= LOAD_TOLERANCE * (nPass + n500),
    lateByLoad,
    detail: `forwarded ${nPass} → success ${okIds.size} (${okNotPass} successes without a forwarded answer); provider 500s ${n500} → unavailable ${unavailable}; held ${nHeld} → timeout ${timeouts} (of which ${lateByLoad} forwarded or 500 answers that reached paymux after its deadline under load)`,
  };
}

// ---------------------------------------------------------------------------------------------
// The scenario

interface Call {
  phase: string;
  /** The creation (index), or the order paid through the order payment API. */
  subject: string;
  attempt: number;
  key: string | null;
  server: string;
  answer: Answer;
}

const codeOf = (a: Answer): string =>
  a.status === 0 ? `network error ${a.error}` : a.body === undefined ? 'not JSON' : String(a.body.code);
const latencies = (list: Call[]): string =>
  list.length === 0
    ? 'none'
    : `${ms(
        percentile(
          list.map((c) => c.answer.ms),
          50,
        ),
      )} / ${ms(
        percentile(
          list.map((c) => c.answer.ms),
          99,
        ),
      )} (n = ${list.length})`;

/**
 * The Stripe and TokenPay fakes, each behind a proxy that fails every other request: a 500 (three
 * kinds of body) or a connection held past paymux's PROVIDER_TIMEOUT_MS (sometimes after the fake
 * did the work, so the answer is lost). Two paymux processes take 400 order creations
 * (POST /api/v1/orders, a quarter with an Idempotency-Key retried after a 502), order payment API calls on
 * pending orders retried until they open, and 120 signed merchant payments (POST /v1/payment, routed
 * to TokenPay) retried with their order_no. Every answer is checked against the proxy's record of
 * what it did to the matching provider request, and the database against the answers and the fakes.
 */
describe('reliability 4: a failing provider', () => {
  const report = new ScenarioReport(
    4,
    'With half of the provider calls failing (500 or past the timeout), every failed request answers the documented 502 in its API dialect (provider_unavailable / provider_timeout; order payment API code -1; merchant 10006) within the timeout and writes nothing; every success is a Pending order with its payment attempt and a live pay_url that can be paid; an order whose attempt failed can be paid again; no row is stuck, half-written or pointing nowhere.',
  );
  let db: Database | undefined;
  let a: Server | undefined;
  let b: Server | undefined;
  let fake: StripeFake | undefined;
  let proxy: FaultyProxy | undefined;
  let tokenpay: TokenPayFake | undefined;
  let tpProxy: FaultyProxy | undefined;

  afterAll(async () => {
    report.save();
    await stopAllServers();
    await proxy?.stop();
    await tpProxy?.stop();
    await fake?.stop();
    await tokenpay?.stop();
    await db?.drop();
  });

  it('answers 502 for failed provider calls, writes nothing for them, and keeps every success payable', () =>
    runScenario(
      report,
      () => [a, b],
      async () => {
        fake = await new StripeFake([SECRET_KEY]).start();
        proxy = await new FaultyProxy(fake.url, STRIPE_WIRE).start();
        tokenpay = await new TokenPayFake().start();
        tokenpay.addAccount(TOKENPAY_ACCOUNT);
        tpProxy = await new FaultyProxy(tokenpay.url, TOKENPAY_WIRE).start();
        const px = proxy;
        const tp = tpProxy;
        const stripe = fake;
        const tpFake = tokenpay;
        db = await freshDatabase('s4');
        const c = cluster(db, {
          PAYMUX_STRIPE_BASE_URL: proxy.url,
          PAYMUX_TOKENPAY_BASE_URL: tpProxy.url,
          PROVIDER_TIMEOUT_MS: String(PROVIDER_TIMEOUT_MS),
        });
        // One after the other: this scenario is about the provider, not about two processes migrating
        // a fresh database at once.
        a = await startServer(c, 'A');
        b = await startServer(c, 'B');
        const servers = [a, b];
        report.ran(
          `two paymux processes A (pid ${a.pid}) and B (pid ${b.pid}) on one fresh database, PROVIDER_TIMEOUT_MS=${PROVIDER_TIMEOUT_MS}; PAYMUX_STRIPE_BASE_URL and PAYMUX_TOKENPAY_BASE_URL aimed at two fault-injecting proxies (in the spec file) in front of the Stripe and TokenPay fakes (test/fakes/stripe, test/fakes/tokenpay)`,
        );
        report.ran(
          `each proxy fails every other request it receives (in arrival order): one in four answers 500 (the provider's JSON error, an HTML error page, or an empty body, in turn), one in four is held ${HOLD_MS} ms — either never forwarded ("hang") or forwarded at once with its answer held and lost ("late": the session exists at the provider); the rest are forwarded`,
        );

        const t = await newTenant(a.url, 'Flaky');
        await must(200, a.url, 'PUT', '/api/v1/providers/stripe', {
          token: t.token,
          json: {
            enabled: true,
            mode: 'test',
            credentials: { secret_key: SECRET_KEY, webhook_secret: WEBHOOK_SECRET },
          },
        });
        await must(200, a.url, 'PUT', '/api/v1/providers/tokenpay', {
          token: t.token,
          json: {
            enabled: true,
            mode: 'test',
            credentials: {
              app_id: TOKENPAY_ACCOUNT.appId,
              mch_id: TOKENPAY_ACCOUNT.mchId,
              app_secret: TOKENPAY_ACCOUNT.appSecret,
            },
          },
        });
        // TokenPay only: the default priority would fall back to the Sandbox (switched on here).
        await must(200, a.url, 'PUT', '/api/v1/routing', {
          token: t.token,
          json: { priority: ['tokenpay'] },
        });
        const apiKey = await newApiKey(a.url, t);
        const calls: Call[] = [];
        const serverName = (i: number): string => (i % 2 === 0 ? 'A' : 'B');
        const send = async (
          phase: string,
          subject: string,
          attempt: number,
          key: string | null,
          i: number,
          method: string,
          path: string,
          json: unknown,
        ): Promise<Call> => {
          const answer = await call(servers[i % 2].url, method, path, {
            token: t.token,
            json,
            headers: key ? { 'idempotency-key': key } : {},
          });
          const done: Call = { phase, subject, attempt, key, server: serverName(i), answer };
          calls.push(done);
          return done;
        };
        const orderBody = { application_id: t.applicationId, package_id: t.packageId, pay_way: 'Stripe' };

        // 1. Order creations with pay_way Stripe; the keyed ones are retried with their key.
        px.phase = 'create';
        const keys = new Map<number, string>();
        const started = performance.now();
        await pool(
          Array.from({ length: CREATIONS }, (_, i) => i),
          CONCURRENCY,
          async (i) => {
            const key = i % KEYED_EVERY === 0 ? `rel4-${i}-${randomBytes(6).toString('hex')}` : null;
            if (key) keys.set(i, key);
            for (let attempt = 1; attempt <= (key ? MAX_ATTEMPTS : 1); attempt++) {
              const r = await send(
                'create',
                String(i),
                attempt,
                key,
                i + attempt,
                'POST',
                '/api/v1/orders',
                orderBody,
              );
              if (r.answer.status !== 502) break;
            }
          },
        );
        const createWall = performance.now() - started;
        const creates = calls.filter((x) => x.phase === 'create');
        const keyedCalls = creates.filter((x) => x.key !== null);
        report.ran(
          `${CREATIONS} order creations POST /api/v1/orders {pay_way: "Stripe"} (USD 49.99), ${CONCURRENCY} at a time, alternately on A and B; every ${KEYED_EVERY}th (${keys.size}) carries an Idempotency-Key and is retried with the same key after a 502, up to ${MAX_ATTEMPTS} attempts (${keyedCalls.length} keyed calls in all, ${creates.length} creation calls)`,
        );
        const created = creates.filter((x) => x.answer.status === 201);
        const createdIds = new Set<string>(created.map((x) => String(x.answer.body?.id)));
        const createHops = px.inPhase('create');

        // 2. Replays of every key that got its order: answered from the database, no provider call.
        px.phase = 'replay';
        const keyedWins = created.filter((x) => x.key !== null);
        const replays = await pool(keyedWins, CONCURRENCY, async (x, i) => ({
          original: x,
          answer: (await send('replay', x.subject, 1, x.key, i, 'POST', '/api/v1/orders', orderBody)).answer,
        }));
        report.ran(
          `${replays.length} replays of the keys whose creation got 201, same key and body, to either process`,
        );

        // 3. Sandbox orders (no provider call), then paid with Stripe through the order payment API,
        // retried after a 502.
        px.phase = 'sandbox';
        const sandbox = await pool(
          Array.from({ length: SANDBOX_ORDERS }, (_, i) => i),
          CONCURRENCY,
          async (i) =>
            (await must(201, servers[i % 2].url, 'POST', '/api/v1/orders', {
              token: t.token,
              json: { ...orderBody, pay_way: 'Sandbox' },
            })) as { id: string },
        );
        const sandboxIds = sandbox.map((o) => o.id);
        const sandboxHops = px.inPhase('sandbox').length;
        px.phase = 'seed001';
        const payUntilOpen = async (phase: string, orderId: string, i: number): Promise<Call[]> => {
          const mine: Call[] = [];
          for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            const r = await send(phase, orderId, attempt, null, i + attempt, 'POST', '/api/order/payment', {
              order_id: orderId,
              pay_way: 'stripe',
            });
            mine.push(r);
            if (r.answer.status !== 502) break;
          }
          return mine;
        };
        await pool(sandboxIds, CONCURRENCY, (id, i) => payUntilOpen('seed001', id, i));
        const seedCalls = calls.filter((x) => x.phase === 'seed001');
        report.ran(
          `${SANDBOX_ORDERS} Sandbox orders (no provider call), each then paid with POST /api/order/payment {pay_way: "stripe"} (order payment API), retried after a 502 until it opens, up to ${MAX_ATTEMPTS} attempts (${seedCalls.length} calls)`,
        );

        // 4. The order payment API on Stripe orders whose session is open: the session is reused, Stripe
        // is not called.
        px.phase = 'reuse';
        const reuseSet = created.slice(0, REUSE);
        const reuse = await pool(reuseSet, CONCURRENCY, async (x, i) => ({
          order: x.answer.body,
          answer: (
            await send('reuse', String(x.answer.body?.id), 1, null, i, 'POST', '/api/order/payment', {
              order_id: x.answer.body?.id,
              pay_way: 'stripe',
            })
          ).answer,
        }));
        report.ran(`${reuse.length} order payment API calls on Stripe orders whose session is open`);

        // 5. The merchant API, routed to TokenPay; a 502 is retried with the same order_no.
        tp.phase = 'merchant';
        px.phase = 'merchant';
        const merchantNos = Array.from(
          { length: MERCHANT_PAYMENTS },
          (_, i) => `R4${i}${randomBytes(5).toString('hex')}`,
        );
        const merchantBody = (orderNo: string) => ({
          order_no: orderNo,
          currency: 'USDT',
          amount: '10.5',
          chain_type: 'BSC',
          notify_url: 'https://merchant.example/paymux/notify',
          product_name: 'Reliability 4',
        });
        const signedCall = async (
          phase: string,
          orderNo: string,
          attempt: number,
          i: number,
        ): Promise<Call> => {
          const answer = await merchant(
            servers[i % 2].url,
            apiKey,
            'POST',
            '/v1/payment',
            merchantBody(orderNo),
          );
          const done: Call = { phase, subject: orderNo, attempt, key: null, server: serverName(i), answer };
          calls.push(done);
          return done;
        };
        await pool(merchantNos, CONCURRENCY, async (orderNo, i) => {
          for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            const r = await signedCall('merchant', orderNo, attempt, i + attempt);
            if (r.answer.status !== 502) break;
          }
        });
        const merchantCalls = calls.filter((x) => x.phase === 'merchant');
        report.ran(
          `${MERCHANT_PAYMENTS} signed merchant payments POST /v1/payment {currency: "USDT", amount: "10.5", chain_type: "BSC"} routed to TokenPay (routing priority [tokenpay]), ${CONCURRENCY} at a time on A and B, each retried with the same order_no after a 502, up to ${MAX_ATTEMPTS} attempts (${merchantCalls.length} calls)`,
        );
        tp.phase = 'merchant-dup';
        const merchantWon = merchantCalls.filter((x) => x.answer.status === 200);
        const dups = await pool(merchantWon, CONCURRENCY, (x, i) =>
          signedCall('merchant-dup', x.subject, 1, i),
        );
        report.ran(`${dups.length} merchant payments again with an order_no that already has its order`);
        tp.phase = 'after';

        const sameSet = (x: Set<unknown>, y: Set<unknown>): boolean =>
          x.size === y.size && [...x].every((v) => y.has(v));

        // Creations against the proxy's record, request by request (metadata[order_id] names the order).
        const createsByCode = histogram(
          creates.map((x) => (x.answer.status === 201 ? '201' : codeOf(x.answer))),
        );
        report.figure('creations: answers', formatHistogram(createsByCode));
        report.figure(
          'creations: provider requests by fault',
          formatHistogram(histogram(createHops.map((h) => h.fault))),
        );
        const hopOrderIds = createHops.map((h) => h.orderId);
        report.check(
          'each creation call made exactly one Checkout Session request (no hidden retry, none skipped)',
          createHops.length === creates.length &&
            createHops.every((h) => h.method === 'POST' && h.path === '/v1/checkout/sessions' && h.orderId) &&
            new Set(hopOrderIds).size === createHops.length,
          `${creates.length} creation calls, ${createHops.length} provider requests, ${new Set(hopOrderIds).size} distinct order ids`,
        );
        const unavailable = creates.filter(
          (x) => x.answer.status === 502 && x.answer.body?.code === 'provider_unavailable',
        );
        const timedOut = creates.filter(
          (x) => x.answer.status === 502 && x.answer.body?.code === 'provider_timeout',
        );
        const createTally = tally(
          createHops,
          createdIds,
          unavailable.length,
          timedOut.length,
          creates.length,
        );
        report.check(
          'a 201 only for a forwarded Stripe answer; every provider 500 answered 502 provider_unavailable, every held request 502 provider_timeout',
          createTally.ok && created.length === createdIds.size,
          createTally.detail,
        );
        const shapeOk = (x: Call): boolean => {
          const body = x.answer.body;
          const json = (x.answer.headers?.get('content-type') ?? '').startsWith('application/json');
          const platformOk =
            typeof body?.message === 'string' &&
            ((body.code === 'provider_unavailable' && /^Stripe is unavailable: ./.test(body.message)) ||
              (body.code === 'provider_timeout' && /^Stripe did not answer in time: ./.test(body.message)));
          return json && platformOk;
        };
        const badShapes = [...unavailable, ...timedOut].filter((x) => !shapeOk(x));
        report.check(
          'every 502 of POST /api/v1/orders is JSON {code, message} naming the provider and what went wrong',
          badShapes.length === 0 && unavailable.length + timedOut.length > 0,
          badShapes.length === 0
            ? `${unavailable.length + timedOut.length} checked, e.g. ${JSON.stringify(unavailable[0]?.answer.body)} / ${JSON.stringify(timedOut[0]?.answer.body)}`
            : badShapes
                .slice(0, 3)
                .map((x) => x.answer.text.slice(0, 200))
                .join('; '),
        );
        report.figure('latency p50 / p99, POST /api/v1/orders 201', latencies(created));
        report.figure(
          'latency p50 / p99, POST /api/v1/orders 502 provider_unavailable',
          latencies(unavailable),
        );
        report.figure('latency p50 / p99, POST /api/v1/orders 502 provider_timeout', latencies(timedOut));

        // Idempotency keys: a failure leaves the key free; a success is replayed.
        const keyedOutcome = [...keys.entries()].map(([i, key]) => {
          const mine = keyedCalls.filter((x) => x.key === key);
          return { i, key, mine, won: mine.find((x) => x.answer.status === 201) };
        });
        const retriedAfterFailure = keyedOutcome.filter((k) => k.mine.length > 1);
        report.figure(
          'keyed creations: attempts until 201',
          formatHistogram(histogram(keyedOutcome.map((k) => k.mine.length))),
        );
        report.check(
          'every keyed creation got its order; after a 502 the same key created it (201, not a replay or a 404 of a key pointing nowhere)',
          keyedOutcome.every(
            (k) => k.won !== undefined && k.mine.slice(0, -1).every((x) => x.answer.status === 502),
          ) && retriedAfterFailure.length > 0,
          `${keyedOutcome.filter((k) => k.won).length}/${keys.size} got 201; ${retriedAfterFailure.length} of them after 1-${Math.max(...keyedOutcome.map((k) => k.mine.length)) - 1} failed attempts with the same key`,
        );
        const badReplays = replays.filter(
          (r) =>
            r.answer.status !== 200 ||
            r.answer.headers?.get('idempotent-replayed') !== 'true' ||
            r.answer.body?.id !== r.original.answer.body?.id ||
            r.answer.body?.pay_url !== r.original.answer.body?.pay_url,
        );
        report.check(
          'each replay of a key answers 200 Idempotent-Replayed with the same order and pay_url, without calling Stripe',
          badReplays.length === 0 && replays.length > 0 && px.inPhase('replay').length === 0,
          `${replays.length - badReplays.length}/${replays.length} replays; ${px.inPhase('replay').length} provider requests`,
        );

        // Order payment API: each call against the provider request it made, in order, per order.
        report.check('Sandbox orders made no provider request', sandboxHops === 0, `${sandboxHops} requests`);
        const seedHops = px.inPhase('seed001');
        const mismatched: string[] = [];
        let seedLate = 0;
        const sessionOfSandbox = new Map<string, string>();
        for (const id of sandboxIds) {
          const mine = seedCalls.filter((x) => x.subject === id);
          const hops = seedHops.filter((h) => h.orderId === id);
          if (mine.length !== hops.length) {
            mismatched.push(`${id}: ${mine.length} calls, ${hops.length} provider requests`);
            continue;
          }
          mine.forEach((x, j) => {
            const h = hops[j];
            const body = x.answer.body;
            let ok: boolean;
            const timeoutAnswer =
              x.answer.status === 502 &&
              body?.code === -1 &&
              body?.data === null &&
              /^Stripe did not answer in time: ./.test(String(body?.msg)) &&
              x.answer.ms >= PROVIDER_TIMEOUT_MS - 20;
            if (!isHeld(h.fault) && timeoutAnswer) {
              seedLate++;
              return;
            }
            if (h.fault === 'pass') {
              const session = h.ref ? stripe.sessions.get(h.ref) : undefined;
              ok =
                x.answer.status === 200 &&
                body?.code === 0 &&
                body?.msg === '' &&
                body?.data?.pay_way === 'stripe' &&
                session !== undefined &&
                body?.data?.jump_url === session.url;
              if (ok && h.ref) sessionOfSandbox.set(id, h.ref);
            } else {
              const msg = is500(h.fault) ? /^Stripe is unavailable: ./ : /^Stripe did not answer in time: ./;
              ok =
                x.answer.status === 502 &&
                body?.code === -1 &&
                body?.data === null &&
                msg.test(String(body?.msg));
            }
            if (!ok)
              mismatched.push(
                `${id} attempt ${j + 1} (${h.fault}): ${x.answer.status} ${x.answer.text.slice(0, 160)}`,
              );
          });
        }
        report.figure(
          'order payment API: answers',
          formatHistogram(histogram(seedCalls.map((x) => `${x.answer.status} code ${x.answer.body?.code}`))),
        );
        report.figure(
          'order payment API: attempts until the payment opened',
          formatHistogram(
            histogram(sandboxIds.map((id) => seedCalls.filter((x) => x.subject === id).length)),
          ),
        );
        report.figure(
          'latency p50 / p99, order payment API 200',
          latencies(seedCalls.filter((x) => x.answer.status === 200)),
        );
        report.figure(
          'latency p50 / p99, order payment API 502',
          latencies(seedCalls.filter((x) => x.answer.status === 502)),
        );
        report.check(
          "each order payment API call answered what its provider request did: 200 with that session's URL, or 502 {code: -1, msg, data: null} naming the failure",
          seedLate <= LOAD_TOLERANCE * seedHops.filter((h) => !isHeld(h.fault)).length &&
            mismatched.length === 0 &&
            seedCalls.length === seedHops.length &&
            seedHops.every((h) => h.path === '/v1/checkout/sessions'),
          mismatched.length === 0
            ? `${seedCalls.length} calls matched to ${seedHops.length} provider requests (${seedLate} forwarded or 500 answers reached paymux after its deadline under load: provider_timeout)`
            : mismatched.slice(0, 3).join('; '),
        );
        report.check(
          'every Sandbox order eventually opened its Stripe payment through the order payment API',
          sessionOfSandbox.size === SANDBOX_ORDERS,
          `${sessionOfSandbox.size}/${SANDBOX_ORDERS}`,
        );
        const badReuse = reuse.filter(
          (r) => r.answer.status !== 200 || r.answer.body?.data?.jump_url !== r.order?.pay_url,
        );
        report.check(
          'the order payment API on an order with an open session answers 200 with its pay_url and does not call Stripe',
          badReuse.length === 0 && reuse.length === REUSE && px.inPhase('reuse').length === 0,
          `${reuse.length - badReuse.length}/${reuse.length}; ${px.inPhase('reuse').length} provider requests`,
        );

        // The merchant API against the TokenPay proxy's record.
        const merchantHops = tp.inPhase('merchant');
        const mWon = merchantCalls.filter((x) => x.answer.status === 200);
        const mUnavailable = merchantCalls.filter(
          (x) =>
            x.answer.status === 502 && /^TokenPay is unavailable: ./.test(String(x.answer.body?.message)),
        );
        const mTimedOut = merchantCalls.filter(
          (x) =>
            x.answer.status === 502 &&
            /^TokenPay did not answer in time: ./.test(String(x.answer.body?.message)),
        );
        report.figure(
          'merchant API: answers',
          formatHistogram(
            histogram(merchantCalls.map((x) => `${x.answer.status} code ${x.answer.body?.code}`)),
          ),
        );
        report.figure(
          'merchant API: provider requests by fault',
          formatHistogram(histogram(merchantHops.map((h) => h.fault))),
        );
        report.figure(
          'merchant API: attempts until 200',
          formatHistogram(
            histogram(merchantNos.map((no) => merchantCalls.filter((x) => x.subject === no).length)),
          ),
        );
        report.figure('latency p50 / p99, POST /v1/payment 200', latencies(mWon));
        report.figure('latency p50 / p99, POST /v1/payment 502 unavailable', latencies(mUnavailable));
        report.figure('latency p50 / p99, POST /v1/payment 502 timeout', latencies(mTimedOut));
        report.check(
          'each merchant payment call made exactly one TokenPay prepayment request',
          merchantHops.length === merchantCalls.length &&
            merchantHops.every((h) => h.path === '/v1/transaction/prepayment' && h.orderId && h.paymentId) &&
            new Set(merchantHops.map((h) => h.orderId)).size === merchantHops.length,
          `${merchantCalls.length} calls, ${merchantHops.length} provider requests`,
        );
        const mWonIds = new Set(mWon.map((x) => String(x.answer.body?.data?.id)));
        const m502Ok = (x: Call): boolean =>
          x.answer.body?.code === 10006 &&
          Object.keys(x.answer.body as object)
            .sort()
            .join(',') === 'code,message' &&
          (x.answer.headers?.get('content-type') ?? '').startsWith('application/json');
        const merchantTally = tally(
          merchantHops,
          mWonIds,
          mUnavailable.length,
          mTimedOut.length,
          merchantCalls.length,
        );
        report.check(
          'a 200 only for a forwarded TokenPay answer; every TokenPay 500 answered 502 {code: 10006} "TokenPay is unavailable", every held request 502 {code: 10006} "did not answer in time"',
          merchantTally.ok && mWonIds.size === mWon.length && [...mUnavailable, ...mTimedOut].every(m502Ok),
          `${merchantTally.detail}; e.g. ${mUnavailable[0]?.answer.text ?? ''} / ${mTimedOut[0]?.answer.text ?? ''}`,
        );
        const mOutcome = merchantNos.map((no) => merchantCalls.filter((x) => x.subject === no));
        report.check(
          'every merchant order_no got its order; after a 502 the same order_no created it (not 10004: nothing held the number)',
          mOutcome.every(
            (l) => l.at(-1)?.answer.status === 200 && l.slice(0, -1).every((x) => x.answer.status === 502),
          ) && mOutcome.some((l) => l.length > 1),
          `${mOutcome.filter((l) => l.at(-1)?.answer.status === 200).length}/${MERCHANT_PAYMENTS} got 200, ${mOutcome.filter((l) => l.length > 1).length} after failed attempts with the same order_no`,
        );
        report.check(
          'a used order_no answers 409 {code: 10004} without calling TokenPay',
          dups.length === MERCHANT_PAYMENTS &&
            dups.every((x) => x.answer.status === 409 && x.answer.body?.code === 10004) &&
            tp.inPhase('merchant-dup').length === 0,
          `${formatHistogram(histogram(dups.map((x) => `${x.answer.status} code ${x.answer.body?.code}`)))}; ${tp.inPhase('merchant-dup').length} provider requests`,
        );
        const tpPayUrl = (h: Hop | undefined): string | undefined => {
          const rel = h?.answer
            ? (JSON.parse(h.answer) as { data?: { payment_url?: string } }).data?.payment_url
            : undefined;
          return rel === undefined ? undefined : new URL(rel, tp.url).toString();
        };
        const mReads = await pool(mWon, CONCURRENCY, async (x, i) => ({
          x,
          hop: merchantHops.find((h) => h.orderId === x.answer.body?.data?.id),
          r: await merchant(servers[i % 2].url, apiKey, 'GET', `/v1/payment/${x.subject}`),
        }));
        const mNotLive = mReads.filter(
          ({ x, hop, r }) =>
            r.status !== 200 ||
            r.body?.code !== 10000 ||
            r.body?.data?.state !== 1 ||
            r.body?.data?.order_no !== x.subject ||
            r.body?.data?.pay_url !== tpPayUrl(hop) ||
            x.answer.body?.data?.pay_url !== tpPayUrl(hop) ||
            hop?.paymentId === null ||
            tpFake.byOutTradeNo(hop?.paymentId ?? '')?.trade_state !== 'NOTPAY',
        );
        report.check(
          'every merchant order that got 200 reads back state 1 (Pending) with the payment_url of its open TokenPay prepayment',
          mNotLive.length === 0 && mReads.length === MERCHANT_PAYMENTS,
          `${mReads.length - mNotLive.length}/${mReads.length}${mNotLive[0] ? `; e.g. ${mNotLive[0].r.text.slice(0, 200)}` : ''}`,
        );

        // Orders that got 201 are Pending with a live pay_url.
        const createdList = created.map((x) => x.answer.body);
        const reads = await pool(createdList, CONCURRENCY, async (o, i) => ({
          o,
          r: await call(servers[i % 2].url, 'GET', `/api/v1/orders/${o.id}`, { token: t.token }),
        }));
        const notLive = reads.filter(({ o, r }) => {
          const session = stripe.sessions.get(String(o.pay_id));
          return (
            r.status !== 200 ||
            r.body?.state !== 'Pending' ||
            r.body?.pay_way !== 'Stripe' ||
            r.body?.pay_id !== o.pay_id ||
            r.body?.pay_url !== o.pay_url ||
            session === undefined ||
            session.url !== o.pay_url ||
            session.status !== 'open' ||
            session.amount_total !== 4999 ||
            session.currency !== 'usd' ||
            session.metadata.order_id !== o.id
          );
        });
        report.check(
          'every order that got 201 reads back Pending, with the pay_url of an open USD 49.99 session at Stripe for that order',
          notLive.length === 0 && reads.length === created.length,
          `${reads.length - notLive.length}/${reads.length}${notLive[0] ? `; e.g. ${notLive[0].r.text.slice(0, 200)}` : ''}`,
        );

        // ---------------------------------------------------------------------------------------
        // Paying: webhooks come straight from the fake, signed (no proxy on that way).

        px.phase = 'pay';
        const hook = (i: number): string => `${servers[i % 2].url}/api/v1/webhooks/stripe/${t.tenantId}`;
        const deliver = (i: number, type: string, session: FakeSession) =>
          stripe.send(hook(i), stripe.delivery(stripe.event(type, session), WEBHOOK_SECRET));
        const toPay: { orderId: string; sessionId: string; via: string }[] = [
          ...createdList.slice(REUSE, REUSE + PAY_CREATED).map((o) => ({
            orderId: String(o.id),
            sessionId: String(o.pay_id),
            via: 'created with Stripe',
          })),
          ...sandboxIds
            .filter((id) => sessionOfSandbox.has(id))
            .slice(0, PAY_SANDBOX)
            .map((id) => ({
              orderId: id,
              sessionId: sessionOfSandbox.get(id) ?? '',
              via: 'Sandbox order paid with Stripe (order payment API)',
            })),
        ];
        const paidAnswers = await pool(toPay, 4, async (p, i) =>
          deliver(i, 'checkout.session.completed', stripe.pay(p.sessionId)),
        );
        report.ran(
          `${PAY_CREATED} orders created with Stripe and ${PAY_SANDBOX} Sandbox orders paid with Stripe through the order payment API: paid on the fake's page, then a signed checkout.session.completed sent straight to each process`,
        );

        // An attempt that fails at Stripe (expired, async payment failed), then the order is paid again.
        px.phase = 'fail';
        const failing = createdList
          .slice(REUSE + PAY_CREATED, REUSE + PAY_CREATED + FAIL_THEN_PAY)
          .map((o, j) => ({
            orderId: String(o.id),
            sessionId: String(o.pay_id),
            payUrl: String(o.pay_url),
            how: j % 2 === 0 ? ('expired' as const) : ('failed' as const),
          }));
        const failAnswers = await pool(failing, 4, async (f, i) => {
          if (f.how === 'expired') return deliver(i, 'checkout.session.expired', stripe.expire(f.sessionId));
          stripe.pay(f.sessionId, { async: true });
          return deliver(
            i,
            'checkout.session.async_payment_failed',
            stripe.settleAsync(f.sessionId, 'failed'),
          );
        });
        const afterFail = await db.q<{ order_id: string; status: string; state: string }>(
          `SELECT p.order_id, p.status, o.state FROM payments p JOIN orders o ON o.id = p.order_id WHERE p.order_id = ANY($1::uuid[])`,
          [failing.map((f) => f.orderId)],
        );
        report.check(
          'a failed or expired attempt at Stripe marks the payment so and leaves the order Pending',
          failAnswers.every((x) => x.status === 200) &&
            failing.every((f) => {
              const rows = afterFail.filter((r) => r.order_id === f.orderId);
              return rows.length === 1 && rows[0].status === f.how && rows[0].state === 'Pending';
            }),
          `webhooks ${formatHistogram(histogram(failAnswers.map((x) => x.status)))}; payments ${formatHistogram(histogram(afterFail.map((r) => `${r.status}/${r.state}`)))}`,
        );
        px.phase = 'repay';
        const repayCalls = await pool(failing, 4, (f, i) => payUntilOpen('repay', f.orderId, i));
        const repayHops = px.inPhase('repay');
        const repaid = failing.map((f, j) => {
          const last = repayCalls[j][repayCalls[j].length - 1];
          const hop = repayHops.filter((h) => h.orderId === f.orderId).at(-1);
          return { ...f, last, hop, newSession: hop?.fault === 'pass' ? (hop.ref ?? '') : '' };
        });
        const badRepay = repaid.filter(
          (r) =>
            r.last.answer.status !== 200 ||
            !r.newSession ||
            r.newSession === r.sessionId ||
            r.last.answer.body?.data?.jump_url !== stripe.sessions.get(r.newSession)?.url,
        );
        report.check(
          'an order whose attempt failed opens a new Stripe session through the order payment API (after retrying the injected 502s)',
          badRepay.length === 0 && repayHops.length === repayCalls.flat().length,
          `${failing.length - badRepay.length}/${failing.length} reopened; ${repayCalls.flat().length} calls (${formatHistogram(histogram(repayCalls.flat().map((x) => x.answer.status)))}), ${repayHops.length} provider requests`,
        );
        const repaidReads = await pool(repaid, 4, (r, i) =>
          call(servers[i % 2].url, 'GET', `/api/v1/orders/${r.orderId}`, { token: t.token }),
        );
        report.check(
          'the reopened order shows the new session as its pay_url',
          repaid.every(
            (r, j) =>
              repaidReads[j].body?.pay_url === stripe.sessions.get(r.newSession)?.url &&
              repaidReads[j].body?.pay_url !== r.payUrl,
          ),
          `${repaid.filter((r, j) => repaidReads[j].body?.pay_url === stripe.sessions.get(r.newSession)?.url).length}/${repaid.length}`,
        );
        px.phase = 'pay';
        const repaidAnswers = await pool(
          repaid.filter((r) => r.newSession),
          4,
          async (r, i) => deliver(i, 'checkout.session.completed', stripe.pay(r.newSession)),
        );
        report.ran(
          `${FAIL_THEN_PAY} orders created with Stripe whose session then failed at Stripe (${failing.filter((f) => f.how === 'expired').length} checkout.session.expired, ${failing.filter((f) => f.how === 'failed').length} checkout.session.async_payment_failed), paid again through the order payment API (retried after 502s), and that new session paid`,
        );
        // Merchant orders paid at TokenPay: its signed, encrypted callback straight to paymux.
        tp.phase = 'pay';
        const mToPay = mReads.slice(0, PAY_MERCHANT).map(({ x, hop }) => ({
          orderNo: x.subject,
          orderId: String(x.answer.body?.data?.id),
          outTradeNo: hop?.paymentId ?? '',
        }));
        const mPaidAnswers = await pool(mToPay, 4, async (m) => {
          tpFake.markPaid(m.outTradeNo);
          return tpFake.send(tpFake.callbackFor(m.outTradeNo));
        });
        const mPaidReads = await pool(mToPay, 4, (m, i) =>
          merchant(servers[i % 2].url, apiKey, 'GET', `/v1/payment/${m.orderNo}`),
        );
        report.ran(
          `${PAY_MERCHANT} merchant orders paid at the TokenPay fake, which sends its signed and encrypted callback straight to paymux`,
        );
        report.check(
          'every merchant order paid at TokenPay is Finished (state 3)',
          mPaidAnswers.every((x) => x.status === 200 && x.text === 'success') &&
            mPaidReads.every((r) => r.body?.data?.state === 3),
          `callbacks ${formatHistogram(histogram(mPaidAnswers.map((x) => `${x.status} ${x.text.slice(0, 20)}`)))}; states ${formatHistogram(histogram(mPaidReads.map((r) => String(r.body?.data?.state))))}`,
        );
        const merchantIds = [...mWonIds];
        const creditedIds = [...toPay.map((p) => p.orderId), ...repaid.map((r) => r.orderId)];
        const paidIds = [...creditedIds, ...mToPay.map((m) => m.orderId)];
        const paidStates = await pool(paidIds, 4, (id, i) =>
          call(servers[i % 2].url, 'GET', `/api/v1/orders/${id}`, { token: t.token }),
        );
        report.check(
          'every paid order reads back Finished (Stripe webhook, TokenPay callback, and those paid again after a failed attempt)',
          [...paidAnswers, ...repaidAnswers].every(
            (x) => x.status === 200 && x.body === JSON.stringify({ received: true }),
          ) &&
            paidStates.every((r) => r.body?.state === 'Finished') &&
            paidStates.length === PAY_CREATED + PAY_SANDBOX + FAIL_THEN_PAY + PAY_MERCHANT,
          `webhooks ${formatHistogram(histogram([...paidAnswers, ...repaidAnswers].map((x) => x.status)))}; states ${formatHistogram(histogram(paidStates.map((r) => String(r.body?.state))))}`,
        );
        const stray = [
          ...px.hops.filter((h) => !['create', 'seed001', 'repay'].includes(h.phase)),
          ...tp.hops.filter((h) => h.phase !== 'merchant'),
        ];
        report.check(
          'no provider request was made but by a creation or a payment opening (none by replays, reuse, duplicates, reads, webhooks, callbacks)',
          stray.length === 0,
          `${stray.length} requests${stray[0] ? `; e.g. ${stray[0].phase} ${stray[0].method} ${stray[0].path}` : ''}`,
        );

        // ---------------------------------------------------------------------------------------
        // Across all phases: what the clients got

        const all = calls;
        // These figures cover every call (the repay phase included); they head the scenario's figures.
        const generalFrom = report.data.figures.length;
        const statuses = histogram(
          all.map((x) => (x.answer.status === 0 ? `error ${x.answer.error}` : x.answer.status)),
        );
        const failures = all.filter((x) => x.answer.status >= 300 || x.answer.status === 0);
        report.figure('requests to paymux (all phases)', all.length);
        const hopsOf = (phase: string): Hop[] => [...px.inPhase(phase), ...tp.inPhase(phase)];
        report.figure('requests to Stripe (through its proxy)', px.hops.length);
        report.figure('what the Stripe proxy did', formatHistogram(histogram(px.hops.map((h) => h.fault))));
        report.figure('requests to TokenPay (through its proxy)', tp.hops.length);
        report.figure('what the TokenPay proxy did', formatHistogram(histogram(tp.hops.map((h) => h.fault))));
        report.figure('creation burst wall time', ms(createWall));
        report.figure('HTTP statuses (all phases)', formatHistogram(statuses));
        report.figure(
          'forwarded or 500 answers that reached paymux after its deadline (machine load; answered provider_timeout)',
          `${createTally.lateByLoad} creations, ${seedLate} order payment API calls, ${merchantTally.lateByLoad} merchant payments (tolerated: ≤ ${LOAD_TOLERANCE * 100}% of each)`,
        );
        report.figure(
          'answers by process (status)',
          ['A', 'B']
            .map(
              (n) =>
                `${n}: ${formatHistogram(histogram(all.filter((x) => x.server === n).map((x) => x.answer.status)))}`,
            )
            .join('; '),
        );
        report.figure(
          'error codes (all phases)',
          formatHistogram(histogram(failures.map((x) => codeOf(x.answer)))),
        );
        report.data.figures.unshift(...report.data.figures.splice(generalFrom));
        report.table(
          'Answers by phase',
          ['phase', 'requests', 'statuses', 'error codes', 'provider requests'],
          ['create', 'replay', 'seed001', 'reuse', 'merchant', 'merchant-dup', 'repay'].map((phase) => {
            const list = all.filter((x) => x.phase === phase);
            return [
              phase,
              list.length,
              formatHistogram(histogram(list.map((x) => x.answer.status))),
              formatHistogram(
                histogram(list.filter((x) => x.answer.status >= 300).map((x) => codeOf(x.answer))),
              ),
              hopsOf(phase).length,
            ];
          }),
        );

        const bad5xx = all.filter(
          (x) => x.answer.status === 0 || (x.answer.status >= 500 && x.answer.status !== 502),
        );
        report.check(
          'no answer was a 5xx other than 502, and none was a network error',
          bad5xx.length === 0,
          bad5xx.length === 0
            ? formatHistogram(statuses)
            : bad5xx
                .slice(0, 3)
                .map((x) => `${x.phase} ${x.answer.status} ${x.answer.error ?? x.answer.text.slice(0, 200)}`)
                .join('; '),
        );
        const unexpected = all.filter(
          (x) =>
            x.phase !== 'merchant-dup' &&
            (![200, 201, 502].includes(x.answer.status) || (x.answer.status === 200 && x.phase === 'create')),
        );
        report.check(
          'every answer is 201 (created), 200 (replay, order payment API or merchant success) or 502 (provider failure): no 4xx for a provider failure',
          unexpected.length === 0,
          unexpected.length === 0
            ? formatHistogram(statuses)
            : unexpected
                .slice(0, 3)
                .map((x) => `${x.phase} ${x.answer.status} ${x.answer.text.slice(0, 200)}`)
                .join('; '),
        );

        const leaked = all.filter(
          (x) =>
            x.answer.text.includes(SECRET_KEY) ||
            x.answer.text.includes(WEBHOOK_SECRET) ||
            x.answer.text.includes(TOKENPAY_ACCOUNT.appSecret),
        );
        report.check(
          "no answer carries the tenant's provider secrets",
          leaked.length === 0,
          `${leaked.length} answers`,
        );

        // Timeouts are bounded by PROVIDER_TIMEOUT_MS, not by the provider.
        const timeoutCalls = all.filter(
          (x) =>
            x.answer.status === 502 &&
            (x.answer.body?.code === 'provider_timeout' ||
              /did not answer in time/.test(String(x.answer.body?.msg ?? x.answer.body?.message))),
        );
        const slowest = Math.max(0, ...timeoutCalls.map((x) => x.answer.ms));
        const fastest = Math.min(...timeoutCalls.map((x) => x.answer.ms));
        report.check(
          `every provider_timeout answered after ≥ ${PROVIDER_TIMEOUT_MS} ms and before the proxy let go (${HOLD_MS} ms)`,
          timeoutCalls.length > 0 && fastest >= PROVIDER_TIMEOUT_MS - 20 && slowest < HOLD_MS,
          `${timeoutCalls.length} timeouts answered in ${ms(fastest)} .. ${ms(slowest)}`,
        );
        const heldHops = [...px.hops, ...tp.hops].filter((h) => isHeld(h.fault));
        const notAbandoned = heldHops.filter(
          (h) => h.abandonedAfterMs === null || h.abandonedAfterMs >= HOLD_MS,
        );
        report.check(
          'paymux closed every held provider connection itself, before the proxy let go (no socket left hanging)',
          heldHops.length > 0 && notAbandoned.length === 0,
          `${heldHops.length} held; closed by paymux after ${ms(Math.min(...heldHops.map((h) => h.abandonedAfterMs ?? Infinity)))} .. ${ms(Math.max(...heldHops.map((h) => h.abandonedAfterMs ?? Infinity)))}`,
        );

        // ---------------------------------------------------------------------------------------
        // The database, in SQL, against the answers and the fake's sessions.

        const orders = await db.q<{
          id: string;
          state: string;
          pay_id: string | null;
          pay_url: string | null;
          payments: number;
          created_rows: number;
          transitions: number;
          newest_ref: string | null;
          newest_url: string | null;
          credits: number;
          succeeded: number;
        }>(
          `SELECT o.id, o.state, o.pay_id, o.pay_url,
                  (SELECT count(*)::int FROM payments p WHERE p.order_id = o.id) AS payments,
                  (SELECT count(*)::int FROM order_transitions x WHERE x.order_id = o.id AND x.from_state IS NULL AND x.to_state = 'Pending') AS created_rows,
                  (SELECT count(*)::int FROM order_transitions x WHERE x.order_id = o.id) AS transitions,
                  (SELECT p.provider_ref FROM payments p WHERE p.order_id = o.id ORDER BY p.created_at DESC LIMIT 1) AS newest_ref,
                  (SELECT p.action->>'url' FROM payments p WHERE p.order_id = o.id ORDER BY p.created_at DESC LIMIT 1) AS newest_url,
                  (SELECT count(*)::int FROM ledger_entries l WHERE l.order_id = o.id AND l.kind = 'credit') AS credits,
                  (SELECT count(*)::int FROM payments p WHERE p.order_id = o.id AND p.status = 'succeeded') AS succeeded
             FROM orders o WHERE o.tenant_id = $1`,
          [t.tenantId],
        );
        const payments = await db.q<{
          id: string;
          order_id: string;
          provider: string;
          status: string;
          provider_ref: string | null;
          url: string | null;
          order_exists: boolean;
        }>(
          `SELECT p.id, p.order_id, p.provider, p.status, p.provider_ref, p.action->>'url' AS url,
                  EXISTS (SELECT 1 FROM orders o WHERE o.id = p.order_id AND o.tenant_id = p.tenant_id) AS order_exists
             FROM payments p`,
        );
        const idem = await db.q<{ key: string; order_id: string; order_exists: boolean }>(
          `SELECT k.key, k.order_id, EXISTS (SELECT 1 FROM orders o WHERE o.id = k.order_id AND o.tenant_id = k.tenant_id) AS order_exists
             FROM idempotency_keys k`,
        );
        const transitionsTotal = await db.n(`SELECT count(*)::int AS n FROM order_transitions`);
        const orphanTransitions = await db.n(
          `SELECT count(*)::int AS n FROM order_transitions x WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = x.order_id)`,
        );
        report.figure(
          'rows checked',
          `${orders.length} orders, ${payments.length} payments, ${idem.length} idempotency keys, ${transitionsTotal} history rows, ${await db.n('SELECT count(*)::int AS n FROM notifications')} notifications`,
        );

        const dbIds = new Set(orders.map((o) => o.id));
        const expectedIds = new Set([...createdIds, ...sandboxIds, ...merchantIds]);
        report.check(
          'the orders in the database are exactly those answered 201 / 200 (no order from a failed creation)',
          sameSet(dbIds, expectedIds),
          `${dbIds.size} in the database; answered 201: ${createdIds.size} Stripe + ${sandboxIds.length} Sandbox, 200: ${merchantIds.length} merchant; ${[...dbIds].filter((id) => !expectedIds.has(id)).length} unexpected, ${[...expectedIds].filter((id) => !dbIds.has(id)).length} missing`,
        );
        const failedOrderIds = [...createHops, ...merchantHops]
          .filter((h) => h.fault !== 'pass')
          .map((h) => h.orderId ?? '');
        const failedInDb = failedOrderIds.filter(
          (id) => dbIds.has(id) || payments.some((p) => p.order_id === id),
        );
        report.check(
          'no order and no payment row exists for any creation (POST /api/v1/orders, POST /v1/payment) whose provider call failed',
          failedInDb.length === 0 && failedOrderIds.length > 0,
          `${failedOrderIds.length} failed creations; ${failedInDb.length} with rows`,
        );
        const halfWritten = orders.filter(
          (o) =>
            o.payments === 0 ||
            o.created_rows !== 1 ||
            o.transitions !== (o.state === 'Finished' ? 3 : 1) ||
            o.pay_id === null ||
            o.pay_id !== o.newest_ref ||
            o.pay_url !== o.newest_url,
        );
        report.check(
          'no half-written order: each has its payment attempt, its creation history row, and pay_id / pay_url of its newest attempt',
          halfWritten.length === 0 && orphanTransitions === 0,
          `${orders.length - halfWritten.length}/${orders.length} whole; ${orphanTransitions} history rows without an order${halfWritten[0] ? `; e.g. ${JSON.stringify(halfWritten[0])}` : ''}`,
        );
        report.check(
          'every payment row belongs to an existing order',
          payments.every((p) => p.order_exists),
          `${payments.filter((p) => !p.order_exists).length} orphans`,
        );

        const stripeRows = payments.filter((p) => p.provider === 'stripe');
        // The sessions the clients were told about: 201 pay_id, and the order payment API's 200s
        // (paired above).
        const toldOk = new Set<string>([
          ...createdList.map((o) => String(o.pay_id)),
          ...sessionOfSandbox.values(),
          ...repaid.map((r) => r.newSession).filter((x) => x),
        ]);
        const rowSessions = new Set(stripeRows.map((p) => p.provider_ref));
        report.check(
          'the Stripe payment rows are exactly the sessions paymux answered with (201 pay_id, order payment API jump_url), one row each',
          sameSet(rowSessions, toldOk) && rowSessions.size === stripeRows.length,
          `${stripeRows.length} Stripe payment rows, ${rowSessions.size} distinct sessions, ${toldOk.size} sessions given to clients`,
        );
        const lost = px.hops.filter((h) => h.ref && !toldOk.has(h.ref));
        const lostReferenced = lost.filter(
          (h) => rowSessions.has(h.ref) || orders.some((o) => o.pay_id === h.ref),
        );
        report.figure(
          'sessions made at Stripe whose answer never reached the client (held past the timeout, or late by load)',
          `${lost.length} (for ${new Set(lost.map((h) => h.orderId)).size} orders, ${lost.filter((h) => dbIds.has(h.orderId ?? '')).length} of them existing orders paid through the order payment API)`,
        );
        report.check(
          'no payment row or order points at a session made at Stripe whose call the client was told failed',
          lost.length > 0 &&
            lost.every((h) => stripe.sessions.has(h.ref ?? '')) &&
            lostReferenced.length === 0,
          `${lost.length} such sessions at the fake, ${lostReferenced.length} referenced`,
        );
        const expectedStatus = (ref: string | null): string => {
          const s = ref ? stripe.sessions.get(ref) : undefined;
          if (!s) return 'no session';
          if (s.status === 'expired') return 'expired';
          if (s.status === 'complete' && s.payment_status === 'paid') return 'succeeded';
          if (s.status === 'complete') return 'failed';
          return 'pending';
        };
        const disagree = stripeRows.filter(
          (p) =>
            p.status !== expectedStatus(p.provider_ref) ||
            p.url !== stripe.sessions.get(p.provider_ref ?? '')?.url,
        );
        report.figure(
          'Stripe payment rows by status',
          formatHistogram(histogram(stripeRows.map((p) => p.status))),
        );
        report.check(
          'every Stripe payment row agrees with its session at the fake (open → pending, paid → succeeded, expired, async failed → failed) and keeps its URL',
          disagree.length === 0,
          `${stripeRows.length - disagree.length}/${stripeRows.length}${disagree[0] ? `; e.g. ${JSON.stringify(disagree[0])} vs ${expectedStatus(disagree[0].provider_ref)}` : ''}`,
        );
        const tpRows = payments.filter((p) => p.provider === 'tokenpay');
        const tpToldOk = new Set(
          merchantHops.filter((h) => h.ref && mWonIds.has(h.orderId ?? '')).map((h) => h.ref),
        );
        const tpRowRefs = new Set(tpRows.map((p) => p.provider_ref));
        const tpLost = tp.hops.filter((h) => h.ref && !tpToldOk.has(h.ref));
        report.check(
          'the TokenPay payment rows are exactly the prepayments of the merchant payments answered 200, one row each; none for a call answered 502',
          sameSet(tpRowRefs, tpToldOk) &&
            tpRowRefs.size === tpRows.length &&
            tpLost.length > 0 &&
            tpLost.every((h) => !tpRowRefs.has(h.ref) && tpFake.byOutTradeNo(h.ref ?? '') !== undefined),
          `${tpRows.length} TokenPay payment rows, ${tpToldOk.size} prepayments of 200 answers, ${tpLost.length} made at TokenPay for calls answered 502 (none recorded)`,
        );
        const tpDisagree = tpRows.filter((p) => {
          const tx = tpFake.byOutTradeNo(p.provider_ref ?? '');
          const want =
            tx?.trade_state === 'SUCCESS' ? 'succeeded' : tx?.trade_state === 'NOTPAY' ? 'pending' : 'other';
          const hop = tp.hops.find((h) => h.ref === p.provider_ref);
          return p.status !== want || p.url !== tpPayUrl(hop);
        });
        report.check(
          'every TokenPay payment row agrees with its prepayment at the fake (NOTPAY → pending, SUCCESS → succeeded) and keeps its payment_url',
          tpDisagree.length === 0,
          `${tpRows.length - tpDisagree.length}/${tpRows.length}; ${formatHistogram(histogram(tpRows.map((p) => p.status)))}`,
        );
        const perSandbox = sandboxIds.map((id) => stripeRows.filter((p) => p.order_id === id).length);
        report.check(
          'each Sandbox order has exactly one Stripe attempt, however many order payment API calls failed before it opened',
          perSandbox.every((n) => n === 1),
          `Stripe rows per Sandbox order: ${formatHistogram(histogram(perSandbox))}`,
        );
        const repaidRows = repaid.map((r) =>
          payments
            .filter((p) => p.order_id === r.orderId)
            .map(
              (p) =>
                `${p.provider_ref === r.sessionId ? 'first' : p.provider_ref === r.newSession ? 'second' : 'other'}:${p.status}`,
            )
            .sort()
            .join(','),
        );
        report.check(
          'an order paid again has its failed attempt (expired / failed) and its succeeded one, nothing else',
          repaid.every((r, j) => repaidRows[j] === `first:${r.how},second:succeeded`),
          formatHistogram(histogram(repaidRows)),
        );

        const keyRows = new Map(idem.map((k) => [k.key, k]));
        const winners = keyedOutcome.filter((k) => k.won);
        report.check(
          'no idempotency key points nowhere; the keys are exactly those of the keyed creations that got 201, each on its order',
          idem.every((k) => k.order_exists) &&
            idem.length === winners.length &&
            winners.every((k) => keyRows.get(k.key)?.order_id === k.won?.answer.body?.id),
          `${idem.length} keys, ${idem.filter((k) => !k.order_exists).length} dangling, ${winners.length} keyed creations won`,
        );

        const finished = orders.filter((o) => o.state === 'Finished');
        report.figure('order states', formatHistogram(histogram(orders.map((o) => o.state))));
        report.check(
          'exactly the paid orders are Finished, each with one succeeded payment and one credit (none for merchant orders); the rest are Pending',
          sameSet(new Set(finished.map((o) => o.id)), new Set(paidIds)) &&
            finished.every((o) => o.succeeded === 1 && o.credits === (creditedIds.includes(o.id) ? 1 : 0)) &&
            orders.every(
              (o) =>
                o.state === 'Finished' || (o.state === 'Pending' && o.succeeded === 0 && o.credits === 0),
            ),
          formatHistogram(
            histogram(orders.map((o) => `${o.state} (${o.succeeded} succeeded, ${o.credits} credits)`)),
          ),
        );
        const [sum] = await db.q<{ balance: string; ledger: string }>(
          `SELECT a.balance::text AS balance,
                  (SELECT coalesce(sum(l.amount), 0)::text FROM ledger_entries l WHERE l.application_id = a.id) AS ledger
             FROM applications a WHERE a.id = $1`,
          [t.applicationId],
        );
        report.check(
          'the balance equals the ledger sum and 500 credits per credited (platform) order',
          Number(sum.balance) === Number(sum.ledger) && Number(sum.balance) === 500 * creditedIds.length,
          `balance ${sum.balance}, ledger ${sum.ledger}, ${creditedIds.length} × 500`,
        );
        const notes = await db.q<{ order_id: string; event: string; order_exists: boolean }>(
          `SELECT n.order_id, n.event, EXISTS (SELECT 1 FROM orders o WHERE o.id = n.order_id) AS order_exists FROM notifications n`,
        );
        const mPaidIds = new Set(mToPay.map((m) => m.orderId));
        report.figure('merchant notifications queued', formatHistogram(histogram(notes.map((n) => n.event))));
        report.check(
          'merchant notifications were queued only for merchant orders that changed state (paid), none for a failed creation',
          notes.every((n) => n.order_exists && mPaidIds.has(n.order_id)) &&
            [...mPaidIds].every((id) => notes.some((n) => n.order_id === id)),
          `${notes.length} notifications for ${new Set(notes.map((n) => n.order_id)).size} orders; ${mPaidIds.size} merchant orders paid`,
        );
        report.check(
          'both processes are still up',
          a.running() && b.running(),
          `A ${a.running()}, B ${b.running()}`,
        );
        report.note(
          `A "late" failure leaves an open session at the provider that paymux never recorded (${lost.length} Checkout Sessions at Stripe, ${tpLost.length} prepayments at TokenPay here): no client ever got its URL, so no payer can reach it, and the provider expires it on its own. A callback about one would find no payment and be recorded as ignored.`,
        );
        report.note(
          'The merchant tenant pins its routing priority to [tokenpay]: with the default priority and the Sandbox switched on, a failing TokenPay call falls back to the Sandbox and the merchant never sees the 502.',
        );
      },
    ));
});
