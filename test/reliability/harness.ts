/**
 * The reliability suite's harness: a fresh PostgreSQL database per scenario, real paymux server
 * processes started from the built entry (RELIABILITY_SERVER, default dist/src/main.js), plain HTTP
 * with fetch, merchant request signing, tenant set-up, a local notification receiver, and the
 * small statistics the report prints.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, IncomingMessage, Server as HttpServer } from 'node:http';
import { AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Pool } from 'pg';
import { merchantSignature } from '../../src/auth/merchant-signature';

export const ROOT = resolve(__dirname, '../..');

/** The built server entry under test. CI builds `dist/` first; a worktree's build can be named instead. */
export const SERVER_ENTRY = process.env.RELIABILITY_SERVER
  ? resolve(process.env.RELIABILITY_SERVER)
  : join(ROOT, 'dist/src/main.js');

/** An administrative connection to the PostgreSQL server (databases are created and dropped through it). */
export const PG_ADMIN_URL = process.env.RELIABILITY_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/** Every database of one run starts with this (the run id is set once by the global set-up). */
export const DB_PREFIX = 'paymux_rel_';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Databases

export interface Database {
  name: string;
  url: string;
  q<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** One number from a `SELECT ... AS n` query. */
  n(sql: string, params?: unknown[]): Promise<number>;
  drop(): Promise<void>;
}

export function runId(): string {
  process.env.RELIABILITY_RUN_ID ??= `${Date.now()}_${process.pid}`;
  return process.env.RELIABILITY_RUN_ID;
}

/** Create `paymux_rel_<run>_<tag>` through the `postgres` database; drop() removes it. */
export async function freshDatabase(tag: string): Promise<Database> {
  const name = `${DB_PREFIX}${runId()}_${tag}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const admin = new Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  const url = u.toString();
  const pool = new Pool({ connectionString: url, max: 4 });
  pool.on('error', () => undefined); // a backend terminated by DROP ... WITH (FORCE)
  let dropped = false;
  const q = async <T>(sql: string, params: unknown[] = []): Promise<T[]> =>
    (await pool.query(sql, params)).rows as T[];
  return {
    name,
    url,
    q,
    n: async (sql, params) => Number((await q<{ n: string | number }>(sql, params))[0]?.n ?? NaN),
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await pool.end().catch(() => undefined);
      await dropDatabase(name);
    },
  };
}

export async function dropDatabase(name: string): Promise<void> {
  const admin = new Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

// ---------------------------------------------------------------------------------------------
// Server processes

export interface Server {
  name: string;
  url: string;
  port: number;
  pid: number;
  child: ChildProcess;
  /** The last 64 KiB of stdout + stderr. */
  output(): string;
  running(): boolean;
  /** Send a signal and wait for the exit. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** SIGTERM, SIGKILL after 10 s. */
  stop(): Promise<void>;
}

const servers = new Set<Server>();

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createNetServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() =>
        typeof addr === 'object' && addr ? resolvePort(addr.port) : reject(new Error('no free port')),
      );
    });
  });
}

/** Settings shared by the processes of one scenario (they must agree on the secrets). */
export interface Cluster {
  db: Database;
  jwtSecret: string;
  masterKey: string;
  env: Record<string, string>;
}

/** Provider APIs a scenario does not aim at a fake point at a closed local port: nothing leaves the machine. */
const DEAD_ENDPOINT = 'http://127.0.0.1:9';
const PROVIDERS = ['STRIPE', 'PAYPAL', 'ALIPAY', 'WECHAT', 'X402', 'ALCHEMY', 'TOKENPAY'];

export function cluster(db: Database, env: Record<string, string> = {}): Cluster {
  return {
    db,
    jwtSecret: randomBytes(36).toString('base64url'),
    masterKey: randomBytes(32).toString('base64'),
    env,
  };
}

/**
 * Start `node <SERVER_ENTRY>` on the cluster's database (production mode, Sandbox on, demo off) and
 * wait for /health/ready. `port` restarts a process on the address it had.
 */
export async function startServer(
  c: Cluster,
  name: string,
  env: Record<string, string> = {},
  opts: { port?: number; timeoutMs?: number } = {},
): Promise<Server> {
  const port = opts.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'paymux-rel-data-'));
  const providerBases = Object.fromEntries(PROVIDERS.map((p) => [`PAYMUX_${p}_BASE_URL`, DEAD_ENDPOINT]));
  const child = spawn(process.execPath, [SERVER_ENTRY], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      // An entry outside the repository (a worktree's build) still resolves the repository's packages.
      NODE_PATH: join(ROOT, 'node_modules'),
      NODE_ENV: 'production',
      // No env file: a .env in the repository must not reach the scenarios.
      ENV_FILE: '',
      PORT: String(port),
      PUBLIC_BASE_URL: url,
      DATABASE_URL: c.db.url,
      DATA_DIR: dataDir,
      JWT_SECRET: c.jwtSecret,
      PAYMUX_MASTER_KEY: c.masterKey,
      PAYMUX_SANDBOX: 'on',
      // A test platform, no real money: the Sandbox's unauthenticated completion route is what drives it.
      PAYMUX_SANDBOX_IN_PRODUCTION_ANYONE_CAN_PAY: 'true',
      PAYMUX_DEMO: 'off',
      LOG_LEVEL: 'warn',
      DB_POOL_SIZE: '10',
      // Load comes from one address and one tenant: the limits are lifted (rate limits have their own tests).
      API_RATE_LIMIT: '1000000000',
      LOGIN_RATE_LIMIT: '1000000',
      LOGIN_IP_RATE_LIMIT: '1000000',
      REGISTER_RATE_LIMIT: '1000000',
      WEBHOOK_RATE_LIMIT: '1000000000',
      NOTIFY_WORKER: 'false',
      // Production serves no /docs-json by default; scenarios 5 and 6 read the live route list from it.
      API_DOCS: 'on',
      ...providerBases,
      ...c.env,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`${name} did not start`);
  let out = '';
  const keep = (b: Buffer): void => {
    out = (out + b.toString('utf8')).slice(-65536);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((r) =>
    child.once('exit', () => {
      removeDir(dataDir);
      r();
    }),
  );
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  const server: Server = {
    name,
    url,
    port,
    pid: child.pid,
    child,
    output: () => out,
    running,
    kill: async (signal) => {
      if (running()) child.kill(signal);
      await exited;
      servers.delete(server);
    },
    stop: async () => {
      if (running()) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }
      servers.delete(server);
    },
  };
  servers.add(server);
  const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
  for (;;) {
    if (!running()) {
      servers.delete(server);
      throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${out}`);
    }
    try {
      const res = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await server.kill('SIGKILL');
      throw new Error(`${name} not ready after ${opts.timeoutMs ?? 90_000} ms:\n${out}`);
    }
    await sleep(150);
  }
  return server;
}

