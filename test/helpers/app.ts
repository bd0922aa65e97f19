import * as argon2 from 'argon2';
import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { merchantSignature } from '../../src/auth/merchant-signature';
import { ARGON2_TEST_ONLY } from '../../src/auth/password-hash';
import { RunningPaymux, startPaymux } from '../../src/bootstrap';
import { newTempDir, removedOnClose } from './temp-dir';

export const TEST_MASTER_KEY = randomBytes(32).toString('base64');

/**
 * Start the real app (same start-up as production) on the test database, on a free port. The
 * background sweeps are off: suites share one database, and a timer in one suite's app would claim
 * another suite's rows; tests run the passes themselves, scoped to their tenant.
 */
export async function startTestApp(env: Record<string, string> = {}): Promise<RunningPaymux> {
  const dataDir = newTempDir('paymux-test-');
  const starting = startPaymux(
    {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      PAYMUX_DEMO: 'off',
      EXPIRY_SWEEP_INTERVAL_MS: '0',
      RECONCILE_INTERVAL_MS: '0',
      // Rate-limit windows live in the shared database, so every suite's logins from 127.0.0.1 count
      // together: the per-address limits are lifted here (suites that test them set their own).
      LOGIN_IP_RATE_LIMIT: '1000000',
      REGISTER_RATE_LIMIT: '1000000',
      // Notification workers would pick up other suites' jobs: only the suites that test them run one.
      NOTIFY_WORKER: 'false',
      API_RATE_LIMIT: '1000000',
      DATA_DIR: dataDir,
      JWT_SECRET: randomBytes(32).toString('hex'),
      PAYMUX_MASTER_KEY: TEST_MASTER_KEY,
      DB_POOL_SIZE: '10',
      // Cheap hashes except in production, which refuses them; a suite starting a production app
      // gets production hashing.
      PASSWORD_HASH_TEST_CHEAP: String(env.NODE_ENV !== 'production'),
      ...env,
    },
    { port: 0 },
  );
  return removedOnClose(starting, dataDir);
}

/** A test app with a platform admin (ADMIN_EMAIL at start), logged in. */
export async function startTestAppWithAdmin(
  env: Record<string, string> = {},
): Promise<{ app: RunningPaymux; admin: { authorization: string } }> {
  const email = `admin-${randomUUID()}@example.test`;
  const password = 'admin-password-1';
  const app = await startTestApp({
    ADMIN_EMAIL: email,
    ADMIN_PASSWORD: password,
    LOGIN_RATE_LIMIT: '1000',
    ...env,
  });
  const login = await http(app).post('/api/v1/auth/login').send({ email, password }).expect(200);
  return { app, admin: { authorization: `Bearer ${login.body.access_token as string}` } };
}

/** Over real HTTP, against the listening server. */
export const http = (app: RunningPaymux): request.Agent => request.agent(app.url);

export const db = (app: RunningPaymux): DataSource => app.app.get(DataSource);

export interface Merchant {
  email: string;
  password: string;
  token: string;
  userId: string;
  tenantId: string;
  applicationId: string;
  packageId: string;
  auth: { authorization: string };
}

/** Register a fresh tenant, log in, and create an application and a 500-credit USD 49.99 package. */
export async function newMerchant(app: RunningPaymux, pkg: Record<string, unknown> = {}): Promise<Merchant> {
  const email = `m-${randomUUID()}@example.test`;
  const password = 'correct horse battery';
  const api = http(app);
  const reg = await api.post('/api/v1/auth/register').send({ email, password, name: 'Merchant' }).expect(201);
  const login = await api.post('/api/v1/auth/login').send({ email, password }).expect(200);
  const auth = { authorization: `Bearer ${login.body.access_token as string}` };
  const application = await api.post('/api/v1/applications').set(auth).send({ name: 'App' }).expect(201);
  const created = await api
    .post('/api/v1/packages')
    .set(auth)
    .send({ name: '500 credits', amount: 500, price: 49.99, currency: 'USD', ...pkg })
    .expect(201);
  return {
    email,
    password,
    token: login.body.access_token as string,
    userId: reg.body.user.id as string,
    tenantId: reg.body.tenant.id as string,
    applicationId: application.body.id as string,
    packageId: created.body.id as string,
    auth,
  };
}

