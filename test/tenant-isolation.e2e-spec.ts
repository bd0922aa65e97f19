import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import type { RunningPaymux } from '../src/bootstrap';
import { db, http, Merchant, newMerchant, newOrder, startTestApp } from './helpers/app';

type Method = 'get' | 'post' | 'patch' | 'delete';

interface Probe {
  name: string;
  method: Method;
  /** The path, given the id being probed (B's id, or an id that does not exist at all). */
  path: (id: string) => string;
  body?: (id: string) => Record<string, unknown>;
  /** Which of B's ids the probe uses. */
  target: keyof BIds;
  /** The stable code the 404 carries (either of two when both looked-up ids are unknown). */
  code: string | number | [string, string];
}

interface BIds {
  application: string;
  package: string;
  order: string;
  finishedOrder: string;
  token: string;
}

/**
 * Two tenants, A and B. A, fully authenticated, uses each of B's ids on every route that takes
 * one: each answers 404 with a code (never 403, never data), the answer is the same as for an id
 * that does not exist at all, and nothing of B changes. A's lists never show B's objects.
 */
describe('tenant isolation', () => {
  let app: RunningPaymux;
  let a: Merchant;
  let b: Merchant;
  let bIds: BIds;
  /** Every id and name of B's objects: none may appear in anything A is answered. */
  let bSecrets: string[];
  let bTokenAuth: { authorization: string };
  let aOrderId: string;

  beforeAll(async () => {
    app = await startTestApp({ LOGIN_RATE_LIMIT: '1000' });
    const tag = randomUUID().slice(0, 8);
    a = await newMerchant(app, { name: `A package ${tag}` });
    b = await newMerchant(app, { name: `B secret package ${tag}` });

    const bAppName = `B secret app ${tag}`;
    const bApp = await http(app)
      .post('/api/v1/applications')
      .set(b.auth)
      .send({ name: bAppName })
      .expect(201);
    const bPkg = await http(app)
      .post('/api/v1/packages')
      .set(b.auth)
      .send({
        name: `B secret bound package ${tag}`,
        amount: 300,
        price: 29.99,
        currency: 'USD',
        application_id: bApp.body.id,
      })
      .expect(201);
    // B's application holds credits (a paid, Finished order) and a usage entry, so a debit or a
    // ledger read that crossed tenants would show.
    const paid = await newOrder(app, b, { application_id: bApp.body.id, package_id: bPkg.body.id });
    await http(app)
      .post(`/api/v1/sandbox/payments/${paid.pay_id as string}/complete`)
      .send({ outcome: 'succeeded' })
      .expect(200);
    await http(app)
      .post(`/api/v1/applications/${bApp.body.id as string}/usage`)
      .set(b.auth)
      .send({ amount: 10, reference: `B secret ref ${tag}` })
      .expect(201);
    const pending = await newOrder(app, b, { application_id: bApp.body.id, package_id: bPkg.body.id });
    const tokenName = `B secret token ${tag}`;
    const token = await http(app)
      .post('/api/v1/auth/tokens')
      .set(b.auth)
      .send({ name: tokenName })
      .expect(201);
    bTokenAuth = { authorization: `Bearer ${token.body.token as string}` };

    bIds = {
      application: bApp.body.id,
      package: bPkg.body.id,
      order: pending.id as string,
      finishedOrder: paid.id as string,
      token: token.body.id,
    };
    bSecrets = [
      ...Object.values(bIds),
      b.applicationId,
      b.packageId,
      b.tenantId,
      b.userId,
      b.email,
      bAppName,
      `B secret package ${tag}`,
      `B secret bound package ${tag}`,
      `B secret ref ${tag}`,
      tokenName,
      pending.pay_id as string,
      pending.pay_url as string,
      token.body.token,
    ];
    aOrderId = (await newOrder(app, a)).id as string;
  });
  afterAll(() => app.close());

  /** Everything of B's, as B reads it, plus B's rows as the database holds them. */
  async function snapshotOfB(): Promise<Record<string, unknown>> {
    const api = http(app);
    const get = async (path: string): Promise<unknown> => (await api.get(path).set(b.auth).expect(200)).body;
    const rows = async (sql: string): Promise<unknown> => db(app).query(sql, [b.tenantId]);
    return {
      application: await get(`/api/v1/applications/${bIds.application}`),
      applications: await get('/api/v1/applications'),
      ledger: await get(`/api/v1/applications/${bIds.application}/ledger`),
      package: await get(`/api/v1/packages/${bIds.package}`),
      packages: await get('/api/v1/packages?include_inactive=true'),
      order: await get(`/api/v1/orders/${bIds.order}`),
      finished: await get(`/api/v1/orders/${bIds.finishedOrder}`),
      orders: await get('/api/v1/orders'),
      tokens: await get('/api/v1/auth/tokens'),
      me: (await api.get('/api/v1/auth/me').set(bTokenAuth).expect(200)).body,
      paymentRows: await rows(
        'SELECT id, order_id, status, provider_ref, action, updated_at FROM payments WHERE tenant_id = $1 ORDER BY id',
      ),
      orderRows: await rows(
        'SELECT id, state, pay_way, pay_id, pay_url, updated_at FROM orders WHERE tenant_id = $1 ORDER BY id',
      ),
      ledgerRows: await rows(
        'SELECT id, amount, balance_after FROM ledger_entries WHERE tenant_id = $1 ORDER BY id',
      ),
      transitions: await rows('SELECT count(*)::int AS n FROM order_transitions WHERE tenant_id = $1'),
      idempotency: await rows('SELECT count(*)::int AS n FROM idempotency_keys WHERE tenant_id = $1'),
    };
  }

  async function send(p: Probe, id: string): Promise<Response> {
    const req = http(app)[p.method](p.path(id)).set(a.auth);
    return p.body ? req.send(p.body(id)) : req;
  }

  const probes: Probe[] = [
    {
      name: 'GET /api/v1/applications/:id',
      method: 'get',
      path: (id) => `/api/v1/applications/${id}`,
      target: 'application',
      code: 'application_not_found',
    },
    {
      name: 'GET /api/v1/applications/:id/ledger',
      method: 'get',
      path: (id) => `/api/v1/applications/${id}/ledger`,
      target: 'application',
      code: 'application_not_found',
    },
    {
      name: 'POST /api/v1/applications/:id/usage',
      method: 'post',
      path: (id) => `/api/v1/applications/${id}/usage`,
      body: () => ({ amount: 1, reference: `probe-${randomUUID()}` }),
      target: 'application',
      code: 'application_not_found',
    },
    {
      name: 'GET /api/v1/packages/:id',
      method: 'get',
      path: (id) => `/api/v1/packages/${id}`,
      target: 'package',
      code: 'package_not_found',
    },
    {
      name: 'PATCH /api/v1/packages/:id',
      method: 'patch',
      path: (id) => `/api/v1/packages/${id}`,
      body: () => ({ name: 'hijacked', price: 0.01, active: false }),
      target: 'package',
      code: 'package_not_found',
    },
    {
      name: 'DELETE /api/v1/packages/:id',
      method: 'delete',
      path: (id) => `/api/v1/packages/${id}`,
      target: 'package',
      code: 'package_not_found',
    },
    {
      name: 'GET /api/v1/orders/:id',
      method: 'get',
      path: (id) => `/api/v1/orders/${id}`,
      target: 'order',
      code: 'order_not_found',
    },
    {
      name: 'GET /api/v1/orders/:id (Finished)',
      method: 'get',
      path: (id) => `/api/v1/orders/${id}`,
      target: 'finishedOrder',
      code: 'order_not_found',
    },
    {
      name: 'POST /api/v1/orders/:id/cancel',
      method: 'post',
      path: (id) => `/api/v1/orders/${id}/cancel`,
      target: 'order',
      code: 'order_not_found',
    },
    {
      name: 'DELETE /api/v1/auth/tokens/:id',
      method: 'delete',
      path: (id) => `/api/v1/auth/tokens/${id}`,
      target: 'token',
      code: 'token_not_found',
    },
    {
      name: 'POST /api/order/payment (order payment API)',
      method: 'post',
      path: () => '/api/order/payment',
      body: (id) => ({ order_id: id, pay_way: 'sandbox' }),
      target: 'order',
      code: 4001,
    },
    {
      name: "POST /api/v1/orders with B's application_id",
      method: 'post',
      path: () => '/api/v1/orders',
      body: (id) => ({ application_id: id, package_id: a.packageId, pay_way: 'Sandbox' }),
      target: 'application',
      code: 'application_not_found',
    },
    {
      name: "POST /api/v1/orders with B's package_id",
      method: 'post',
      path: () => '/api/v1/orders',
      body: (id) => ({ application_id: a.applicationId, package_id: id, pay_way: 'Sandbox' }),
      target: 'package',
      code: 'package_not_found',
    },
    {
      name: "POST /api/v1/orders with B's application_id and package_id",
      method: 'post',
      path: () => '/api/v1/orders',
      // B's pair, or (for the unknown-id comparison) a pair nobody has.
      body: (id) => ({
        application_id: id === bIds.package ? bIds.application : randomUUID(),
        package_id: id,
        pay_way: 'Sandbox',
      }),
      target: 'package',
      // Both are missing for A: the application's 404 is reported, every time.
      code: 'application_not_found',
    },
    {
      name: "POST /api/v1/packages bound to B's application_id",
      method: 'post',
      path: () => '/api/v1/packages',
      body: (id) => ({ name: 'probe', amount: 1, price: 1, currency: 'USD', application_id: id }),
      target: 'application',
      code: 'application_not_found',
    },
  ];

  it.each(probes.map((p) => [p.name, p] as const))(
    "%s with B's id: 404, nothing leaked, nothing of B changed",
    async (_name, p) => {
      const before = await snapshotOfB();
      const aOrdersBefore = await db(app).query<{ n: number }[]>(
        'SELECT count(*)::int AS n FROM orders WHERE tenant_id = $1',
        [a.tenantId],
      );

      const res = await send(p, bIds[p.target]);
      expect(res.status).toBe(404);
      if (Array.isArray(p.code)) expect(p.code).toContain(res.body.code);
      else expect(res.body.code).toBe(p.code);
      const text = JSON.stringify(res.body);
      for (const secret of bSecrets) expect(text).not.toContain(secret);
      expect(res.text).not.toContain(b.tenantId);

      // No existence oracle: B's id answers exactly like an id nobody has.
      const unknown = await send(p, randomUUID());
      expect(unknown.status).toBe(404);
      if (Array.isArray(p.code)) expect(p.code).toContain(unknown.body.code);
      else expect(unknown.body).toEqual(res.body);

      expect(await snapshotOfB()).toEqual(before);
      const aOrdersAfter = await db(app).query<{ n: number }[]>(
        'SELECT count(*)::int AS n FROM orders WHERE tenant_id = $1',
        [a.tenantId],
      );
      expect(aOrdersAfter).toEqual(aOrdersBefore);
    },
  );

  it("leaves B's token working and B's pending order payable after all of A's probes", async () => {
    await http(app).get('/api/v1/auth/me').set(bTokenAuth).expect(200);
    const order = await http(app).get(`/api/v1/orders/${bIds.order}`).set(b.auth).expect(200);
    expect(order.body.state).toBe('Pending');
    const pkg = await http(app).get(`/api/v1/packages/${bIds.package}`).set(b.auth).expect(200);
    expect(pkg.body).toMatchObject({ active: true, price: 29.99 });
    const application = await http(app)
      .get(`/api/v1/applications/${bIds.application}`)
      .set(b.auth)
      .expect(200);
    expect(application.body.balance).toBe(290);
    const paid = await http(app)
      .post('/api/order/payment')
      .set(b.auth)
      .send({ order_id: bIds.order, pay_way: 'sandbox' })
      .expect(200);
    expect(paid.body.code).toBe(0);
  });

  it("never lists B's objects to A, while A sees its own", async () => {
    const api = http(app);
    const lists: [string, string][] = [
      ['/api/v1/applications', a.applicationId],
      ['/api/v1/packages', a.packageId],
      ['/api/v1/packages?include_inactive=true', a.packageId],
      ['/api/v1/orders', aOrderId],
      ['/api/v1/orders?limit=100', aOrderId],
      ['/api/v1/orders?state=Pending', aOrderId],
      ['/api/v1/orders?pay_way=Sandbox', aOrderId],
      [`/api/v1/orders?application_id=${a.applicationId}`, aOrderId],
      [`/api/v1/applications/${a.applicationId}/ledger`, ''],
      ['/api/v1/auth/tokens', ''],
      ['/api/v1/auth/me', a.tenantId],
    ];
    for (const [path, own] of lists) {
      const res = await api.get(path).set(a.auth).expect(200);
      const text = JSON.stringify(res.body);
      if (own) expect(text).toContain(own);
      for (const secret of bSecrets) expect(text).not.toContain(secret);
    }
    // Filtering A's orders by B's application finds nothing rather than B's orders.
    const filtered = await api
      .get(`/api/v1/orders?application_id=${bIds.application}`)
      .set(a.auth)
      .expect(200);
    expect(filtered.body).toEqual({ data: [], has_more: false, next_cursor: null });
    // And B sees B's, never A's.
    const bOrders = await api.get('/api/v1/orders').set(b.auth).expect(200);
    const ids = (bOrders.body.data as { id: string }[]).map((o) => o.id);
    expect(ids).toEqual(expect.arrayContaining([bIds.order, bIds.finishedOrder]));
    expect(ids).not.toContain(aOrderId);
  });

  it("does not follow a cursor crafted from B's order into B's orders", async () => {
    const bPage = await http(app).get('/api/v1/orders?limit=1').set(b.auth).expect(200);
    const cursor = bPage.body.next_cursor as string | null;
    expect(cursor).toEqual(expect.any(String));
    const res = await http(app)
      .get(`/api/v1/orders?limit=100&cursor=${encodeURIComponent(cursor ?? '')}`)
      .set(a.auth);
    expect(res.status).toBeLessThan(500);
    const text = JSON.stringify(res.body);
    for (const secret of bSecrets) expect(text).not.toContain(secret);
  });
});
