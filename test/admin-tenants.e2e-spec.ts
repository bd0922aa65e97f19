import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { RunningPaymux } from '../src/bootstrap';
import { ProviderRegistry } from '../src/payments/provider-registry';
import {
  ApiKey,
  balanceOf,
  creditEntriesOf,
  db,
  http,
  Merchant,
  newMember,
  newMerchant,
  newOrder,
  orderStateOf,
  signedRequest,
  startTestAppWithAdmin,
} from './helpers/app';
import { waitFor } from './helpers/wait';

/**
 * The platform operators' tenants API (list, search, detail without secrets) and suspension: a
 * suspended tenant's platform API, merchant API and new orders answer 403 tenant_suspended, while
 * provider callbacks for its payments are still verified and credited; each change is audited once.
 */
describe('admin tenants', () => {
  let app: RunningPaymux;
  let admin: { authorization: string };
  const stripe = {
    secret_key: `sk_test_${randomBytes(16).toString('hex')}`,
    webhook_secret: `whsec_${randomBytes(16).toString('hex')}`,
  };

  beforeAll(async () => {
    ({ app, admin } = await startTestAppWithAdmin({
      AUTH_RECHECK_SECONDS: '1',
      PAYMUX_STRIPE_BASE_URL: 'http://127.0.0.1:9/stripe-fake',
    }));
  });
  afterAll(() => app.close());

  const auditOf = (tenantId: string): Promise<{ actor_id: string; action: string; data: unknown }[]> =>
    db(app).query(
      `SELECT actor_id, action, data FROM audit_log WHERE target = $1 AND tenant_id = $2 ORDER BY id`,
      [`tenant:${tenantId}`, tenantId],
    );
  const suspend = (id: string, reason = 'chargeback fraud under review') =>
    http(app).post(`/api/v1/admin/tenants/${id}/suspend`).set(admin).send({ reason });
  const unsuspend = (id: string) =>
    http(app).post(`/api/v1/admin/tenants/${id}/unsuspend`).set(admin).send({ reason: 'cleared' });

  it('lists and searches tenants by name, id and owner email, with cursor pages', async () => {
    const a = await newMerchant(app);
    const b = await newMerchant(app);
    const byEmail = await http(app)
      .get('/api/v1/admin/tenants')
      .query({ q: a.email.toUpperCase() })
      .set(admin);
    expect(byEmail.status).toBe(200);
    expect(byEmail.body.data).toEqual([
      {
        id: a.tenantId,
        name: expect.any(String),
        owner_emails: [a.email],
        suspended: false,
        suspended_at: null,
        suspension_reason: null,
        created_at: expect.any(String),
      },
    ]);
    const byId = await http(app).get('/api/v1/admin/tenants').query({ q: b.tenantId }).set(admin).expect(200);
    expect(byId.body.data.map((t: { id: string }) => t.id)).toEqual([b.tenantId]);
    await db(app).query(`UPDATE tenants SET name = $2 WHERE id = $1`, [
      b.tenantId,
      `Shop 100%_${b.tenantId}`,
    ]);
    const byName = await http(app)
      .get('/api/v1/admin/tenants')
      .query({ q: `shop 100%_${b.tenantId.slice(0, 8)}` })
      .set(admin)
      .expect(200);
    expect(byName.body.data.map((t: { id: string }) => t.id)).toEqual([b.tenantId]);
    // Wildcards are literal.
    const none = await http(app).get('/api/v1/admin/tenants').query({ q: '%' }).set(admin).expect(200);
    expect(none.body.data.map((t: { id: string }) => t.id)).toContain(b.tenantId);
    expect(none.body.data.every((t: { name: string }) => t.name.includes('%'))).toBe(true);
    expect(none.body.data.map((t: { id: string }) => t.id)).not.toContain(a.tenantId);

    // Pages: every tenant once, newest first. Other suites may add tenants to the same database
    // meanwhile: walk only this test's tenants, found by a marker in their names.
    const marker = `walk-${randomUUID()}`;
    for (const [i, t] of [a, b, await newMerchant(app)].entries())
      await db(app).query(`UPDATE tenants SET name = $2 WHERE id = $1`, [t.tenantId, `${marker} ${i}`]);
    const all = await http(app)
      .get('/api/v1/admin/tenants')
      .query({ q: marker, limit: 100 })
      .set(admin)
      .expect(200);
    expect(all.body.data).toHaveLength(3);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await http(app)
        .get('/api/v1/admin/tenants')
        .query({ q: marker, limit: 2, ...(cursor ? { cursor } : {}) })
        .set(admin)
        .expect(200);
      seen.push(...page.body.data.map((t: { id: string }) => t.id));
      cursor = page.body.next_cursor ?? undefined;
      expect(page.body.has_more).toBe(cursor !== undefined);
    } while (cursor && seen.length < 100);
    expect(seen).toEqual(all.body.data.map((t: { id: string }) => t.id));
    expect(new Set(seen).size).toBe(seen.length);

    const bad = await http(app).get('/api/v1/admin/tenants').query({ cursor: 'nope' }).set(admin).expect(400);
    expect(bad.body.code).toBe('invalid_cursor');
  });

  it('shows a tenant: members, providers without any credential, balances and volume, exact', async () => {
    const m = await newMerchant(app);
    const member = await newMember(app, m);
    await http(app)
      .put('/api/v1/providers/stripe')
      .set(m.auth)
      .send({ enabled: false, mode: 'test', credentials: stripe })
      .expect(200);
    const order = await newOrder(app, m);
    await newOrder(app, m);
    await http(app)
      .post(`/api/v1/sandbox/payments/${order.pay_id as string}/complete`)
      .send({ outcome: 'succeeded' })
      .expect(200);
    await waitFor('the order finished', async () => (await orderStateOf(app, m, order.id)) === 'Finished');

    const res = await http(app).get(`/api/v1/admin/tenants/${m.tenantId}`).set(admin).expect(200);
    expect(res.body).toMatchObject({
      id: m.tenantId,
      owner_emails: [m.email],
      suspended: false,
      members: expect.arrayContaining([
        { user_id: m.userId, email: m.email, role: 'owner' },
        { user_id: member.userId, email: expect.any(String), role: 'member' },
      ]),
      providers: [{ provider: 'stripe', enabled: false, mode: 'test' }],
      applications: [{ id: m.applicationId, name: 'App', balance: '500' }],
      order_count: 2,
      volume: [{ currency: 'USD', orders: 2, paid_orders: 1, paid_amount: '49.99' }],
    });
    expect(res.body.members).toHaveLength(2);
    const body = JSON.stringify(res.body);
    for (const secret of Object.values(stripe)) {
      expect(body).not.toContain(secret);
      expect(body).not.toContain(secret.slice(-4));
    }
    expect(body).not.toContain('••••');
    expect(body).not.toMatch(/credential|sealed|secret/i);

    await http(app).get(`/api/v1/admin/tenants/${randomUUID()}`).set(admin).expect(404);
    const badId = await http(app).get('/api/v1/admin/tenants/not-a-uuid').set(admin).expect(400);
    expect(badId.body.code).toBe('invalid_id');
  });

  it('refuses these routes to anyone but a platform admin', async () => {
    const m = await newMerchant(app);
    for (const req of [
      http(app).get('/api/v1/admin/tenants').set(m.auth),
      http(app).get(`/api/v1/admin/tenants/${m.tenantId}`).set(m.auth),
      http(app).post(`/api/v1/admin/tenants/${m.tenantId}/suspend`).set(m.auth).send({ reason: 'x' }),
      http(app).post(`/api/v1/admin/tenants/${m.tenantId}/unsuspend`).set(m.auth).send({}),
    ]) {
      const res = await req;
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('forbidden');
    }
    await http(app).get('/api/v1/admin/tenants').expect(401);
    expect(await auditOf(m.tenantId)).toEqual([]);
  });

  describe('suspension', () => {
    let m: Merchant;
    let key: ApiKey;
    let pat: { authorization: string };
    let member: { authorization: string };
    let pending: Record<string, unknown>;
    let pendingToo: Record<string, unknown>;
    const adminId = async (): Promise<string> =>
      (await http(app).get('/api/v1/auth/me').set(admin).expect(200)).body.user.id as string;
    const merchantPayment = (): Record<string, unknown> => ({
      order_no: `Sus${Date.now()}${randomBytes(3).toString('hex')}`,
      currency: 'USDT',
      amount: '0.1',
      chain_type: 'BSC',
      product_name: 'Thing',
      notify_url: 'https://merchant.example/notify',
    });

    beforeAll(async () => {
      m = await newMerchant(app);
      member = (await newMember(app, m)).auth;
      key = (await http(app).post('/api/v1/api-keys').set(m.auth).send({ name: 's' }).expect(201))
        .body as ApiKey;
      pat = {
        authorization: `Bearer ${(await http(app).post('/api/v1/auth/tokens').set(m.auth).send({ name: 'ci' }).expect(201)).body.token as string}`,
      };
      pending = await newOrder(app, m);
      pendingToo = await newOrder(app, m);
      await signedRequest(app, key, 'POST', '/v1/payment', merchantPayment()).expect(200);
    });

    it('refuses its platform API, merchant API and new orders at once with 403 tenant_suspended (audited once)', async () => {
      const res = await suspend(m.tenantId).expect(200);
      expect(res.body).toMatchObject({
        id: m.tenantId,
        suspended: true,
        suspended_at: expect.any(String),
        suspension_reason: 'chargeback fraud under review',
      });
      // This process invalidated its cache: refused at once.
      for (const auth of [m.auth, pat, member]) {
        const r = await http(app).get('/api/v1/orders').set(auth).expect(403);
        expect(r.body).toEqual({ code: 'tenant_suspended', message: expect.any(String) });
      }
      const create = await http(app)
        .post('/api/v1/orders')
        .set(m.auth)
        .send({ application_id: m.applicationId, package_id: m.packageId, pay_way: 'Sandbox' })
        .expect(403);
      expect(create.body.code).toBe('tenant_suspended');
      // The order payment API's dialect: 1002 like any 403.
      const pay = await http(app)
        .post('/api/order/payment')
        .set(m.auth)
        .send({ order_id: pending.id, pay_way: 'Sandbox' })
        .expect(403);
      expect(pay.body).toEqual({ code: 1002, msg: expect.any(String), data: null });
      // The merchant API's dialect: 10001 like any 403; nothing written.
      const body = merchantPayment();
      const merchant = await signedRequest(app, key, 'POST', '/v1/payment', body).expect(403);
      expect(merchant.body).toEqual({ code: 10001, message: expect.stringContaining('suspended') });
      const [{ n }] = await db(app).query<{ n: number }[]>(
        'SELECT count(*)::int AS n FROM orders WHERE merchant_order_no = $1',
        [body.order_no],
      );
      expect(n).toBe(0);
      // A wrong signature still says only that (nobody learns of the suspension without the secret).
      const forged = await signedRequest(
        app,
        { ...key, secret: 'msk_wrong' },
        'GET',
        '/v1/payment/X1234567',
      ).expect(401);
      expect(forged.body.code).toBe(10001);

      // Suspending again changes nothing and writes nothing.
      await suspend(m.tenantId, 'again').expect(200);
      const audit = await auditOf(m.tenantId);
      expect(audit).toEqual([
        {
          actor_id: await adminId(),
          action: 'tenant.suspend',
          data: {
            reason: 'chargeback fraud under review',
            before: { suspended: false, reason: null },
            after: { suspended: true, reason: 'chargeback fraud under review' },
          },
        },
      ]);
      const detail = await http(app).get(`/api/v1/admin/tenants/${m.tenantId}`).set(admin).expect(200);
      expect(detail.body).toMatchObject({
        suspended: true,
        suspension_reason: 'chargeback fraud under review',
      });
    });

    it('still verifies and credits provider callbacks for its pending orders (Sandbox completion and signed webhook)', async () => {
      await http(app)
        .post(`/api/v1/sandbox/payments/${pending.pay_id as string}/complete`)
        .send({ outcome: 'succeeded' })
        .expect(200);
      const now = Math.floor(Date.now() / 1000);
      const event = JSON.stringify({
        id: `evt_${randomUUID()}`,
        type: 'payment.succeeded',
        pay_id: pendingToo.pay_id,
        amount: '49.99',
        currency: 'USD',
        created: now,
      });
      const secret = app.app.get(ProviderRegistry).sandboxSecret(m.tenantId);
      const signature = `t=${now},v1=${createHmac('sha256', secret).update(`${now}.${event}`).digest('hex')}`;
      await http(app)
        .post(`/api/v1/webhooks/sandbox/${m.tenantId}`)
        .set('content-type', 'application/json')
        .set('paymux-sandbox-signature', signature)
        .send(event)
        .expect(200);
      const stateOf = async (id: unknown): Promise<string> =>
        (await db(app).query<{ state: string }[]>('SELECT state FROM orders WHERE id = $1', [id]))[0].state;
      await waitFor('both orders finished', async () =>
        (await Promise.all([stateOf(pending.id), stateOf(pendingToo.id)])).every((s) => s === 'Finished'),
      );
      expect(await creditEntriesOf(app, pending.id)).toBe(1);
      expect(await creditEntriesOf(app, pendingToo.id)).toBe(1);
      const [{ balance }] = await db(app).query<{ balance: string }[]>(
        'SELECT balance::text AS balance FROM applications WHERE id = $1',
        [m.applicationId],
      );
      expect(balance).toBe('1000.000000');
    });

    it('unsuspending restores every API (audited once)', async () => {
      const res = await unsuspend(m.tenantId).expect(200);
      expect(res.body).toMatchObject({ suspended: false, suspended_at: null, suspension_reason: null });
      for (const auth of [m.auth, pat, member]) await http(app).get('/api/v1/orders').set(auth).expect(200);
      expect(await balanceOf(app, m)).toBe(1000);
      await newOrder(app, m);
      await signedRequest(app, key, 'POST', '/v1/payment', merchantPayment()).expect(200);
      // Without a body too; a second unsuspend writes nothing.
      await http(app).post(`/api/v1/admin/tenants/${m.tenantId}/unsuspend`).set(admin).expect(200);
      const audit = await auditOf(m.tenantId);
      expect(audit.map((a) => a.action)).toEqual(['tenant.suspend', 'tenant.unsuspend']);
      expect(audit[1].data).toEqual({
        reason: 'cleared',
        before: { suspended: true, reason: 'chargeback fraud under review' },
        after: { suspended: false, reason: null },
      });
    });

    it('is seen within the recheck bound when another process suspends (the row changed directly)', async () => {
      await http(app).get('/api/v1/orders').set(m.auth).expect(200);
      await db(app).query(`UPDATE tenants SET suspended_at = now() WHERE id = $1`, [m.tenantId]);
      await waitFor(
        'suspension seen',
        async () => (await http(app).get('/api/v1/orders').set(m.auth)).status === 403,
      );
      await db(app).query(`UPDATE tenants SET suspended_at = NULL WHERE id = $1`, [m.tenantId]);
      await waitFor(
        'unsuspension seen',
        async () => (await http(app).get('/api/v1/orders').set(m.auth)).status === 200,
      );
    });

    it('lets a platform admin act as an operator on a suspended tenant it belongs to, but creates no order there', async () => {
      const [{ tenant_id: home }] = await db(app).query<{ tenant_id: string }[]>(
        `SELECT tenant_id FROM memberships WHERE user_id = $1 LIMIT 1`,
        [await adminId()],
      );
      await suspend(home, 'operator test').expect(200);
      try {
        await http(app).get('/api/v1/orders').set(admin).expect(200);
        await http(app).get('/api/v1/admin/tenants').query({ q: home }).set(admin).expect(200);
        const create = await http(app)
          .post('/api/v1/orders')
          .set(admin)
          .send({ application_id: randomUUID(), package_id: randomUUID(), pay_way: 'Sandbox' })
          .expect(403);
        expect(create.body.code).toBe('tenant_suspended');
      } finally {
        await unsuspend(home).expect(200);
      }
    });

    it('writes no audit row when the change fails (unknown tenant: 404) and refuses a blank reason', async () => {
      const unknown = randomUUID();
      const res = await suspend(unknown).expect(404);
      expect(res.body.code).toBe('tenant_not_found');
      await unsuspend(unknown).expect(404);
      expect(await auditOf(unknown)).toEqual([]);
      const blank = await suspend(m.tenantId, '   ').expect(400);
      expect(blank.body.code).toBeDefined();
      await http(app).post(`/api/v1/admin/tenants/${m.tenantId}/suspend`).set(admin).send({}).expect(400);
      const [{ n }] = await db(app).query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM audit_log WHERE target = $1`,
        [`tenant:${m.tenantId}`],
      );
      expect(n).toBe(2);
    });
  });
});
