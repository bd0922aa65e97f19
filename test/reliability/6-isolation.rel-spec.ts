import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Answer,
  call,
  cluster,
  Database,
  formatHistogram,
  freshDatabase,
  histogram,
  Json,
  Key,
  merchant,
  must,
  newApiKey,
  newTenant,
  ROOT,
  Server,
  startServer,
  stopAllServers,
  Tenant,
} from './harness';
import { runScenario, ScenarioReport } from './report';

/**
 * Scenario 6: two tenants, A and B, each holding one object of every kind. For every route that
 * takes an id (the path parameters of openapi.json and of the running server's /docs-json, plus
 * ids in bodies and list filters), B calls it, fully authenticated, with A's id: it must answer
 * 404 (exactly what an id that does not exist gets), the answer must hold none of A's data, and
 * none of A's rows may change. Then A makes the same call with its own credentials, which must
 * work: the 404 is isolation, not a broken route.
 */

// ---------------------------------------------------------------------------------------------
// Routes

interface OpenApi {
  paths: Record<
    string,
    Record<string, { security?: Record<string, unknown>[]; parameters?: { name: string; in: string }[] }>
  >;
}

interface Route {
  method: string;
  path: string;
  params: string[];
  bearer: boolean;
}

const label = (r: Pick<Route, 'method' | 'path'>): string => `${r.method} ${r.path}`;

function routesOf(doc: OpenApi): Route[] {
  return Object.entries(doc.paths).flatMap(([p, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      path: p.replace(/\{([^}]+)\}/g, ':$1'),
      params: (op.parameters ?? []).filter((x) => x.in === 'path').map((x) => x.name),
      bearer: (op.security ?? []).some((s) => 'bearer' in s),
    })),
  );
}

/** Routes with an id that no tenant credential opens: the id in the URL is the capability. */
const CAPABILITY_ROUTES: Record<string, string> = {
  'POST /api/v1/sandbox/payments/:pay_id/complete':
    'public: the Sandbox payer page; the unguessable pay_id is the capability, like a provider checkout',
  'GET /api/v1/x402/orders/:id': 'public: an X402 order’s pay_url; the order’s UUID is the capability',
  'POST /api/v1/x402/orders/:id': 'public: an X402 order’s pay_url; the order’s UUID is the capability',
  'GET /checkout/:order_id': 'public: the hosted checkout; the order’s UUID is the capability',
  'GET /checkout/:order_id/status':
    'public: the hosted checkout’s polling; the order’s UUID is the capability',
  'POST /api/v1/webhooks/:provider/:tenant_id':
    'public: provider callbacks, verified with the provider’s signature',
  'GET /api/v1/return/:provider/:tenant_id': 'public: the payer’s return from a provider page',
};

// ---------------------------------------------------------------------------------------------
// Two tenants with one object of every kind

interface World {
  label: string;
  /** In every name the tenant gave its objects, so a leak of any of them shows. */
  tag: string;
  t: Tenant;
  key: Key;
  /** The Idempotency-Key of the pending order. */
  idempotencyKey: string;
  tokenId: string;
  token: string;
  pendingOrderId: string;
  pendingPayId: string;
  finishedOrderId: string;
  refundId: string;
  usageReference: string;
  merchantOrderNo: string;
  merchantOrderId: string;
  paidMerchantOrderNo: string;
  paidMerchantOrderId: string;
  notificationId: string;
  providerSecret: string;
  /** A pending invitation of the tenant's. */
  invitationId: string;
}

