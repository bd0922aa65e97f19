/**
 * `npm run bench`: autocannon against the built paymux server on a fresh PostgreSQL database.
 *
 *   1. order creation with Sandbox        POST /api/v1/orders/ (Bearer JWT)
 *   2. sandbox confirmation to Finished   POST /api/v1/sandbox/payments/<pay_id>/complete, one distinct
 *                                         Pending order (created by scenario 1) per request
 *   3. the ceiling                        a bare node:http server doing one INSERT per request into the
 *                                         same database (scripts/bench-ceiling.ts)
 *
 * Each: BENCH_CONNECTIONS (50) connections for BENCH_DURATION (15) s after a BENCH_WARMUP (3) s warm-up.
 * Writes req/s, p50/p99 latency, peak RSS and the ratio to the ceiling to BENCHMARKS.md.
 *
 * Then, on a freshly started server over the same database (skipped with BENCH_SKIP_BIG=1):
 *   4. CSV export of 100,000 orders       GET /api/v1/admin/orders/export.csv?tenant_id=<one tenant>, the
 *                                         orders seeded with one INSERT ... SELECT generate_series; rows
 *                                         counted, the server's peak RSS growth (VmRSS sampled) against
 *                                         BENCH_EXPORT_RSS_GOAL_MIB (100)
 *   5. dashboard over 1,000,000 orders    GET /api/v1/admin/dashboard (every tenant, last 30 days and 91
 *                                         days) and GET /api/v1/dashboard (one tenant, last 30 days), the
 *                                         median of BENCH_DASHBOARD_CALLS (5) calls each, after seeding
 *                                         1,000,000 more orders over 90 days (10 tenants, 6 providers, 8 states)
 *
 * Env: BENCH_PG_URL (admin connection, default postgres://postgres@127.0.0.1:5432/postgres),
 *      BENCH_DIST (the built tree holding src/main.js, default dist), BENCH_SKIP_BUILD=1 (use it as is),
 *      BENCH_DURATION, BENCH_WARMUP, BENCH_CONNECTIONS, BENCH_OUTPUT (default BENCHMARKS.md),
 *      BENCH_SKIP_BIG=1 (skip scenarios 4 and 5), BENCH_EXPORT_ORDERS (100000), BENCH_DASHBOARD_ORDERS
 *      (1000000), BENCH_DASHBOARD_CALLS (5), BENCH_EXPORT_RSS_GOAL_MIB (100).
 *
 * Exit status: 0 when the run completed (whether or not the target is met), 1 on a setup or run
 * failure, 2 when the post-run consistency check over SQL fails (or the export's row count or the
 * dashboard's order count differs from SQL's).
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import * as os from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import ts from 'typescript';

// ---------------------------------------------------------------------------------------------
// autocannon (ships no types): the part of its API used here.

interface AcRequestData {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}
type AcContext = Record<string, unknown>;
interface AcRequest extends AcRequestData {
  setupRequest?: (req: AcRequestData, context: AcContext) => AcRequestData;
  onResponse?: (status: number, body: string, context: AcContext) => void;
}
interface AcClient extends EventEmitter {
  reqsMade: number;
  responseMax?: number;
}
interface AcOptions {
  url: string;
  connections: number;
  duration: number;
  timeout: number;
  requests: AcRequest[];
  setupClient: (client: AcClient) => void;
}
interface AcHistogram {
  average: number;
  mean: number;
  stddev: number;
  min: number;
  max: number;
  total: number;
  p50: number;
  p90: number;
  p97_5: number;
  p99: number;
}
interface AcResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  statusCodeStats: Record<string, { count: number }>;
  latency: AcHistogram;
  requests: AcHistogram;
}
interface AcInstance extends EventEmitter {
  stop(): void;
}
type Autocannon = (opts: AcOptions, cb: (err: Error | null, result: AcResult) => void) => AcInstance;

const autocannon = createRequire(__filename)('autocannon') as Autocannon;

// ---------------------------------------------------------------------------------------------
// Settings

const ROOT = resolve(__dirname, '..');

function intEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got ${raw}`);
  return n;
}

const ADMIN_URL = process.env.BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const DIST_DIR = resolve(ROOT, process.env.BENCH_DIST || 'dist');
const SKIP_BUILD = process.env.BENCH_SKIP_BUILD === '1';
const DURATION_S = intEnv('BENCH_DURATION', 15, 1);
const WARMUP_S = intEnv('BENCH_WARMUP', 3, 0);
const CONNECTIONS = intEnv('BENCH_CONNECTIONS', 50, 1);
const OUTPUT = resolve(ROOT, process.env.BENCH_OUTPUT || 'BENCHMARKS.md');
const POOL_SIZE = 20;
/** API_RATE_LIMIT for the server under test: far above what a run can send in one window. */
const RATE_LIMIT = 1_000_000_000;
const TARGET_RATIO = 0.35;
const TARGET_P99_MS = 30;
const SKIP_BIG = process.env.BENCH_SKIP_BIG === '1';
const EXPORT_ORDERS = intEnv('BENCH_EXPORT_ORDERS', 100_000, 1);
const DASHBOARD_ORDERS = intEnv('BENCH_DASHBOARD_ORDERS', 1_000_000, 1);
const DASHBOARD_CALLS = intEnv('BENCH_DASHBOARD_CALLS', 5, 1);
const EXPORT_RSS_GOAL_MIB = intEnv('BENCH_EXPORT_RSS_GOAL_MIB', 100, 1);
/** Tenants the dashboard's orders are spread over (the bench tenant is one of them). */
const DASHBOARD_TENANTS = 10;

// ---------------------------------------------------------------------------------------------
// Cleanup: every child process and the database, on success, failure or Ctrl-C.

const cleanups: { name: string; run: () => Promise<void> }[] = [];
let cleaning: Promise<void> | undefined;