/** Create a Sandbox order for the merchant's package. */
export async function newOrder(
  app: RunningPaymux,
  m: Merchant,
  extra: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const res = await http(app)
    .post('/api/v1/orders/')
    .set(m.auth)
    .send({ application_id: m.applicationId, package_id: m.packageId, pay_way: 'Sandbox', ...extra })
    .expect(201);
  return res.body as Record<string, unknown>;
}

/** A Sandbox order of m paid through the sandbox's completion (so Finished, credited); its id. */
export async function paidOrderId(app: RunningPaymux, m: Merchant): Promise<string> {
  const order = await newOrder(app, m);
  await http(app)
    .post(`/api/v1/sandbox/payments/${order.pay_id as string}/complete`)
    .send({ outcome: 'succeeded' })
    .expect(200);
  return order.id as string;
}

/**
 * A `member` of m's tenant who owns no tenant of their own (so login lands in m's tenant), logged in.
 * The users and memberships rows are inserted directly: there is no invite API yet.
 */
export async function newMember(
  app: RunningPaymux,
  m: Merchant,
): Promise<{ userId: string; auth: { authorization: string } }> {
  const userId = randomUUID();
  const email = `member-${userId}@example.test`;
  const password = 'member password 1';
  await db(app).query(
    `INSERT INTO users (id, email, name, password_hash, is_platform_admin) VALUES ($1, $2, 'Member', $3, false)`,
    [userId, email, await argon2.hash(password, ARGON2_TEST_ONLY)],
  );
  await db(app).query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'member')`, [
    m.tenantId,
    userId,
  ]);
  const login = await http(app).post('/api/v1/auth/login').send({ email, password }).expect(200);
  const auth = { authorization: `Bearer ${login.body.access_token as string}` };
  const me = await http(app).get('/api/v1/auth/me').set(auth).expect(200);
  expect(me.body).toMatchObject({ user: { id: userId }, tenant: { id: m.tenantId }, role: 'member' });
  return { userId, auth };
}

/** The order's state, read over HTTP as its tenant. */
export async function orderStateOf(app: RunningPaymux, who: Merchant, orderId: unknown): Promise<string> {
  const res = await http(app)
    .get(`/api/v1/orders/${String(orderId)}`)
    .set(who.auth)
    .expect(200);
  return res.body.state as string;
}

/** The application's balance, read over HTTP as its tenant. */
export async function balanceOf(app: RunningPaymux, who: Merchant): Promise<number> {
  const res = await http(app).get(`/api/v1/applications/${who.applicationId}`).set(who.auth).expect(200);
  return res.body.balance as number;
}

/** How many credit ledger entries the order has (1 once credited, never more). */
export async function creditEntriesOf(app: RunningPaymux, orderId: unknown): Promise<number> {
  const rows = await db(app).query<{ n: number }[]>(
    `SELECT count(*)::int AS n FROM ledger_entries WHERE order_id = $1 AND kind = 'credit'`,
    [orderId],
  );
  return rows[0].n;
}

export interface ApiKey {
  key_id: string;
  secret: string;
}

/**
 * A merchant API request (docs/api-contract.md, Merchant API) signed as a merchant's server would
 * sign it; `tamper` changes the body after signing.
 */
export function signedRequest(
  app: RunningPaymux,
  key: ApiKey,
  method: 'GET' | 'POST',
  path: string,
  body?: Record<string, unknown> | string,
  opts: { timestamp?: number; nonce?: string; tamper?: (raw: string) => string } = {},
): request.Test {
  const raw = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  const timestamp = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = opts.nonce ?? randomBytes(12).toString('hex');
  const signature = merchantSignature(key.secret, {
    timestamp,
    nonce,
    method,
    pathWithQuery: path,
    body: raw,
  });
  const req = (method === 'GET' ? request(app.url).get(path) : request(app.url).post(path))
    .set('X-API-Key', key.key_id)
    .set('X-Timestamp', timestamp)
    .set('X-Nonce', nonce)
    .set('X-Signature', signature);
  if (method === 'POST')
    void req.set('Content-Type', 'application/json').send(opts.tamper ? opts.tamper(raw) : raw);
  return req;
}