async function world(s: Server, db: Database, label: string): Promise<World> {
  const base = s.url;
  const tag = `${label}${randomBytes(6).toString('hex')}`;
  const t = await newTenant(base, tag, { name: `${tag} package` });
  const key = await newApiKey(base, t, `${tag} key`);
  const token = await must(201, base, 'POST', '/api/v1/auth/tokens', {
    token: t.token,
    json: { name: `${tag} token` },
  });
  const order = (headers: Record<string, string> = {}): Promise<Json> =>
    must(201, base, 'POST', '/api/v1/orders', {
      token: t.token,
      headers,
      json: { application_id: t.applicationId, package_id: t.packageId, pay_way: 'Sandbox' },
    });
  const idempotencyKey = `${tag}-idem`;
  const pending = await order({ 'idempotency-key': idempotencyKey });
  const finished = await order();
  await must(200, base, 'POST', `/api/v1/sandbox/payments/${finished.pay_id as string}/complete`, {
    json: { outcome: 'succeeded' },
  });
  const usageReference = `${tag} usage`;
  await must(201, base, 'POST', `/api/v1/applications/${t.applicationId}/usage`, {
    token: t.token,
    json: { amount: 10, reference: usageReference },
  });
  const refund = await call(base, 'POST', `/api/v1/orders/${finished.id as string}/refunds`, {
    token: t.token,
    json: { amount: 1, reason: `${tag} refund` },
  });
  if (refund.status !== 201 && refund.status !== 202)
    throw new Error(`refund for ${label}: ${refund.status} ${refund.text}`);
  const merchantOrder = async (): Promise<{ no: string; id: string }> => {
    const no = `${label}${Date.now()}${randomBytes(4).toString('hex')}`;
    const res = await merchant(base, key, 'POST', '/v1/payment', {
      order_no: no,
      currency: 'USDT',
      amount: '3.5',
      chain_type: 'BSC',
      notify_url: `https://${tag.toLowerCase()}.example/notify`,
      product_name: tag.slice(0, 32),
      meta: `${tag} meta`,
    });
    if (res.status !== 200) throw new Error(`POST /v1/payment for ${label}: ${res.status} ${res.text}`);
    return { no, id: res.body.data.id as string };
  };
  const m1 = await merchantOrder();
  const m2 = await merchantOrder();
  const [payment] = await db.q<{ provider_ref: string }>(
    `SELECT provider_ref FROM payments WHERE order_id = $1`,
    [m2.id],
  );
  await must(200, base, 'POST', `/api/v1/sandbox/payments/${payment.provider_ref}/complete`, {
    json: { outcome: 'succeeded' },
  });
  const notes = await must(200, base, 'GET', `/api/v1/notifications?order_id=${m2.id}`, { token: t.token });
  const notificationId = notes.data[0]?.id as string | undefined;
  if (!notificationId) throw new Error(`no notification for ${label}'s paid merchant order`);
  const providerSecret = `sk_test_${tag}`;
  await must(200, base, 'PUT', '/api/v1/providers/stripe', {
    token: t.token,
    json: {
      enabled: true,
      mode: 'test',
      credentials: { secret_key: providerSecret, webhook_secret: `whsec_${tag}` },
    },
  });
  const invitation = await must(201, base, 'POST', '/api/v1/invitations', {
    token: t.token,
    json: { email: `${tag.toLowerCase()}-invitee@example.test`, role: 'member' },
  });
  return {
    label,
    tag,
    t,
    key,
    idempotencyKey,
    tokenId: token.id as string,
    token: token.token as string,
    pendingOrderId: pending.id as string,
    pendingPayId: pending.pay_id as string,
    finishedOrderId: finished.id as string,
    refundId: refund.body.id as string,
    usageReference,
    merchantOrderNo: m1.no,
    merchantOrderId: m1.id,
    paidMerchantOrderNo: m2.no,
    paidMerchantOrderId: m2.id,
    notificationId,
    providerSecret,
    invitationId: invitation.id as string,
  };
}

/** Everything of A's that must never reach B: ids, names, secrets. */
function secretsOf(a: World): string[] {
  return [
    a.tag,
    a.t.tenantId,
    a.t.userId,
    a.t.email,
    a.t.applicationId,
    a.t.packageId,
    a.t.token,
    a.key.id,
    a.key.key_id,
    a.key.secret,
    a.tokenId,
    a.token,
    a.pendingOrderId,
    a.pendingPayId,
    a.finishedOrderId,
    a.refundId,
    a.merchantOrderNo,
    a.merchantOrderId,
    a.paidMerchantOrderNo,
    a.paidMerchantOrderId,
    a.notificationId,
    a.providerSecret,
    a.idempotencyKey,
  ];
}

// ---------------------------------------------------------------------------------------------
// A's rows

