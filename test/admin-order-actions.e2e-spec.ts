import { randomBytes, randomUUID } from 'node:crypto';
import type { RunningPaymux } from '../src/bootstrap';
import {
  creditEntriesOf,
  db,
  http,
  Merchant,
  newMember,
  newMerchant,
  newOrder,
  paidOrderId,
  signedRequest,
  startTestAppWithAdmin,
} from './helpers/app';

type Row = Record<string, unknown>;

/**
 * A platform operator's actions on any tenant's order over real HTTP (refund, forced refund, cancel,
 * reconcile now, resend a notification), the same services as the staff routes with the order's own
 * tenant as scope; each write leaves exactly one audit row. Staff of another tenant get 404 on every
 * staff twin, members 403 on writes.
 */
describe('admin order actions', () => {
  let app: RunningPaymux;
  let admin: { authorization: string };
  let adminId: string;
  let a: Merchant;
  let b: Merchant;

  const auditRows = (action: string, target: string) =>
    db(app).query<{ actor_id: string; tenant_id: string | null; data: Row }[]>(
      'SELECT actor_id, tenant_id, data FROM audit_log WHERE action = $1 AND target = $2 ORDER BY id',
      [action, target],
    );
  const adminPost = (path: string, body: Row = {}) =>
    http(app).post(`/api/v1/admin/${path}`).set(admin).send(body);
  const stateOf = async (orderId: unknown): Promise<string> =>
    (await db(app).query<{ state: string }[]>('SELECT state FROM orders WHERE id = $1', [orderId]))[0].state;
  const balanceOf = async (m: Merchant): Promise<string> =>
    (
      await db(app).query<{ balance: string }[]>('SELECT balance::text FROM applications WHERE id = $1', [
        m.applicationId,
      ])
    )[0].balance;

  beforeAll(async () => {
    ({ app, admin } = await startTestAppWithAdmin());
    adminId = (await http(app).get('/api/v1/auth/me').set(admin).expect(200)).body.user.id as string;
    a = await newMerchant(app);
    b = await newMerchant(app);
  });
  afterAll(() => app.close());

  it("refunds another tenant's Finished order partially, audited once in the order's tenant", async () => {
    const orderId = await paidOrderId(app, a);
    const res = await adminPost(`orders/${orderId}/refunds`, { amount: '10.00', reason: 'goodwill' }).expect(
      201,
    );
    expect(res.body).toMatchObject({ order_id: orderId, status: 'succeeded', amount: 10, forced: false });
    expect(await stateOf(orderId)).toBe('PartiallyRefunded');
    const rows = await auditRows('refund.create', `refund:${res.body.id as string}`);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor_id: adminId, tenant_id: a.tenantId });
    expect(rows[0].data).toMatchObject({ reason: 'goodwill', after: { order_id: orderId, forced: false } });
    // The staff route goes through the same service: its refund is audited the same way.
    const staff = await http(app)
      .post(`/api/v1/orders/${orderId}/refunds`)
      .set(a.auth)
      .send({ amount: '5', reason: 'staff' })
      .expect(201);
    const staffRows = await auditRows('refund.create', `refund:${staff.body.id as string}`);
    expect(staffRows.map((r) => [r.actor_id, r.tenant_id])).toEqual([[a.userId, a.tenantId]]);
  });

  it('replays an operator refund by Idempotency-Key without a second refund or audit row', async () => {
    const orderId = await paidOrderId(app, a);
    const key = `k-${randomUUID()}`;
    const send = () =>
      http(app)
        .post(`/api/v1/admin/orders/${orderId}/refunds`)
        .set(admin)
        .set('Idempotency-Key', key)
        .send({ amount: '1', reason: 'dup' });
    const first = await send().expect(201);
    const again = await send().expect(200);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await auditRows('refund.create', `refund:${first.body.id as string}`)).toHaveLength(1);
    const res = await http(app)
      .post(`/api/v1/admin/orders/${orderId}/refunds`)
      .set(admin)
      .set('Idempotency-Key', 'bad key with spaces')
      .send({ reason: 'x' });
    expect([res.status, res.body.code]).toEqual([400, 'invalid_idempotency_key']);
  });

  it('forces a refund past the balance only for an operator', async () => {
    const orderId = await paidOrderId(app, b);
    await http(app)
      .post(`/api/v1/applications/${b.applicationId}/usage`)
      .set(b.auth)
      .send({ amount: 450, reference: `spent-${randomUUID()}` })
      .expect((r) => expect([200, 201]).toContain(r.status));
    const refused = await adminPost(`orders/${orderId}/refunds`, { reason: 'late' }).expect(409);
    expect(refused.body.code).toBe('insufficient_balance');
    const staffForce = await http(app)
      .post(`/api/v1/orders/${orderId}/refunds`)
      .set(b.auth)
      .send({ reason: 'force', force: true })
      .expect(403);
    expect(staffForce.body.code).toBe('forbidden');
    const forced = await adminPost(`orders/${orderId}/refunds`, { reason: 'force', force: true }).expect(201);
    expect(forced.body).toMatchObject({ forced: true, status: 'succeeded' });
    expect(await balanceOf(b)).toBe('-450.000000');
    expect(await stateOf(orderId)).toBe('Refunded');
    const rows = await auditRows('refund.create', `refund:${forced.body.id as string}`);
    expect(rows).toHaveLength(1);
    expect(rows[0].data).toMatchObject({ after: { forced: true } });
  });

  it("cancels another tenant's Pending order: the admin order row, one audit row", async () => {
    const order = await newOrder(app, a);
    const res = await adminPost(`orders/${order.id as string}/cancel`).expect(200);
    expect(res.body).toMatchObject({
      id: order.id,
      tenant_id: a.tenantId,
      state: 'Cancelled',
      price: '49.99',
    });
    const rows = await auditRows('order.cancel', `order:${order.id as string}`);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor_id: adminId, tenant_id: a.tenantId });
    expect(rows[0].data).toMatchObject({ before: { state: 'Pending' }, after: { state: 'Cancelled' } });
    // Cancelled cannot be cancelled again: 409, and no second audit row.
    const again = await adminPost(`orders/${order.id as string}/cancel`);
    expect(again.status).toBe(409);
    expect(await auditRows('order.cancel', `order:${order.id as string}`)).toHaveLength(1);
  });

  it('reconciles now: a payment the provider says is paid ends Finished, credited exactly once', async () => {
    const order = await newOrder(app, a);
    const orderId = order.id as string;
    // The payer paid at the sandbox, but its callback never arrived.
    await http(app)
      .post(`/api/v1/sandbox/payments/${order.pay_id as string}/complete`)
      .send({ outcome: 'succeeded', notify: false })
      .expect(200);
    expect(await stateOf(orderId)).toBe('Pending');

    const [first, second] = await Promise.all([
      adminPost(`orders/${orderId}/reconcile`).expect(200),
      adminPost(`orders/${orderId}/reconcile`).expect(200),
    ]);
    for (const r of [first, second])
      expect(r.body).toMatchObject({ order_id: orderId, state: 'Finished', payment_status: 'succeeded' });
    expect([first.body.outcome, second.body.outcome]).toContain('paid');
    expect(await stateOf(orderId)).toBe('Finished');
    expect(await creditEntriesOf(app, orderId)).toBe(1);
    const events = await db(app).query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM provider_events e JOIN payments p ON p.id = e.payment_id
        WHERE p.order_id = $1 AND e.event_id LIKE 'query:%'`,
      [orderId],
    );
    expect(events[0].n).toBe(1);

    // Nothing open any more: unchanged, still one credit; every call leaves exactly one audit row.
    const third = await adminPost(`orders/${orderId}/reconcile`).expect(200);
    expect(third.body).toMatchObject({ outcome: 'unchanged', state: 'Finished' });
    expect(await creditEntriesOf(app, orderId)).toBe(1);
    const rows = await auditRows('order.reconcile', `order:${orderId}`);
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.actor_id === adminId && r.tenant_id === a.tenantId)).toBe(true);
  });

  it('reconciles a payment still open at the provider as pending, changing nothing', async () => {
    const order = await newOrder(app, b);
    const res = await adminPost(`orders/${order.id as string}/reconcile`).expect(200);
    expect(res.body).toMatchObject({ outcome: 'pending', state: 'Pending', payment_status: 'pending' });
    expect(await auditRows('order.reconcile', `order:${order.id as string}`)).toHaveLength(1);
  });

  /** A merchant API order of m with a notify_url, paid: its id and its first notification's id. */
  async function notifiedOrder(m: Merchant): Promise<{ orderId: string; n: { id: string } }> {
    const key = (await http(app).post('/api/v1/api-keys').set(m.auth).send({ name: 'n' }).expect(201))
      .body as { key_id: string; secret: string };
    const created = await signedRequest(app, key, 'POST', '/v1/payment', {
      order_no: `R${Date.now()}${randomBytes(3).toString('hex')}`,
      currency: 'USDT',
      amount: '5',
      chain_type: 'TRON',
      notify_url: 'https://merchant.example/notify',
    }).expect(200);
    const orderId = created.body.data.id as string;
    const [p] = await db(app).query<{ provider_ref: string }[]>(
      'SELECT provider_ref FROM payments WHERE order_id = $1',
      [orderId],
    );
    await http(app)
      .post(`/api/v1/sandbox/payments/${p.provider_ref}/complete`)
      .send({ outcome: 'succeeded' })
      .expect(200);
    const [n] = await db(app).query<{ id: string }[]>(
      'SELECT id FROM notifications WHERE order_id = $1 ORDER BY seq LIMIT 1',
      [orderId],
    );
    expect(n).toBeDefined();
    return { orderId, n };
  }

  it("resends another tenant's notification, audited once", async () => {
    const { orderId, n } = await notifiedOrder(a);
    const res = await adminPost(`notifications/${n.id}/resend`).expect(201);
    expect(res.body).toMatchObject({ id: n.id, order_id: orderId, status: 'pending' });
    const rows = await auditRows('notification.resend', `notification:${n.id}`);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor_id: adminId, tenant_id: a.tenantId });

    // Staff of the tenant: the same service, audited the same way; another tenant's staff: 404.
    await http(app).post(`/api/v1/notifications/${n.id}/resend`).set(a.auth).expect(201);
    expect(await auditRows('notification.resend', `notification:${n.id}`)).toHaveLength(2);
    const other = await http(app).post(`/api/v1/notifications/${n.id}/resend`).set(b.auth).expect(404);
    expect(other.body.code).toBe('notification_not_found');
    expect(await auditRows('notification.resend', `notification:${n.id}`)).toHaveLength(2);

    // The order's timeline shows the resends.
    const t = await http(app).get(`/api/v1/orders/${orderId}/timeline`).set(a.auth).expect(200);
    expect(
      (t.body.audit_entries as Row[]).filter((e) => e.action === 'notification.resend').map((e) => e.target),
    ).toEqual([`notification:${n.id}`, `notification:${n.id}`]);
  });

  it('answers 404 for an unknown order or notification, 400 for a bad id', async () => {
    for (const path of ['refunds', 'cancel', 'reconcile']) {
      const res = await adminPost(`orders/${randomUUID()}/${path}`, { reason: 'x' });
      expect([path, res.status, res.body.code]).toEqual([path, 404, 'order_not_found']);
    }
    const n = await adminPost(`notifications/${randomUUID()}/resend`).expect(404);
    expect(n.body.code).toBe('notification_not_found');
    await adminPost('orders/not-a-uuid/cancel').expect(400);
  });

  it('refuses the operator routes to tenant owners and members (403) and without a token (401)', async () => {
    const order = await newOrder(app, a);
    const member = await newMember(app, a);
    for (const auth of [a.auth, member.auth])
      for (const path of ['refunds', 'cancel', 'reconcile']) {
        const res = await http(app)
          .post(`/api/v1/admin/orders/${order.id as string}/${path}`)
          .set(auth)
          .send({ reason: 'x' });
        expect([path, res.status]).toEqual([path, 403]);
      }
    await http(app)
      .post(`/api/v1/admin/orders/${order.id as string}/cancel`)
      .expect(401);
    expect(await stateOf(order.id)).toBe('Pending');
  });

  describe('staff twins', () => {
    it('answer 404 to staff of another tenant on every route, and change nothing', async () => {
      const paid = await paidOrderId(app, a);
      const pending = (await newOrder(app, a)).id as string;
      const reads = [
        `/api/v1/orders/${paid}`,
        `/api/v1/orders/${paid}/timeline`,
        `/api/v1/orders/${paid}/refunds`,
      ];
      for (const path of reads) {
        const res = await http(app).get(path).set(b.auth);
        expect([path, res.status, res.body.code]).toEqual([path, 404, 'order_not_found']);
      }
      const writes: [string, Row][] = [
        [`/api/v1/orders/${paid}/refunds`, { reason: 'x' }],
        [`/api/v1/orders/${pending}/cancel`, {}],
      ];
      for (const [path, body] of writes) {
        const res = await http(app).post(path).set(b.auth).send(body);
        expect([path, res.status, res.body.code]).toEqual([path, 404, 'order_not_found']);
      }
      expect(await stateOf(paid)).toBe('Finished');
      expect(await stateOf(pending)).toBe('Pending');
      // Not in their list, their export nor their attention queue either.
      const list = await http(app).get('/api/v1/orders').query({ q: paid }).set(b.auth).expect(200);
      expect(list.body.data).toEqual([]);
      const csv = await http(app).get('/api/v1/orders/export.csv').query({ q: paid }).set(b.auth).expect(200);
      expect(String(csv.text).trim().split('\r\n')).toHaveLength(1);
    });

    it('refuse writes to a member (403) but let them read', async () => {
      const paid = await paidOrderId(app, a);
      const owners = (await newOrder(app, a)).id as string;
      const member = await newMember(app, a);
      const refund = await http(app)
        .post(`/api/v1/orders/${paid}/refunds`)
        .set(member.auth)
        .send({ reason: 'x' })
        .expect(403);
      expect(refund.body.code).toBe('forbidden');
      // A member may cancel only orders they created: the owner's order is refused.
      await http(app).post(`/api/v1/orders/${owners}/cancel`).set(member.auth).expect(403);
      const { n } = await notifiedOrder(a);
      await http(app).post(`/api/v1/notifications/${n.id}/resend`).set(member.auth).expect(403);
      expect(await auditRows('notification.resend', `notification:${n.id}`)).toHaveLength(0);
      expect(await stateOf(owners)).toBe('Pending');
      expect(await auditRows('order.cancel', `order:${owners}`)).toHaveLength(0);
      await http(app).get(`/api/v1/orders/${paid}/timeline`).set(member.auth).expect(200);
      await http(app).get('/api/v1/orders/export.csv').set(member.auth).expect(200);
      await http(app).get('/api/v1/attention').set(member.auth).expect(200);
    });
  });
});