export async function stopAllServers(): Promise<void> {
  await Promise.all([...servers].map((s) => s.stop()));
}

/** The tail of each server's output, for a failure message. */
export function serverTails(list: (Server | undefined)[], bytes = 6000): string {
  return list
    .filter((s): s is Server => s !== undefined)
    .map(
      (s) =>
        `--- ${s.name} (pid ${s.pid}, ${s.url}) output, last ${bytes} bytes ---\n${s.output().slice(-bytes)}`,
    )
    .join('\n');
}

/** Run a test body; when it fails, the servers' output tails are appended to the error. */
export async function withDiagnostics(
  list: () => (Server | undefined)[],
  fn: () => Promise<void>,
): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const tails = serverTails(list());
    if (err instanceof Error) {
      err.message = `${err.message}\n\n${tails}`;
      throw err;
    }
    throw new Error(`${String(err)}\n\n${tails}`);
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP

/** A parsed JSON answer, read as loosely as supertest's `res.body` (which is `any` too). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface Answer {
  status: number;
  text: string;
  /** Parsed JSON, or undefined. */
  body: Json;
  headers: Headers | undefined;
  ms: number;
  /** A network error (status 0). */
  error?: string;
}

export interface CallOptions {
  json?: unknown;
  raw?: string | Buffer;
  headers?: Record<string, string>;
  token?: string;
  timeoutMs?: number;
}