/** Every row of A: tables with tenant_id, and the few rows hanging off A's user, keys and counters. */
async function rowsOf(
  db: Database,
  a: World,
  tables: string[],
): Promise<Map<string, { rows: number; hash: string }>> {
  const out = new Map<string, { rows: number; hash: string }>();
  const put = async (name: string, sql: string, params: unknown[]): Promise<void> => {
    const [r] = await db.q<{ n: number; h: string }>(
      `SELECT count(*)::int AS n, md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) AS h FROM (${sql}) x`,
      params,
    );
    out.set(name, { rows: r.n, hash: r.h });
  };
  for (const t of tables) await put(t, `SELECT * FROM "${t}" WHERE tenant_id = $1`, [a.t.tenantId]);
  await put('tenants', `SELECT * FROM tenants WHERE id = $1`, [a.t.tenantId]);
  await put('users', `SELECT * FROM users WHERE id = $1`, [a.t.userId]);
  await put(
    'notification_attempts',
    `SELECT x.* FROM notification_attempts x JOIN notifications n ON n.id = x.notification_id WHERE n.tenant_id = $1`,
    [a.t.tenantId],
  );
  await put(
    'api_nonces',
    `SELECT x.* FROM api_nonces x JOIN api_keys k ON k.id = x.api_key_id WHERE k.tenant_id = $1`,
    [a.t.tenantId],
  );
  await put('rate_limits', `SELECT key, hits FROM rate_limits WHERE key = ANY($1)`, [
    [`tenant:${a.t.tenantId}`, `api-key:${a.key.id}`],
  ]);
  return out;
}

/** Tables without tenant_id, and why none of their rows is a tenant's (or how they are covered). */
const NOT_TENANT_TABLES: Record<string, string> = {
  tenants: 'A’s tenant row, by id',
  users: 'A’s user row, by id',
  notification_attempts: 'through A’s notifications',
  api_nonces: 'through A’s API keys',
  rate_limits: 'A’s tenant and API-key counters, by key',
  migrations: 'schema history, global',
  fx_rates: 'the platform’s FX table, global',
  password_reset_tokens: 'per user, made by platform operators only; no tenant route names them',
};

// ---------------------------------------------------------------------------------------------
// Probes

interface Probe {
  /** The route (METHOD path) or what the probe names. */
  route: string;
  what: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: (w: World, other: World) => string;
  body?: (w: World, other: World) => unknown;
  auth: 'bearer' | 'merchant';
  /** What B must get: 404, or (lists, names) the same answer as for an id that does not exist. */
  expect: 404 | 'same as a missing id' | 200 | 201;
  headers?: (w: World, other: World) => Record<string, string>;
  /** What A's own call may answer. */
  control: number[];
  /** The order of A's controls (they change A's objects). */
  phase: number;
}

const P = (
  route: string,
  what: string,
  path: Probe['path'],
  control: number[],
  phase: number,
  more: Partial<Probe> = {},
): Probe => {
  const [method] = route.split(' ');
  return {
    route,
    what,
    method: method as Probe['method'],
    path,
    control,
    phase,
    auth: 'bearer',
    expect: 404,
    ...more,
  };
};