function onCleanup(name: string, run: () => Promise<void>): void {
  cleanups.push({ name, run });
}

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length > 0) {
      const c = cleanups.pop();
      if (!c) break;
      try {
        await c.run();
      } catch (err) {
        log(`cleanup (${c.name}) failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

// ---------------------------------------------------------------------------------------------
// Processes

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() =>
        typeof addr === 'object' && addr ? resolvePort(addr.port) : reject(new Error('no free port')),
      );
    });
  });
}

interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  output(): string;
  stop(): Promise<void>;
}

/** Spawn a child whose output is kept (last 64 KiB) for error reports; registered for cleanup. */
function startChild(name: string, args: string[], env: NodeJS.ProcessEnv): Child {
  const proc = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (proc.pid === undefined) throw new Error(`${name} did not start`);
  let out = '';
  const keep = (c: Buffer): void => {
    out = (out + c.toString('utf8')).slice(-65536);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const stop = async (): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGTERM');
    const killer = setTimeout(() => proc.kill('SIGKILL'), 10000);
    await exited;
    clearTimeout(killer);
  };
  onCleanup(`stop ${name}`, stop);
  return { name, proc, pid: proc.pid, output: () => out, stop };
}

async function waitReady(child: Child, url: string, timeoutMs = 90000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.proc.exitCode !== null)
      throw new Error(`${child.name} exited with ${child.proc.exitCode}:\n${child.output()}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`${child.name} not ready after ${timeoutMs} ms:\n${child.output()}`);
    await sleep(200);
  }
}

const loadAverage = (): string =>
  os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const CLK_TCK = ((): number => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return r.status === 0 && Number.isInteger(n) && n > 0 ? n : 100;
})();

/**
 * What a process uses during a measured run: peak VmRSS sampled every 200 ms from /proc/<pid>/status,
 * and CPU time (user + system) from /proc/<pid>/stat. Linux only; elsewhere both are null.
 */
class ProcessSampler {
  private peakKb = 0;
  private cpuStart: number | null = null;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 200,
  ) {}

  /** The process's VmRSS now, in MiB (null without /proc). */
  static rssMiB(pid: number): number | null {
    try {
      const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : null;
    } catch {
      return null;
    }
  }

  start(): void {
    this.peakKb = 0;
    this.cpuStart = this.cpuMs();
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
  }

  stop(): { peakRssMiB: number | null; cpuMs: number | null } {
    clearInterval(this.timer);
    this.sample();
    const end = this.cpuMs();
    return {
      peakRssMiB: this.peakKb > 0 ? this.peakKb / 1024 : null,
      cpuMs: end !== null && this.cpuStart !== null ? end - this.cpuStart : null,
    };
  }

  private sample(): void {
    try {
      const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      if (m) this.peakKb = Math.max(this.peakKb, Number(m[1]));
    } catch {
      // no /proc (not Linux) or the process is gone
    }
  }

  private cpuMs(): number | null {
    try {
      const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
      // Fields after "(comm)": state is field 3, utime 14, stime 15.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
    } catch {
      return null;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP set-up calls

async function call(
  base: string,
  method: string,
  path: string,
  body: unknown,
  expect: number,
  token?: string,
): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(base + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== expect)
    throw new Error(`${method} ${path}: expected ${expect}, got ${res.status}: ${text}`);
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null)
    throw new Error(`${method} ${path}: not an object: ${text}`);
  return parsed as Record<string, unknown>;
}

function str(obj: Record<string, unknown>, key: string): string {
  const v = obj[key];
  if (typeof v !== 'string' || v === '')
    throw new Error(`expected a string ${key} in ${JSON.stringify(obj)}`);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Load

interface LoadSpec {
  url: string;
  seconds: number;
  request: AcRequest;
  /** Stop issuing requests once this is true (e.g. the pool of orders is used up). */
  exhausted?: () => boolean;
}

interface LoadResult {
  ac: AcResult;
  /** From the first request to the last response. */
  elapsedS: number;
  completed: number;
  ok: number;
  errors: number;
  /** 2xx responses per second over elapsedS. */
  rps: number;
  stoppedEarly: boolean;
}

/**
 * One autocannon run. Rather than autocannon's own duration (which drops the requests in flight when
 * time is up), each connection stops issuing requests once the time is up or the work is exhausted and
 * the run ends when every connection has had its last answer: every request sent is answered and
 * counted, which the scenario-2 SQL check relies on.
 */
let activeRun: AcInstance | undefined;
onCleanup('stop autocannon', () => Promise.resolve(activeRun?.stop()));

async function load(spec: LoadSpec): Promise<LoadResult> {
  const start = performance.now();
  const deadline = start + spec.seconds * 1000;
  let last = start;
  let stoppedEarly = false;
  const ac = await new Promise<AcResult>((resolveRun, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        connections: CONNECTIONS,
        duration: spec.seconds + 60, // safety net only: the run ends through responseMax below
        timeout: 10,
        requests: [spec.request],
        setupClient: (client) => {
          client.on('response', () => {
            last = performance.now();
            const exhausted = spec.exhausted?.() ?? false;
            if (exhausted && last < deadline) stoppedEarly = true;
            // Checked before autocannon builds this connection's next request: no further request.
            if (last >= deadline || exhausted) client.responseMax = client.reqsMade;
          });
        },
      },
      (err, result) => {
        activeRun = undefined;
        if (err) reject(err);
        else resolveRun(result);
      },
    );
    activeRun = instance;
  });
  const elapsedS = Math.max(0.001, (last - start) / 1000);
  const errors = ac.non2xx + ac.errors;
  return {
    ac,
    elapsedS,
    completed: ac.requests.total,
    ok: ac['2xx'],
    errors,
    rps: ac['2xx'] / elapsedS,
    stoppedEarly,
  };
}

interface Scenario {
  key: string;
  title: string;
  endpoint: string;
  result: LoadResult;
  peakRssMiB: number | null;
  /** CPU time of the process under test per completed request. */
  cpuMsPerRequest: number | null;
  notes: string[];
}

async function measured(
  key: string,
  title: string,
  endpoint: string,
  pid: number,
  admin: Client,
  spec: Omit<LoadSpec, 'seconds'>,
): Promise<Scenario> {
  if (WARMUP_S > 0) {
    log(`${title}: warm-up ${WARMUP_S} s`);
    await load({ ...spec, seconds: WARMUP_S });
  }
  await admin.query('CHECKPOINT');
  log(`${title}: ${CONNECTIONS} connections, ${DURATION_S} s`);
  const sampler = new ProcessSampler(pid);
  sampler.start();
  const result = await load({ ...spec, seconds: DURATION_S });
  const { peakRssMiB, cpuMs } = sampler.stop();
  const cpuMsPerRequest = cpuMs !== null && result.completed > 0 ? cpuMs / result.completed : null;
  log(
    `${title}: ${result.rps.toFixed(0)} req/s, p50 ${result.ac.latency.p50} ms, p99 ${result.ac.latency.p99} ms, ` +
      `${result.ok} ok, ${result.errors} errors, load average ${loadAverage()}`,
  );
  return { key, title, endpoint, result, peakRssMiB, cpuMsPerRequest, notes: [] };
}