export async function call(base: string, method: string, path: string, o: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  let body: string | Buffer | undefined;
  if (o.json !== undefined) {
    body = JSON.stringify(o.json);
    headers['content-type'] ??= 'application/json';
  } else if (o.raw !== undefined) body = o.raw;
  const started = performance.now();
  try {
    const res = await fetch(base + path, {
      method,
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(o.timeoutMs ?? 60_000),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, text, body: parsed, headers: res.headers, ms: performance.now() - started };
  } catch (err) {
    const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    return {
      status: 0,
      text: '',
      body: undefined,
      headers: undefined,
      ms: performance.now() - started,
      error: e.cause?.code ?? e.cause?.message ?? e.name ?? e.message ?? 'fetch failed',
    };
  }
}

/** A set-up call that must answer `status`; anything else throws with the answer. */
export async function must(
  status: number,
  base: string,
  method: string,
  path: string,
  o: CallOptions = {},
): Promise<Json> {
  const a = await call(base, method, path, o);
  if (a.status !== status)
    throw new Error(
      `${method} ${path}: expected ${status}, got ${a.status}${a.error ? ` (${a.error})` : ''}: ${a.text.slice(0, 2000)}`,
    );
  return a.body;
}

export interface Key {
  id: string;
  key_id: string;
  secret: string;
}

/** Headers of a signed merchant request (docs/api-contract.md, Merchant API). */
export function signedHeaders(
  key: Pick<Key, 'key_id' | 'secret'>,
  method: string,
  pathWithQuery: string,
  raw: string | Buffer,
  opts: { timestamp?: string; nonce?: string } = {},
): Record<string, string> {
  const timestamp = opts.timestamp ?? String(Math.floor(Date.now() / 1000));
  const nonce = opts.nonce ?? randomBytes(16).toString('hex');
  return {
    'x-api-key': key.key_id,
    'x-timestamp': timestamp,
    'x-nonce': nonce,
    'x-signature': merchantSignature(key.secret, { timestamp, nonce, method, pathWithQuery, body: raw }),
  };
}

/** A signed merchant request with a JSON (or raw) body. */
export function merchant(
  base: string,
  key: Pick<Key, 'key_id' | 'secret'>,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<Answer> {
  const raw = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  const headers = signedHeaders(key, method, path, raw);
  if (raw) headers['content-type'] = 'application/json';
  return call(base, method, path, { raw: raw || undefined, headers });
}

// ---------------------------------------------------------------------------------------------
// Tenants

export interface Tenant {
  label: string;
  email: string;
  password: string;
  token: string;
  userId: string;
  tenantId: string;
  applicationId: string;
  packageId: string;
}

export async function login(base: string, email: string, password: string): Promise<string> {
  const b = await must(200, base, 'POST', '/api/v1/auth/login', { json: { email, password } });
  return b.access_token as string;
}

/** Register a tenant (owner), log in, and create an application and a 500-credit USD 49.99 package. */
export async function newTenant(
  base: string,
  label: string,
  pkg: Record<string, unknown> = {},
): Promise<Tenant> {
  const email = `${label.toLowerCase().replace(/[^a-z0-9]/g, '')}-${randomUUID()}@example.test`;
  const password = `pw-${randomBytes(9).toString('hex')}`;
  const reg = await must(201, base, 'POST', '/api/v1/auth/register', {
    json: { email, password, name: `${label} owner`, tenant_name: `${label} Co` },
  });
  const token = await login(base, email, password);
  const application = await must(201, base, 'POST', '/api/v1/applications', {
    token,
    json: { name: `${label} app` },
  });
  const created = await must(201, base, 'POST', '/api/v1/packages', {
    token,
    json: { name: `${label} 500 credits`, amount: 500, price: 49.99, currency: 'USD', ...pkg },
  });
  return {
    label,
    email,
    password,
    token,
    userId: reg.user.id as string,
    tenantId: reg.tenant.id as string,
    applicationId: application.id as string,
    packageId: created.id as string,
  };
}

export async function newApiKey(base: string, t: Tenant, name = 'server'): Promise<Key> {
  return (await must(201, base, 'POST', '/api/v1/api-keys', { token: t.token, json: { name } })) as Key;
}

export const orderNo = (): string => `R${Date.now()}${randomBytes(4).toString('hex')}`;

// ---------------------------------------------------------------------------------------------
// A merchant's notification receiver

export interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
  notificationId: string;
  status: number;
  answer: string;
}

export interface Receiver {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

/** Records every request; `answer` gets the request and how many times its notification id came before. */
export async function startReceiver(
  answer: (r: Received, seenBefore: number) => [number, string],
): Promise<Receiver> {
  const received: Received[] = [];
  const seen = new Map<string, number>();
  const server: HttpServer = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const notificationId = String(req.headers['x-notification-id'] ?? '');
      const r: Received = {
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
        notificationId,
        status: 0,
        answer: '',
      };
      const before = seen.get(notificationId) ?? 0;
      seen.set(notificationId, before + 1);
      const [status, text] = answer(r, before);
      r.status = status;
      r.answer = text;
      received.push(r);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// Small tools

/** Run `fn` over `items` with at most `concurrency` at a time; results in input order. */
export async function pool<T, R>(
  items: T[],
  concurrency: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i], i);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}

/** Poll until `fn` returns a truthy value, or throw naming `what`. */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | false | null>,
  timeoutMs: number,
  everyMs = 250,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** `{ "200": 12, "404": 3 }` as "200 × 12, 404 × 3", keys sorted. */
export function histogram(values: (string | number)[]): Record<string, number> {
  const h: Record<string, number> = {};
  for (const v of values) h[String(v)] = (h[String(v)] ?? 0) + 1;
  return Object.fromEntries(
    Object.entries(h).sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })),
  );
}

export const formatHistogram = (h: Record<string, number>): string =>
  Object.entries(h)
    .map(([k, v]) => `${k} × ${v}`)
    .join(', ') || 'none';

export const ms = (v: number): string => `${Math.round(v)} ms`;
export const seconds = (v: number): string => `${(v / 1000).toFixed(1)} s`;

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