/** Probes by route. `w` is the tenant whose id is named, `o` the caller's own tenant. */
const PROBES: Probe[] = [
  P(
    'GET /api/v1/applications/:id',
    'application',
    (w) => `/api/v1/applications/${w.t.applicationId}`,
    [200],
    0,
  ),
  P(
    'GET /api/v1/applications/:id/ledger',
    'application',
    (w) => `/api/v1/applications/${w.t.applicationId}/ledger`,
    [200],
    0,
  ),
  P('GET /api/v1/packages/:id', 'package', (w) => `/api/v1/packages/${w.t.packageId}`, [200], 0),
  P('GET /api/v1/orders/:id', 'pending order', (w) => `/api/v1/orders/${w.pendingOrderId}`, [200], 0),
  P(
    'GET /api/v1/orders/:id/timeline',
    'pending order',
    (w) => `/api/v1/orders/${w.pendingOrderId}/timeline`,
    [200],
    0,
  ),
  // A's own call is refused (its owner is the last one) without changing anything; B's names no member.
  P(
    'PATCH /api/v1/members/:user_id',
    'member (the owner)',
    (w) => `/api/v1/members/${w.t.userId}`,
    [409],
    1,
    {
      body: () => ({ role: 'admin' }),
    },
  ),
  P(
    'DELETE /api/v1/members/:user_id',
    'member (the owner)',
    (w) => `/api/v1/members/${w.t.userId}`,
    [409],
    9,
  ),
  P('DELETE /api/v1/invitations/:id', 'invitation', (w) => `/api/v1/invitations/${w.invitationId}`, [204], 9),
  P(
    'GET /api/v1/orders/:id/refunds',
    'finished order with a refund',
    (w) => `/api/v1/orders/${w.finishedOrderId}/refunds`,
    [200],
    0,
  ),
  P('GET /v1/payment/:order_no', 'merchant order_no', (w) => `/v1/payment/${w.merchantOrderNo}`, [200], 0, {
    auth: 'merchant',
  }),
  P(
    'POST /api/v1/applications/:id/usage',
    'application',
    (w) => `/api/v1/applications/${w.t.applicationId}/usage`,
    [201],
    1,
    {
      body: (w) => ({ amount: 1, reference: `${w.tag} probe` }),
    },
  ),
  P('PATCH /api/v1/packages/:id', 'package', (w) => `/api/v1/packages/${w.t.packageId}`, [200], 1, {
    body: () => ({ name: 'renamed through the probe', price: 0.01 }),
  }),
  P(
    'POST /api/v1/orders/:id/refunds',
    'finished order',
    (w) => `/api/v1/orders/${w.finishedOrderId}/refunds`,
    [201, 202],
    2,
    {
      body: () => ({ amount: 1, reason: 'isolation probe' }),
    },
  ),
  P(
    'POST /api/v1/notifications/:id/resend',
    'notification',
    (w) => `/api/v1/notifications/${w.notificationId}/resend`,
    [201],
    3,
  ),
  P('POST /api/order/payment', 'pending order (order_id in the body)', () => '/api/order/payment', [200], 3, {
    body: (w) => ({ order_id: w.pendingOrderId, pay_way: 'sandbox' }),
  }),
  P(
    'POST /api/v1/orders/:id/cancel',
    'pending order',
    (w) => `/api/v1/orders/${w.pendingOrderId}/cancel`,
    [200],
    5,
  ),
  P(
    'POST /v1/payment/:order_no/close',
    'pending merchant order_no',
    (w) => `/v1/payment/${w.merchantOrderNo}/close`,
    [200],
    5,
    {
      auth: 'merchant',
    },
  ),
  P('POST /api/v1/orders', 'application_id in the body', () => '/api/v1/orders', [201], 6, {
    body: (w, o) => ({ application_id: w.t.applicationId, package_id: o.t.packageId, pay_way: 'Sandbox' }),
  }),
  P('POST /api/v1/orders', 'package_id in the body', () => '/api/v1/orders', [201], 6, {
    body: (w, o) => ({ application_id: o.t.applicationId, package_id: w.t.packageId, pay_way: 'Sandbox' }),
  }),
  P('POST /api/v1/packages', 'application_id in the body', () => '/api/v1/packages', [201], 6, {
    body: (w) => ({
      name: 'probe package',
      amount: 1,
      price: 1,
      currency: 'USD',
      application_id: w.t.applicationId,
    }),
  }),
  P(
    'GET /api/v1/orders',
    'application_id filter',
    (w) => `/api/v1/orders?application_id=${w.t.applicationId}`,
    [200],
    0,
    {
      expect: 'same as a missing id',
    },
  ),
  P(
    'GET /api/v1/notifications',
    'order_id filter',
    (w) => `/api/v1/notifications?order_id=${w.paidMerchantOrderId}`,
    [200],
    0,
    {
      expect: 'same as a missing id',
    },
  ),
  P('POST /api/v1/api-keys/:id/rotate', 'API key', (w) => `/api/v1/api-keys/${w.key.id}/rotate`, [201], 7, {
    body: () => ({ overlap_seconds: 60 }),
  }),
  P('DELETE /api/v1/api-keys/:id', 'API key', (w) => `/api/v1/api-keys/${w.key.id}`, [200], 8),
  P('DELETE /api/v1/packages/:id', 'package', (w) => `/api/v1/packages/${w.t.packageId}`, [200], 9),
  P('DELETE /api/v1/auth/tokens/:id', 'platform token', (w) => `/api/v1/auth/tokens/${w.tokenId}`, [204], 9),
  // Not an id either: A's Idempotency-Key, reused by B on B's own order, must not replay A's order.
  P('POST /api/v1/orders', 'Idempotency-Key of A’s order', () => '/api/v1/orders', [200], 6, {
    expect: 201,
    headers: (w) => ({ 'idempotency-key': w.idempotencyKey }),
    body: (_w, o) => ({ application_id: o.t.applicationId, package_id: o.t.packageId, pay_way: 'Sandbox' }),
  }),
  // Not an id: the provider's name. B's PUT sets B's own account; A's must not move or show.
  P(
    'PUT /api/v1/providers/:provider',
    'provider account (by name)',
    () => '/api/v1/providers/stripe',
    [200],
    4,
    {
      expect: 200,
      body: (_w, o) => ({
        enabled: true,
        mode: 'test',
        credentials: { secret_key: `sk_test_${o.tag}_2`, webhook_secret: 'whsec_2' },
      }),
    },
  ),
];