// ---------------------------------------------------------------------------------------------
// Main

interface Consistency {
  finishedOrders: number;
  appliedResponses: number;
  ledgerSum: string;
  balanceSum: string;
  creditEntries: number;
  succeededPayments: number;
  ok: boolean;
}

async function main(): Promise<number> {
  const startedAt = new Date();
  const loadAtStart = loadAverage();
  if (!SKIP_BUILD) {
    // `npm run build` writes dist/; a BENCH_DIST elsewhere is built there with plain tsc.
    const [cmd, ...args] =
      DIST_DIR === resolve(ROOT, 'dist')
        ? ['npm', 'run', 'build']
        : ['npx', 'tsc', '-p', 'tsconfig.build.json', '--outDir', DIST_DIR];
    log(`building: ${cmd} ${args.join(' ')}`);
    const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`build failed (exit ${r.status})`);
  }
  const mainJs = join(DIST_DIR, 'src', 'main.js');
  try {
    readFileSync(mainJs);
  } catch {
    throw new Error(`${mainJs} not found: build first, or unset BENCH_SKIP_BUILD`);
  }

  // -- the database
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  onCleanup('close admin connection', () => admin.end());
  const pgVersion = (await admin.query<{ version: string }>('SELECT version()')).rows[0].version;
  const dbName = `paymux_bench_${Date.now()}`;
  await admin.query(`CREATE DATABASE "${dbName}"`);
  onCleanup(`drop database ${dbName}`, async () => {
    try {
      await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    } catch {
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [
        dbName,
      ]);
      await admin.query(`DROP DATABASE IF EXISTS "${dbName}"`);
    }
    log(`dropped database ${dbName}`);
  });
  const dbUrl = new URL(ADMIN_URL);
  dbUrl.pathname = `/${dbName}`;
  const databaseUrl = dbUrl.toString();
  log(`database ${dbName}`);

  const baseEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    // A BENCH_DIST outside the repository still resolves the repository's node_modules.
    NODE_PATH: join(ROOT, 'node_modules'),
  };

  // -- paymux
  const port = await freePort();
  // A platform operator (created at start) for the admin routes of scenarios 4 and 5.
  const adminEmail = `bench-admin-${randomUUID()}@example.test`;
  const adminPassword = `bench-admin-${randomBytes(12).toString('hex')}`;
  const serverEnv: NodeJS.ProcessEnv = {
    ...baseEnv,
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    JWT_SECRET: randomBytes(36).toString('base64url'), // 48 characters
    PAYMUX_MASTER_KEY: randomBytes(32).toString('base64'),
    PAYMUX_SANDBOX: 'on',
    // A test platform, no real money: the Sandbox's unauthenticated completion route is what drives it.
    PAYMUX_SANDBOX_IN_PRODUCTION_ANYONE_CAN_PAY: 'true',
    PAYMUX_DEMO: 'off',
    EXPIRY_SWEEP_INTERVAL_MS: '0',
    DB_POOL_SIZE: String(POOL_SIZE),
    // All load is one tenant: the limit is set out of reach, so the limiter still counts every
    // request (its shared counter is part of the cost measured) but never answers 429.
    API_RATE_LIMIT: String(RATE_LIMIT),
    ADMIN_EMAIL: adminEmail,
    ADMIN_PASSWORD: adminPassword,
  };
  const server = startChild('paymux', [mainJs], { ...serverEnv, PORT: String(port) });
  const base = `http://127.0.0.1:${port}`;
  await waitReady(server, `${base}/health/ready`);
  log(`paymux ready on ${base} (pid ${server.pid})`);

  // -- set-up over HTTP
  const email = `bench-${randomUUID()}@example.test`;
  const password = `bench-${randomBytes(12).toString('hex')}`;
  await call(
    base,
    'POST',
    '/api/v1/auth/register',
    { email, password, name: 'Bench', tenant_name: 'Bench Co' },
    201,
  );
  const token = str(await call(base, 'POST', '/api/v1/auth/login', { email, password }, 200), 'access_token');
  const appId = str(
    await call(base, 'POST', '/api/v1/applications', { name: 'Bench app' }, 201, token),
    'id',
  );
  const pkgId = str(
    await call(
      base,
      'POST',
      '/api/v1/packages',
      { name: '500 credits', amount: 500, price: '49.99', currency: 'USD' },
      201,
      token,
    ),
    'id',
  );
  const orderBody = JSON.stringify({ application_id: appId, package_id: pkgId, pay_way: 'Sandbox' });
  const probe = await call(base, 'POST', '/api/v1/orders/', JSON.parse(orderBody), 201, token);
  if (probe.state !== 'Pending' || !str(probe, 'pay_id').startsWith('sbx_'))
    throw new Error(`unexpected order: ${JSON.stringify(probe)}`);

  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  onCleanup('close bench db connection', () => db.end());
  const count = async (sql: string): Promise<number> =>
    Number((await db.query<{ n: string }>(sql)).rows[0].n);

  // -- scenario 1: order creation
  const pool: string[] = [str(probe, 'pay_id')];
  const PAY_ID = /"pay_id":"(sbx_[A-Za-z0-9_-]+)"/;
  const s1 = await measured('create', 'Order creation (Sandbox)', 'POST /api/v1/orders/', server.pid, admin, {
    url: base,
    request: {
      method: 'POST',
      path: '/api/v1/orders/',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: orderBody,
      onResponse: (status, body) => {
        if (status !== 201) return;
        const m = PAY_ID.exec(body);
        if (m) pool.push(m[1]);
      },
    },
  });
  const pendingInDb = await count(`SELECT count(*) AS n FROM orders WHERE state = 'Pending'`);
  s1.notes.push(
    `${pendingInDb} Pending orders in the database after warm-up and run; ${pool.length} pay_ids collected from 201 responses.`,
  );
  if (pendingInDb !== pool.length)
    s1.notes.push('MISMATCH: the count of orders differs from the count of 201 responses.');

  // -- scenario 2: sandbox confirmation, one distinct Pending order per request
  const poolSize = pool.length;
  let applied = 0;
  let unexpected = 0;
  const s2 = await measured(
    'confirm',
    'Sandbox confirmation to Finished',
    'POST /api/v1/sandbox/payments/<pay_id>/complete',
    server.pid,
    admin,
    {
      url: base,
      exhausted: () => pool.length === 0,
      request: {
        method: 'POST',
        path: '/api/v1/sandbox/payments/sbx_none/complete',
        headers: { 'content-type': 'application/json' },
        body: '{"outcome":"succeeded"}',
        setupRequest: (req, context) => {
          // `exhausted` stops a connection before it asks for a request beyond the pool; an
          // unknown pay_id (404) would show up as an error.
          const payId = pool.pop() ?? 'sbx_exhausted';
          context.payId = payId;
          return { ...req, path: `/api/v1/sandbox/payments/${payId}/complete` };
        },
        onResponse: (status, body) => {
          if (status === 200 && body.includes('"result":"applied"')) applied++;
          else unexpected++;
        },
      },
    },
  );
  s2.notes.push(
    `Pool: ${poolSize} Pending orders from scenario 1; ${poolSize - pool.length} confirmed (warm-up included), ` +
      `${pool.length} left${s2.result.stoppedEarly ? '; the pool ran out before the time was up' : ''}.`,
  );
  if (unexpected > 0) s2.notes.push(`${unexpected} responses were not 200 with "result":"applied".`);

  const sums = (
    await db.query<{ ledger: string; balances: string; equal: boolean }>(
      `SELECT l.s::text AS ledger, b.s::text AS balances, l.s = b.s AS equal
         FROM (SELECT coalesce(sum(amount), 0) AS s FROM ledger_entries) l,
              (SELECT coalesce(sum(balance), 0) AS s FROM applications) b`,
    )
  ).rows[0];
  const consistency: Consistency = {
    finishedOrders: await count(`SELECT count(*) AS n FROM orders WHERE state = 'Finished'`),
    appliedResponses: applied,
    ledgerSum: sums.ledger,
    balanceSum: sums.balances,
    creditEntries: await count(`SELECT count(*) AS n FROM ledger_entries WHERE kind = 'credit'`),
    succeededPayments: await count(`SELECT count(*) AS n FROM payments WHERE status = 'succeeded'`),
    ok: false,
  };
  consistency.ok =
    consistency.finishedOrders === consistency.appliedResponses &&
    sums.equal &&
    consistency.creditEntries === consistency.finishedOrders &&
    consistency.succeededPayments === consistency.finishedOrders;
  log(
    `check: ${consistency.finishedOrders} Finished orders vs ${applied} "applied" responses; ` +
      `sum(ledger) ${sums.ledger} vs sum(balance) ${sums.balances}: ${consistency.ok ? 'OK' : 'FAILED'}`,
  );
  await server.stop();

  // -- scenario 3: the ceiling, a bare node:http server doing one INSERT per request
  await db.query(
    `CREATE TABLE bench_ceiling (id uuid PRIMARY KEY, payload jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
  );
  const ceilingJs = ts.transpileModule(readFileSync(join(__dirname, 'bench-ceiling.ts'), 'utf8'), {
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
    },
  }).outputText;
  const ceilingPort = await freePort();
  const ceiling = startChild('ceiling', ['-e', ceilingJs], {
    ...baseEnv,
    CEILING_DATABASE_URL: databaseUrl,
    CEILING_PORT: String(ceilingPort),
    CEILING_POOL_SIZE: String(POOL_SIZE),
  });
  const ceilingBase = `http://127.0.0.1:${ceilingPort}`;
  await waitReady(ceiling, `${ceilingBase}/health`);
  const s3 = await measured(
    'ceiling',
    'Ceiling: node:http + one INSERT',
    'POST / (bench-ceiling)',
    ceiling.pid,
    admin,
    {
      url: ceilingBase,
      request: {
        method: 'POST',
        path: '/',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: orderBody,
      },
    },
  );
  s3.notes.push(
    `${await count('SELECT count(*) AS n FROM bench_ceiling')} rows in bench_ceiling (warm-up included).`,
  );
  await ceiling.stop();

  // -- scenarios 4 and 5: the CSV export of 100,000 orders and the dashboard over 1,000,000
  const big = SKIP_BIG
    ? null
    : await bigScenarios({ mainJs, serverEnv, db, staffToken: token, adminEmail, adminPassword });

  // -- report
  const report = renderReport({
    startedAt,
    load: `${loadAtStart} at the start, ${loadAverage()} at the end`,
    pgVersion,
    scenarios: [s1, s2, s3],
    consistency,
    big,
  });
  writeFileSync(OUTPUT, report);
  process.stdout.write(`\n${renderSummary([s1, s2, s3])}\n`);
  process.stdout.write(`${targetLine(s1, s3)}\n`);
  process.stdout.write(`Consistency check: ${consistency.ok ? 'passed' : 'FAILED'}\n`);
  if (big) process.stdout.write(`\n${renderBigSummary(big)}\n\n${exportGoalLine(big.export)}\n`);
  process.stdout.write(`Written to ${OUTPUT}\n`);
  return consistency.ok && (!big || big.ok) ? 0 : 2;
}

// ---------------------------------------------------------------------------------------------
// Scenarios 4 and 5: seeded data in bulk

/**
 * `n` orders in one INSERT ... SELECT generate_series, created evenly (oldest first, as they would
 * arrive) over the `days` before `end`, round-robin over `tenants`; 6 provider/currency pairs and 8
 * states, 70% paid (Finished, Paid, Refunded) 30 s to 15 min after creation. The columns the order
 * list, the export and the dashboard read; no payments, ledger or history rows.
 */
async function seedOrders(
  db: Client,
  n: number,
  tenants: string[],
  days: number,
  end: Date,
): Promise<number> {
  const t0 = performance.now();
  await db.query(
    `INSERT INTO orders (id, tenant_id, amount, price, currency, pay_way, pay_id, state, expires_at, paid_at,
                         finished_at, created_at, updated_at)
     SELECT gen_random_uuid(), ($2::uuid[])[g.i % cardinality($2::uuid[]) + 1], 500, c.price, c.currency,
            c.pay_way, 'bench_' || g.i, s.state, t.created_at + interval '30 minutes',
            CASE WHEN s.paid THEN t.created_at + (30 + (g.i * 13) % 870) * interval '1 second' END,
            CASE WHEN s.state IN ('Finished', 'Refunded') THEN t.created_at + (31 + (g.i * 13) % 870) * interval '1 second' END,
            t.created_at, t.created_at
       FROM generate_series(0, $1::int - 1) AS g(i)
      CROSS JOIN LATERAL (SELECT $3::timestamptz - $4::int * interval '1 day'
                                 + g.i * ($4::int * interval '1 day' / $1::int) AS created_at) t
      CROSS JOIN LATERAL (SELECT (ARRAY['Stripe', 'AliPay', 'WechatPay', 'PayPal', 'X402', 'Sandbox'])[(g.i / 10) % 6 + 1] AS pay_way,
                                 (ARRAY['USD', 'CNY', 'CNY', 'EUR', 'USDC', 'JPY'])[(g.i / 10) % 6 + 1] AS currency,
                                 (ARRAY[49.99, 358.00, 358.00, 45.90, 49.99, 7500]::numeric[])[(g.i / 10) % 6 + 1] AS price) c
      CROSS JOIN LATERAL (SELECT (ARRAY['Finished', 'Finished', 'Finished', 'Finished', 'Finished', 'Paid',
                                        'Refunded', 'Expired', 'Cancelled', 'Failed'])[(g.i / 60) % 10 + 1] AS state) s0
      CROSS JOIN LATERAL (SELECT s0.state, s0.state IN ('Paid', 'Finished', 'Refunded') AS paid) s`,
    [n, tenants, end.toISOString(), days],
  );
  // What autovacuum would have done by the time anyone looks at months of orders.
  await db.query('VACUUM ANALYZE orders');
  return performance.now() - t0;
}