/** The ids a probe can name. */
const idsOf = (w: World): string[] => [
  w.t.applicationId,
  w.t.packageId,
  w.key.id,
  w.tokenId,
  w.pendingOrderId,
  w.finishedOrderId,
  w.notificationId,
  w.merchantOrderNo,
  w.paidMerchantOrderId,
  w.idempotencyKey,
  w.invitationId,
  w.t.userId,
];

/**
 * The path and body of a probe naming `named`'s objects, called by `caller`; `swap` names ids of
 * the same form that nobody has instead. `values`: the ids it names (an answer may echo them).
 */
function request(
  p: Probe,
  named: World,
  caller: World,
  swap: boolean,
): { path: string; body?: unknown; headers?: Record<string, string>; values: string[] } {
  const w = swap ? missingTwin(named) : named;
  const path = p.path(w, caller);
  const body = p.body?.(w, caller);
  const headers = p.headers?.(w, caller);
  const text = `${path} ${JSON.stringify(body ?? '')} ${JSON.stringify(headers ?? '')}`;
  return { path, body, headers, values: idsOf(w).filter((v) => text.includes(v)) };
}

/** The same world with every id replaced by one of the same form that no row has. */
function missingTwin(w: World): World {
  const uuid = (): string => randomUUID();
  const no = (s: string): string =>
    `${s.slice(0, 1)}${randomBytes(Math.ceil(s.length / 2)).toString('hex')}`.slice(0, s.length);
  return {
    ...w,
    t: { ...w.t, applicationId: uuid(), packageId: uuid(), userId: uuid() },
    key: { ...w.key, id: uuid() },
    idempotencyKey: randomBytes(12).toString('hex'),
    tokenId: uuid(),
    pendingOrderId: uuid(),
    finishedOrderId: uuid(),
    notificationId: uuid(),
    invitationId: uuid(),
    merchantOrderNo: no(w.merchantOrderNo),
    paidMerchantOrderId: uuid(),
  };
}

async function send(
  s: Server,
  p: Probe,
  caller: World,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  if (p.auth === 'merchant') return merchant(s.url, caller.key, p.method as 'GET' | 'POST', path, body);
  return call(s.url, p.method, path, { token: caller.t.token, json: body, headers });
}

/** The answer as text, with the named values replaced, so a missing id's answer compares equal. */
const normalised = (a: Answer, values: string[]): string => {
  let text = a.text;
  for (const v of values) text = text.split(v).join('<id>');
  return `${a.status} ${text.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>')}`;
};

function leaks(a: Answer, secrets: string[], sent: string[]): string[] {
  const headers = a.headers ? [...a.headers.entries()].map(([k, v]) => `${k}: ${v}`).join('\n') : '';
  let text = `${a.text}\n${headers}`;
  // The id B sent may be echoed back ("order X not found"): B knows it already.
  for (const v of sent) text = text.split(v).join('');
  const lower = text.toLowerCase();
  return secrets.filter((x) => lower.includes(x.toLowerCase()));
}

// ---------------------------------------------------------------------------------------------

describe('reliability 6: tenant isolation on every route that takes an id', () => {
  const report = new ScenarioReport(
    6,
    'For every route that takes an id, another tenant’s id answers 404, exactly like an id that does not exist, with none of the owner’s data, and changes nothing of the owner’s; the owner’s own call on the same route works.',
  );
  let db: Database | undefined;
  let s: Server | undefined;

  afterAll(async () => {
    report.save();
    await stopAllServers();
    await db?.drop();
  });

  it('answers 404 to tenant B on every route named with tenant A’s id, and leaks and changes nothing', () =>
    runScenario(
      report,
      () => [s],
      async () => {
        db = await freshDatabase('s6');
        const c = cluster(db);
        s = await startServer(c, 'I');
        report.ran(`one paymux process I (pid ${s.pid}) on a fresh database`);
        const A = await world(s, db, 'IsoA');
        const B = await world(s, db, 'IsoB');
        report.ran(
          'two tenants A and B, each with an application (holding credits and a usage debit), a package, a Pending and a Finished Sandbox order, a refund, an API key, a platform token, two merchant orders (POST /v1/payment; one paid, so it has a notification) and a stripe provider account',
        );

        // Every route with a path parameter, from openapi.json and the running server's /docs-json.
        const committed = routesOf(JSON.parse(readFileSync(join(ROOT, 'openapi.json'), 'utf8')) as OpenApi);
        const live = routesOf((await must(200, s.url, 'GET', '/docs-json')) as OpenApi);
        const byLabel = new Map<string, Route>();
        for (const r of [...committed, ...live]) if (!byLabel.has(label(r))) byLabel.set(label(r), r);
        const allRoutes = [...byLabel.values()];
        const withIds = allRoutes.filter((r) => r.params.length > 0);
        const probed = new Set(PROBES.map((p) => p.route));
        const admin = withIds.filter((r) => r.path.startsWith('/api/v1/admin/'));
        const capability = withIds.filter((r) => CAPABILITY_ROUTES[label(r)]);
        const unprobed = withIds.filter(
          (r) => !probed.has(label(r)) && !admin.includes(r) && !capability.includes(r),
        );
        report.check(
          'every route with a path parameter has a probe (or is a platform-admin or capability route)',
          unprobed.length === 0,
          unprobed.length
            ? `no probe for ${unprobed.map(label).join(', ')}`
            : `${withIds.length} routes: ${withIds.length - admin.length - capability.length} probed, ${admin.length} platform admin, ${capability.length} capability`,
        );

        // Every table is tenant-scoped or accounted for.
        const tables = await db.q<{ t: string; scoped: boolean }>(
          `SELECT t.table_name AS t, EXISTS (SELECT 1 FROM information_schema.columns c WHERE c.table_schema = 'public' AND c.table_name = t.table_name AND c.column_name = 'tenant_id') AS scoped
             FROM information_schema.tables t WHERE t.table_schema = 'public' AND t.table_type = 'BASE TABLE' ORDER BY 1`,
        );
        const scoped = tables.filter((t) => t.scoped).map((t) => t.t);
        const stray = tables.filter((t) => !t.scoped && !NOT_TENANT_TABLES[t.t]).map((t) => t.t);
        report.check(
          'every table carries tenant_id or is accounted for',
          stray.length === 0,
          stray.join(', ') ||
            `${scoped.length} tables with tenant_id; ${Object.keys(NOT_TENANT_TABLES).join(', ')} covered otherwise`,
        );

        const secrets = secretsOf(A);
        const before = await rowsOf(db, A, scoped);
        const aRowCount = [...before.values()].reduce((n, v) => n + v.rows, 0);

        // B, with A's ids; and B with ids nobody has, to compare.
        interface Result {
          p: Probe;
          b: Answer;
          missing: Answer;
          same: boolean;
          leaked: string[];
          control?: Answer;
        }
        const results: Result[] = [];
        for (const p of PROBES) {
          const real = request(p, A, B, false);
          const twin = request(p, A, B, true);
          const b = await send(s, p, B, real.path, real.body, real.headers);
          const missing = await send(s, p, B, twin.path, twin.body, twin.headers);
          results.push({
            p,
            b,
            missing,
            same: normalised(b, real.values) === normalised(missing, twin.values),
            leaked: leaks(b, secrets, real.values),
          });
        }
        // Platform-admin routes: a tenant owner is refused before any lookup.
        const adminResults = await Promise.all(
          admin.map(async (r) => {
            const path = r.path.replace(/:([A-Za-z_]+)/g, (_, n: string) =>
              n === 'base' ? 'USD' : n === 'quote' ? 'USDC' : A.pendingOrderId,
            );
            const a = await call(s!.url, r.method, path, {
              token: B.t.token,
              json: r.method === 'GET' ? undefined : { rate: '1.0' },
            });
            return { r, a, leaked: leaks(a, secrets, []) };
          }),
        );
        // B's own lists: none of A's objects in them.
        const lists = allRoutes.filter(
          (r) =>
            r.method === 'GET' && r.bearer && r.params.length === 0 && !r.path.startsWith('/api/v1/admin/'),
        );
        const listAnswers = await Promise.all(
          lists.map(async (r) => ({ r, a: await call(s!.url, 'GET', r.path, { token: B.t.token }) })),
        );

        // The methods a path with A's id does not have: the router's 404, nothing more.
        const otherMethods: { route: string; a: Answer; sent: string[] }[] = [];
        for (const p of PROBES.filter((x) => x.route.includes('/:'))) {
          const [, template] = p.route.split(' ');
          const have = new Set(allRoutes.filter((r) => r.path === template).map((r) => r.method));
          if (otherMethods.some((o) => o.route.endsWith(` ${template}`))) continue;
          const path = p.path(A, B);
          for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((x) => !have.has(x))) {
            const a =
              p.auth === 'merchant' && (method === 'GET' || method === 'POST')
                ? await merchant(s.url, B.key, method, path, method === 'POST' ? {} : undefined)
                : await call(s.url, method, path, {
                    token: B.t.token,
                    json: method === 'GET' ? undefined : {},
                  });
            otherMethods.push({
              route: `${method} ${template}`,
              a,
              sent: idsOf(A).filter((v) => path.includes(v)),
            });
          }
        }

        const after = await rowsOf(db, A, scoped);
        const changed = [...before.keys()].filter((t) => before.get(t)?.hash !== after.get(t)?.hash);

        // A's own calls, in an order that keeps the later ones possible.
        for (const r of [...results].sort((x, y) => x.p.phase - y.p.phase)) {
          const own = request(r.p, A, A, false);
          r.control = await send(s, r.p, A, own.path, own.body, own.headers);
        }

        // Report.
        report.table(
          'B’s calls with A’s ids (and A’s own call on the same route)',
          [
            'route',
            'A’s object',
            'B’s answer',
            'B’s answer for an id nobody has',
            'same',
            'A’s data in B’s answer',
            'A’s own call',
          ],
          results.map((r) => [
            r.p.route,
            r.p.what,
            `${r.b.status} ${r.b.text.slice(0, 90)}`,
            `${r.missing.status}`,
            r.p.expect === 404 || r.p.expect === 'same as a missing id' ? (r.same ? 'yes' : '**no**') : 'n/a',
            r.leaked.length ? `**${r.leaked.length}**` : 'none',
            `${r.control?.status ?? ''}`,
          ]),
        );
        report.table(
          'Routes with an id that are not probed as tenant B, and why',
          ['route', 'why', 'B’s answer'],
          [
            ...adminResults.map(({ r, a }) => [
              label(r),
              'platform operator route (global, not tenant-owned): a tenant owner must be refused',
              String(a.status),
            ]),
            ...capability.map((r) => [label(r), CAPABILITY_ROUTES[label(r)], 'not called']),
            ...Object.entries(CAPABILITY_ROUTES)
              .filter(([k]) => !capability.some((r) => label(r) === k))
              .map(([k, why]) => [`${k} (not in the API docs)`, why, 'not called']),
          ],
        );
        report.figure('probes of B with A’s ids', results.length);
        report.figure('calls of B with methods the paths do not have', otherMethods.length);
        report.figure('routes with a path parameter', withIds.length);
        report.figure('B’s answers', formatHistogram(histogram(results.map((r) => r.b.status))));
        report.figure(
          'A’s own calls',
          formatHistogram(histogram(results.map((r) => r.control?.status ?? 0))),
        );
        report.figure(
          'A’s rows compared (all tables, by tenant_id, plus user, attempts, nonces, counters)',
          aRowCount,
        );

        const wrong = results.filter((r) =>
          typeof r.p.expect === 'number' ? r.b.status !== r.p.expect : false,
        );
        report.check(
          'B gets 404 for every one of A’s ids (never 403, never data)',
          wrong.length === 0,
          wrong.length
            ? wrong.map((r) => `${r.p.route} (${r.p.what}) → ${r.b.status}`).join('; ')
            : `${results.filter((r) => r.p.expect === 404).length} probes answered 404; ${results
                .filter((r) => typeof r.p.expect === 'number' && r.p.expect !== 404)
                .map((r) => `${r.p.route} (${r.p.what}) ${r.b.status}`)
                .join(', ')} as expected`,
        );
        const comparable = results.filter((r) => r.p.expect === 404 || r.p.expect === 'same as a missing id');
        const different = comparable.filter((r) => !r.same);
        report.check(
          'B’s answer is exactly the answer for an id that does not exist (no existence oracle)',
          different.length === 0,
          different.length
            ? different
                .map(
                  (r) =>
                    `${r.p.route}: ${r.b.status} ${r.b.text.slice(0, 80)} vs ${r.missing.status} ${r.missing.text.slice(0, 80)}`,
                )
                .join('; ')
            : `${comparable.length} of ${comparable.length} identical`,
        );
        const leaked = results.filter((r) => r.leaked.length > 0);
        report.check(
          'no answer to B holds any of A’s ids, names or secrets (body and headers)',
          leaked.length === 0,
          leaked.length
            ? leaked.map((r) => `${r.p.route}: ${r.leaked.join(', ')}`).join('; ')
            : `${secrets.length} values of A checked in ${results.length} answers`,
        );
        report.check(
          'nothing of A changed: every row of A is identical after B’s calls',
          changed.length === 0,
          changed.length
            ? changed.map((t) => `${t}: ${before.get(t)?.rows} → ${after.get(t)?.rows} rows`).join(', ')
            : `${aRowCount} rows in ${before.size} tables identical`,
        );
        const broken = results.filter((r) => !r.p.control.includes(r.control?.status ?? 0));
        report.check(
          'control: A’s own call on each route works (so B’s 404 is isolation, not a broken route)',
          broken.length === 0,
          broken.length
            ? broken
                .map((r) => `${r.p.route} → ${r.control?.status} ${r.control?.text.slice(0, 120)}`)
                .join('; ')
            : `${results.length} calls answered ${formatHistogram(histogram(results.map((r) => r.control?.status ?? 0)))}`,
        );
        const otherBad = otherMethods.filter(
          ({ a, sent }) => a.status !== 404 || leaks(a, secrets, sent).length > 0,
        );
        report.check(
          'the methods those paths do not have answer 404 to B too, with nothing of A’s',
          otherBad.length === 0,
          otherBad.length
            ? otherBad.map(({ route, a }) => `${route} → ${a.status}`).join('; ')
            : `${otherMethods.length} calls on ${new Set(otherMethods.map((o) => o.route.split(' ')[1])).size} paths`,
        );
        const listsLeak = listAnswers.filter(({ a }) => a.status >= 500 || leaks(a, secrets, []).length > 0);
        report.check(
          'B’s own lists show none of A’s objects',
          listsLeak.length === 0 && listAnswers.length > 0,
          listsLeak.length
            ? listsLeak
                .map(({ r, a }) => `${label(r)} → ${a.status} ${leaks(a, secrets, []).join(', ')}`)
                .join('; ')
            : `${listAnswers.length} routes: ${listAnswers.map(({ r, a }) => `${r.path} ${a.status}`).join(', ')}`,
        );
        const adminBad = adminResults.filter(({ a, leaked: l }) => a.status !== 403 || l.length > 0);
        report.check(
          'platform-admin routes refuse tenant owner B with 403 (before any lookup) and leak nothing',
          adminBad.length === 0,
          adminBad.length
            ? adminBad.map(({ r, a }) => `${label(r)} → ${a.status}`).join('; ')
            : `${adminResults.length} routes`,
        );
        const fivexx = [
          ...results.flatMap((r) => [r.b, r.missing, ...(r.control ? [r.control] : [])]),
          ...adminResults.map((x) => x.a),
        ].filter((a) => a.status >= 500 || a.status === 0);
        report.check(
          'no answer was a 5xx or missing',
          fivexx.length === 0,
          fivexx.length ? fivexx.map((a) => `${a.status} ${a.text.slice(0, 80)}`).join('; ') : 'none',
        );
        report.note(
          'Method: B is fully authenticated (its own owner JWT, or its own API key for /v1/payment) and names one of A’s objects. Its answer must be 404, and byte for byte the answer it gets for an id of the same form that nobody has (after the id itself is replaced), so B cannot even learn that A’s object exists. A’s data is every id, name and secret A holds (the tenant, user and e-mail, each object’s id, the API key and its secret, the platform token, order numbers, the provider secret, and a random tag in every name A gave); an answer to B may echo back the id B sent, nothing else of A’s. A’s rows are every row with A’s tenant_id in every table that has one, plus A’s user, its notifications’ attempts, its keys’ nonces and its rate-limit counters, fingerprinted (count and md5) before and after B’s calls. Only then does A make each call itself; those must work. The provider account route takes a provider name, not an id: B’s PUT sets B’s own account (200), and A’s must neither change nor show.',
        );
      },
    ));
});