interface ExportResult {
  orders: number;
  rows: number;
  bytes: number;
  seedMs: number;
  seconds: number;
  rssBeforeMiB: number | null;
  peakRssMiB: number | null;
  growthMiB: number | null;
  met: boolean;
}

interface DashboardTiming {
  title: string;
  request: string;
  /** Orders the response counts in its range (totals.orders). */
  orders: number;
  /** The same count straight from SQL. */
  sqlOrders: number;
  ms: number[];
  medianMs: number;
  /** Scans of orders during its calls (warm-up included), per index (pg_stat_user_indexes). */
  scans: string;
}

interface BigResults {
  export: ExportResult;
  dashboard: { seedMs: number; totalOrders: number; timings: DashboardTiming[] };
  ok: boolean;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((x, y) => x - y);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

async function bigScenarios(c: {
  mainJs: string;
  serverEnv: NodeJS.ProcessEnv;
  db: Client;
  staffToken: string;
  adminEmail: string;
  adminPassword: string;
}): Promise<BigResults> {
  const { db } = c;
  // A fresh process: its memory is not what scenarios 1 and 2 left behind.
  const port = await freePort();
  const server = startChild('paymux (scenarios 4-5)', [c.mainJs], { ...c.serverEnv, PORT: String(port) });
  const base = `http://127.0.0.1:${port}`;
  await waitReady(server, `${base}/health/ready`);
  log(`paymux ready on ${base} (pid ${server.pid})`);
  const adminToken = str(
    await call(base, 'POST', '/api/v1/auth/login', { email: c.adminEmail, password: c.adminPassword }, 200),
    'access_token',
  );
  const staffTenant = str(
    (await call(base, 'GET', '/api/v1/auth/me', undefined, 200, c.staffToken)).tenant as Record<
      string,
      unknown
    >,
    'id',
  );
  let ok = true;

  // -- scenario 4: CSV export of EXPORT_ORDERS orders of one tenant
  const exportTenant = randomUUID();
  await db.query(`INSERT INTO tenants (id, name) VALUES ($1, 'Bench export')`, [exportTenant]);
  log(`export: seeding ${fmt(EXPORT_ORDERS)} orders`);
  const exportSeedMs = await seedOrders(db, EXPORT_ORDERS, [exportTenant], 30, new Date());
  /** Stream the export, counting records (no cell here holds a line break) without keeping the body. */
  const streamExport = async (tenantId: string): Promise<{ rows: number; bytes: number }> => {
    const res = await fetch(`${base}/api/v1/admin/orders/export.csv?tenant_id=${tenantId}`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    if (res.status !== 200 || !res.body) throw new Error(`export: HTTP ${res.status}: ${await res.text()}`);
    let lines = 0;
    let bytes = 0;
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      bytes += chunk.byteLength;
      for (const b of chunk) if (b === 0x0a) lines += 1;
    }
    return { rows: lines - 1, bytes }; // minus the header
  };
  // Warm-up: the bench tenant's few thousand orders through the same code path.
  await streamExport(staffTenant);
  await sleep(1000);
  const rssBeforeMiB = ProcessSampler.rssMiB(server.pid);
  const sampler = new ProcessSampler(server.pid, 50);
  sampler.start();
  const t0 = performance.now();
  const exported = await streamExport(exportTenant);
  const seconds = (performance.now() - t0) / 1000;
  const { peakRssMiB } = sampler.stop();
  const growthMiB =
    peakRssMiB !== null && rssBeforeMiB !== null ? Math.max(0, peakRssMiB - rssBeforeMiB) : null;
  const exportResult: ExportResult = {
    orders: EXPORT_ORDERS,
    rows: exported.rows,
    bytes: exported.bytes,
    seedMs: exportSeedMs,
    seconds,
    rssBeforeMiB,
    peakRssMiB,
    growthMiB,
    met: growthMiB !== null && growthMiB < EXPORT_RSS_GOAL_MIB && exported.rows === EXPORT_ORDERS,
  };
  if (exported.rows !== EXPORT_ORDERS) ok = false;
  log(
    `export: ${fmt(exported.rows)} rows, ${mib(exported.bytes / 1024 ** 2)} MiB in ${fmt(seconds, 2)} s; ` +
      `RSS ${mib(rssBeforeMiB)} -> peak ${mib(peakRssMiB)} MiB (growth ${mib(growthMiB)} MiB)`,
  );

  // -- scenario 5: the dashboard over DASHBOARD_ORDERS more orders, 90 days, 10 tenants
  const tenants = [staffTenant, ...Array.from({ length: DASHBOARD_TENANTS - 1 }, () => randomUUID())];
  for (const [i, id] of tenants.slice(1).entries())
    await db.query(`INSERT INTO tenants (id, name) VALUES ($1, $2)`, [id, `Bench dashboard ${i + 1}`]);
  log(`dashboard: seeding ${fmt(DASHBOARD_ORDERS)} orders over 90 days`);
  const dashboardSeedMs = await seedOrders(db, DASHBOARD_ORDERS, tenants, 90, new Date());
  const totalOrders = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM orders')).rows[0].n);
  await db.query('CHECKPOINT');

  const indexStats = async (): Promise<Map<string, number>> => {
    await sleep(1500); // backends report their counters about once a second
    await db.query('SELECT pg_stat_clear_snapshot()');
    const rows = (
      await db.query<{ name: string; n: string }>(
        `SELECT indexrelname AS name, idx_scan::text AS n FROM pg_stat_user_indexes WHERE relname = 'orders'
          UNION ALL SELECT '(sequential scans of orders)', seq_scan::text FROM pg_stat_user_tables WHERE relname = 'orders'`,
      )
    ).rows;
    return new Map(rows.map((r) => [r.name, Number(r.n)]));
  };
  const today = new Date().toISOString().slice(0, 10);
  const daysAgo = (n: number): string => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
  const sqlCount = async (from: string, tenantId?: string): Promise<number> =>
    Number(
      (
        await db.query<{ n: string }>(
          `SELECT count(*) AS n FROM orders WHERE created_at >= $1::date AT TIME ZONE 'UTC'
              AND created_at < ($2::date + 1) AT TIME ZONE 'UTC' AND ($3::uuid IS NULL OR tenant_id = $3)`,
          [from, today, tenantId ?? null],
        )
      ).rows[0].n,
    );
  const cases = [
    {
      title: 'every tenant, last 30 days (operator)',
      path: '/api/v1/admin/dashboard',
      token: adminToken,
      from: daysAgo(29),
      tenantId: undefined,
    },
    {
      title: 'one tenant, last 30 days (staff)',
      path: '/api/v1/dashboard',
      token: c.staffToken,
      from: daysAgo(29),
      tenantId: staffTenant,
    },
    {
      title: 'every tenant, last 91 days: every seeded order (operator)',
      path: '/api/v1/admin/dashboard',
      token: adminToken,
      from: daysAgo(90),
      tenantId: undefined,
    },
  ];
  const timings: DashboardTiming[] = [];
  for (const k of cases) {
    const statsBefore = await indexStats();
    const path = `${k.path}?from=${k.from}&to=${today}`;
    await call(base, 'GET', path, undefined, 200, k.token); // warm-up
    const ms: number[] = [];
    let orders = 0;
    for (let i = 0; i < DASHBOARD_CALLS; i++) {
      const t = performance.now();
      const body = await call(base, 'GET', path, undefined, 200, k.token);
      ms.push(performance.now() - t);
      orders = Number((body.totals as Record<string, unknown>).orders);
    }
    const statsAfter = await indexStats();
    const scans = [...statsAfter.entries()]
      .map(([name, n]) => ({ name, d: n - (statsBefore.get(name) ?? 0) }))
      .filter((x) => x.d > 0)
      .map((x) => `${x.name} ${fmt(x.d)}`)
      .join(', ');
    const sqlOrders = await sqlCount(k.from, k.tenantId);
    if (orders !== sqlOrders) ok = false;
    timings.push({
      title: k.title,
      request: `GET ${path}`,
      orders,
      sqlOrders,
      ms,
      medianMs: median(ms),
      scans,
    });
    log(`dashboard, ${k.title}: median ${fmt(median(ms))} ms over ${fmt(orders)} orders`);
  }
  await server.stop();
  return {
    export: exportResult,
    dashboard: { seedMs: dashboardSeedMs, totalOrders, timings },
    ok,
  };
}

// ---------------------------------------------------------------------------------------------
// Report

const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const mib = (n: number | null): string => (n === null ? 'n/a' : fmt(n, 1));
const pct = (n: number): string => `${fmt(n * 100, 1)}%`;

function ratio(s: Scenario, ceiling: Scenario): number {
  return ceiling.result.rps > 0 ? s.result.rps / ceiling.result.rps : 0;
}

function targetMet(create: Scenario, ceiling: Scenario): { met: boolean; why: string[] } {
  const why: string[] = [];
  const r = ratio(create, ceiling);
  if (r < TARGET_RATIO)
    why.push(`throughput is ${pct(r)} of the ceiling, below the ${pct(TARGET_RATIO)} target`);
  if (create.result.ac.latency.p99 >= TARGET_P99_MS)
    why.push(`p99 is ${create.result.ac.latency.p99} ms, not under ${TARGET_P99_MS} ms`);
  if (create.result.errors > 0) why.push(`${create.result.errors} requests failed`);
  return { met: why.length === 0, why };
}

function targetLine(create: Scenario, ceiling: Scenario): string {
  const t = targetMet(create, ceiling);
  return t.met
    ? `Target MET: order creation at ${pct(ratio(create, ceiling))} of the ceiling, p99 ${create.result.ac.latency.p99} ms.`
    : `Target MISSED: ${t.why.join('; ')}.`;
}

function renderSummary(scenarios: Scenario[]): string {
  const ceiling = scenarios[scenarios.length - 1];
  const rows = scenarios.map((s) => {
    const r = s.result;
    return [
      s.title,
      fmt(r.rps),
      String(r.ac.latency.p50),
      String(r.ac.latency.p99),
      mib(s.peakRssMiB),
      s.cpuMsPerRequest === null ? 'n/a' : fmt(s.cpuMsPerRequest, 2),
      fmt(r.completed),
      fmt(r.errors),
      s === ceiling ? '1.00 (ceiling)' : fmt(ratio(s, ceiling), 2),
    ];
  });
  const head = [
    'Scenario',
    'req/s',
    'p50 ms',
    'p99 ms',
    'peak RSS MiB',
    'server CPU ms/req',
    'requests',
    'errors',
    'vs ceiling',
  ];
  return [head, head.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

function renderScenario(s: Scenario, ceiling: Scenario): string {
  const r = s.result;
  const codes = Object.entries(r.ac.statusCodeStats)
    .map(([code, v]) => `${code}: ${fmt(v.count)}`)
    .join(', ');
  const lines = [
    `### ${s.title}`,
    '',
    `\`${s.endpoint}\``,
    '',
    '| Metric | Value |',
    '| --- | --- |',
    `| req/s (mean, 2xx responses / ${fmt(r.elapsedS, 2)} s) | ${fmt(r.rps)} |`,
    `| req/s (autocannon per-second mean, all responses) | ${fmt(r.ac.requests.mean)} |`,
    `| latency p50 (ms) | ${r.ac.latency.p50} |`,
    `| latency p99 (ms) | ${r.ac.latency.p99} |`,
    `| latency mean / max (ms) | ${fmt(r.ac.latency.mean, 2)} / ${r.ac.latency.max} |`,
    `| peak RSS (MiB) | ${mib(s.peakRssMiB)} |`,
    `| CPU time of the server process per request (ms) | ${s.cpuMsPerRequest === null ? 'n/a' : fmt(s.cpuMsPerRequest, 2)} |`,
    `| total requests | ${fmt(r.completed)} |`,
    `| errors (non-2xx + connection errors/timeouts) | ${fmt(r.errors)} |`,
    `| status codes | ${codes || 'none'} |`,
  ];
  if (s !== ceiling) lines.push(`| ratio to the ceiling (req/s) | ${pct(ratio(s, ceiling))} |`);
  if (s.notes.length > 0) lines.push('', ...s.notes.map((n) => `- ${n}`));
  return lines.join('\n');
}

function benchCommand(): string {
  const vars = Object.keys(process.env)
    .filter((k) => k.startsWith('BENCH_'))
    .sort()
    .map((k) => {
      let v = process.env[k] ?? '';
      if (k === 'BENCH_PG_URL') {
        try {
          const u = new URL(v);
          if (u.password) u.password = '***';
          v = u.toString();
        } catch {
          v = '***';
        }
      }
      return `${k}=${v}`;
    });
  return [...vars, 'npm run bench'].join(' ');
}

function gitRevision(): string {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  if (head.status !== 0) return 'unknown';
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return `${head.stdout.trim()}${dirty.stdout.trim() ? ' (with uncommitted changes)' : ''}`;
}

function exportGoalLine(e: ExportResult): string {
  return e.met
    ? `Export goal MET: ${fmt(e.rows)} rows with ${mib(e.growthMiB)} MiB peak RSS growth (goal < ${EXPORT_RSS_GOAL_MIB} MiB).`
    : `Export goal MISSED: ${fmt(e.rows)} of ${fmt(e.orders)} rows, ${mib(e.growthMiB)} MiB peak RSS growth (goal < ${EXPORT_RSS_GOAL_MIB} MiB).`;
}

function renderBigSummary(b: BigResults): string {
  const e = b.export;
  const rows = [
    ['Measure', 'Result'],
    ['---', '---'],
    [
      `CSV export of ${fmt(e.orders)} orders (one tenant)`,
      `${fmt(e.rows)} rows, ${mib(e.bytes / 1024 ** 2)} MiB in ${fmt(e.seconds, 2)} s; peak RSS growth ${mib(e.growthMiB)} MiB (${mib(e.rssBeforeMiB)} -> ${mib(e.peakRssMiB)})`,
    ],
    ...b.dashboard.timings.map((t) => [
      `Dashboard, ${t.title}`,
      `median ${fmt(t.medianMs)} ms over ${fmt(t.orders)} orders`,
    ]),
  ];
  return rows.map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

function renderBig(b: BigResults): string[] {
  const e = b.export;
  const d = b.dashboard;
  return [
    `## CSV export of ${fmt(e.orders)} orders`,
    '',
    `\`GET /api/v1/admin/orders/export.csv?tenant_id=<tenant>\` (operator), on a freshly started server over the same database, after a warm-up export of the bench tenant's orders. The ${fmt(e.orders)} orders of one tenant were seeded with one \`INSERT ... SELECT generate_series\` (${fmt(e.seedMs / 1000, 1)} s with \`VACUUM ANALYZE\`), created over 30 days. The response is read as a stream and its records counted; the server's VmRSS is sampled every 50 ms during the export.`,
    '',
    '| Metric | Value |',
    '| --- | --- |',
    `| rows (records after the header) | ${fmt(e.rows)}${e.rows === e.orders ? '' : ` **expected ${fmt(e.orders)}**`} |`,
    `| bytes | ${fmt(e.bytes)} (${mib(e.bytes / 1024 ** 2)} MiB) |`,
    `| time | ${fmt(e.seconds, 2)} s (${fmt(e.rows / e.seconds)} rows/s) |`,
    `| server RSS before / peak during (MiB) | ${mib(e.rssBeforeMiB)} / ${mib(e.peakRssMiB)} |`,
    `| peak RSS growth (MiB) | ${mib(e.growthMiB)} |`,
    '',
    `Goal: bounded memory, peak RSS growth under ${EXPORT_RSS_GOAL_MIB} MiB: **${e.met ? 'met' : 'missed'}**.`,
    '',
    `## Dashboard over ${fmt(DASHBOARD_ORDERS)} orders`,
    '',
    `${fmt(DASHBOARD_ORDERS)} more orders seeded with one \`INSERT ... SELECT generate_series\` (${fmt(d.seedMs / 1000, 1)} s with \`VACUUM ANALYZE\`): created evenly over the last 90 days, oldest first, round-robin over ${DASHBOARD_TENANTS} tenants (the bench tenant is one), 6 providers and 5 currencies, 8 states (70% paid); ${fmt(d.totalOrders)} orders in the table in all. Each request: one warm-up call, then the median of ${DASHBOARD_CALLS} calls (wall time at the client, the whole HTTP request).`,
    '',
    '| Request | orders in range (response / SQL) | median ms | all calls ms | scans of orders (index or sequential) |',
    '| --- | --- | --- | --- | --- |',
    ...d.timings.map(
      (t) =>
        `| ${t.title}: \`${t.request}\` | ${fmt(t.orders)} / ${fmt(t.sqlOrders)}${t.orders === t.sqlOrders ? '' : ' **MISMATCH**'} | ${fmt(t.medianMs)} | ${t.ms.map((x) => fmt(x)).join(', ')} | ${t.scans || 'none recorded'} |`,
    ),
    '',
    `Scans: the change in pg_stat_user_indexes.idx_scan / pg_stat_user_tables.seq_scan over the ${DASHBOARD_CALLS + 1} calls of a row (anything else the server ran meanwhile included); ix_orders_created is (created_at, id), ix_orders_tenant_created (tenant_id, created_at, id). PostgreSQL reads a range that is a large share of the table with a sequential scan.`,
    '',
  ];
}

function renderReport(r: {
  startedAt: Date;
  load: string;
  pgVersion: string;
  scenarios: Scenario[];
  consistency: Consistency;
  big: BigResults | null;
}): string {
  const [create, , ceiling] = r.scenarios;
  const cpus = os.cpus();
  const t = targetMet(create, ceiling);
  const c = r.consistency;
  return [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (`scripts/bench.ts`); every run overwrites this file.',
    '',
    `- Date: ${r.startedAt.toISOString()}`,
    `- Machine: ${cpus.length} cores, ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${fmt(os.totalmem() / 1024 ** 3, 1)} GiB RAM, ${os.type()} ${os.release()}`,
    `- Load average (1/5/15 min): ${r.load}; anything else running on the machine competes with the benchmark.`,
    `- Node.js: ${process.version}`,
    `- PostgreSQL: ${r.pgVersion}`,
    `- Command: \`${benchCommand()}\``,
    `- Repository revision: ${gitRevision()}; server: \`node ${relativeToRoot(join(DIST_DIR, 'src', 'main.js'))}\` (${SKIP_BUILD ? 'used as found with BENCH_SKIP_BUILD=1, so built from whatever tree it was built from' : 'built from this tree by this run'}) with NODE_ENV=production, LOG_LEVEL=warn, DB_POOL_SIZE=${POOL_SIZE}, PAYMUX_SANDBOX=on, EXPIRY_SWEEP_INTERVAL_MS=0, API_RATE_LIMIT=${RATE_LIMIT} (the limiter counts every request but never trips)`,
    `- Load: autocannon, ${CONNECTIONS} connections, ${DURATION_S} s per scenario after a ${WARMUP_S} s warm-up, on a fresh database; a CHECKPOINT before each measured run. The ceiling is a bare \`node:http\` server (\`scripts/bench-ceiling.ts\`) doing one INSERT per request through a \`pg.Pool\` of ${POOL_SIZE} into the same database.`,
    '- autocannon, the server under test and PostgreSQL share this machine, so they compete for the same cores; the ratio to the ceiling is the figure that carries over, not the absolute req/s.',
    '- req/s counts 2xx responses over the time from the first request to the last response; after the time is up each connection waits for its last answer instead of dropping it. Latency percentiles are over all responses. Peak RSS is the maximum VmRSS of the server process, sampled every 200 ms during the measured run; server CPU ms/req is its user + system CPU time over the run divided by the requests answered (a figure that depends less on other load than req/s does).',
    '',
    '## Summary',
    '',
    renderSummary(r.scenarios),
    '',
    '## Target',
    '',
    `Order creation at >= ${pct(TARGET_RATIO)} of the ceiling's req/s, with p99 under ${TARGET_P99_MS} ms.`,
    '',
    t.met
      ? `**Met**: order creation runs at ${pct(ratio(create, ceiling))} of the ceiling (${fmt(create.result.rps)} vs ${fmt(ceiling.result.rps)} req/s) with p99 ${create.result.ac.latency.p99} ms.`
      : `**Missed**: ${t.why.join('; ')} (${fmt(create.result.rps)} vs ${fmt(ceiling.result.rps)} req/s, p99 ${create.result.ac.latency.p99} ms).`,
    '',
    `With ${CONNECTIONS} connections that always have a request outstanding, mean latency is about ${CONNECTIONS} / req/s (Little's law), so a p99 under ${TARGET_P99_MS} ms needs well over ${fmt((CONNECTIONS * 1000) / TARGET_P99_MS)} req/s; the ceiling reached p99 ${ceiling.result.ac.latency.p99} ms at ${fmt(ceiling.result.rps)} req/s in this run.`,
    '',
    '## Scenarios',
    '',
    ...r.scenarios.flatMap((s) => [renderScenario(s, ceiling), '']),
    '## Consistency check after scenario 2 (SQL on the bench database)',
    '',
    '| Check | Result |',
    '| --- | --- |',
    `| Finished orders = 200 responses with \`"result":"applied"\` | ${fmt(c.finishedOrders)} = ${fmt(c.appliedResponses)}: ${c.finishedOrders === c.appliedResponses ? 'yes' : '**NO**'} |`,
    `| sum(ledger_entries.amount) = sum(applications.balance) | ${c.ledgerSum} = ${c.balanceSum}: ${c.ledgerSum === c.balanceSum ? 'yes' : '**NO**'} |`,
    `| one credit ledger entry per Finished order | ${fmt(c.creditEntries)}: ${c.creditEntries === c.finishedOrders ? 'yes' : '**NO**'} |`,
    `| one succeeded payment per Finished order | ${fmt(c.succeededPayments)}: ${c.succeededPayments === c.finishedOrders ? 'yes' : '**NO**'} |`,
    '',
    `Overall: **${c.ok ? 'passed' : 'FAILED'}**.`,
    '',
    ...(r.big
      ? renderBig(r.big)
      : ['Scenarios 4 and 5 (CSV export, dashboard over 1,000,000 orders) skipped: BENCH_SKIP_BIG=1.', '']),
  ].join('\n');
}

function relativeToRoot(p: string): string {
  const rel = relative(ROOT, p);
  return rel.startsWith('..') || isAbsolute(rel) ? p : rel;
}

main()
  .then(
    async (code) => {
      await cleanup();
      process.exit(code);
    },
    async (err: unknown) => {
      log(`FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      await cleanup();
      process.exit(1);
    },
  )
  .catch(() => process.exit(1));
