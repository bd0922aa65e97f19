import Decimal from 'decimal.js';
import { randomUUID } from 'node:crypto';
import type { RunningPaymux } from '../src/bootstrap';
import { db, http, Merchant, newMerchant, newOrder, startTestAppWithAdmin } from './helpers/app';

/**
 * A platform operator resolves a payment no provider can settle (an x402 settle whose answer was
 * lost): through the event path, credited once, audited, platform admins only.
 */
describe('operator resolution of a pending payment', () => {
  let app: RunningPaymux;
  let admin: { authorization: string };
  let m: Merchant;

  beforeAll(async () => {
    ({ app, admin } = await startTestAppWithAdmin());
    m = await newMerchant(app);
  });
  afterAll(() => app.close());

  const paymentOf = async (orderId: unknown) =>
    (
      await db(app).query<{ id: string; status: string }[]>(
        'SELECT id, status FROM payments WHERE order_id = $1',
        [orderId],
      )
    )[0];
  const balance = async () =>
    (
      await db(app).query<{ b: string }[]>('SELECT balance::text AS b FROM applications WHERE id = $1', [
        m.applicationId,
      ])
    )[0].b;
  const resolve = (paymentId: string, body: Record<string, unknown>, auth = admin) =>
    http(app).post(`/api/v1/admin/payments/${paymentId}/resolve`).set(auth).send(body);

  it('credits a resolved success once, audits it, and refuses a second resolution', async () => {
    const order = await newOrder(app, m);
    const payment = await paymentOf(order.id);
    const before = await balance();
    const res = await resolve(payment.id, { outcome: 'succeeded', reason: 'tx 0xabc on Base' }).expect(200);
    expect(res.body).toEqual({
      payment_id: payment.id,
      status: 'succeeded',
      order_id: order.id,
      order_state: 'Finished',
      result: 'applied',
    });
    expect(new Decimal(await balance()).minus(before).toFixed()).toBe('500');
    const audit = await db(app).query<{ action: string; tenant_id: string; data: Record<string, unknown> }[]>(
      `SELECT action, tenant_id, data FROM audit_log WHERE target = $1`,
      [`payment:${payment.id}`],
    );
    expect(audit).toEqual([
      {
        action: 'payment.resolve',
        tenant_id: m.tenantId,
        data: { from: 'pending', outcome: 'succeeded', reason: 'tx 0xabc on Base' },
      },
    ]);

    const again = await resolve(payment.id, { outcome: 'failed', reason: 'second thoughts' }).expect(409);
    expect(again.body.code).toBe('payment_not_pending');
    // The provider's own confirmation arriving late changes nothing either.
    await http(app)
      .post(`/api/v1/sandbox/payments/${order.pay_id as string}/complete`)
      .send({ outcome: 'succeeded' })
      .expect(200);
    const credits = await db(app).query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM ledger_entries WHERE order_id = $1 AND kind = 'credit'`,
      [order.id],
    );
    expect(credits[0].n).toBe(1);
  });

  it('fails a payment without crediting, and leaves the order payable', async () => {
    const order = await newOrder(app, m);
    const payment = await paymentOf(order.id);
    const before = await balance();
    const res = await resolve(payment.id, { outcome: 'failed', reason: 'no transfer on chain' }).expect(200);
    expect(res.body).toMatchObject({ status: 'failed', order_state: 'Pending' });
    expect(await balance()).toBe(before);
  });

  it('is for platform admins only, and answers 404 and 400 on bad input, writing nothing', async () => {
    const order = await newOrder(app, m);
    const payment = await paymentOf(order.id);
    expect((await resolve(payment.id, { outcome: 'succeeded', reason: 'mine' }, m.auth)).status).toBe(403);
    await http(app)
      .post(`/api/v1/admin/payments/${payment.id}/resolve`)
      .send({ outcome: 'succeeded' })
      .expect(401);
    expect((await resolve(randomUUID(), { outcome: 'succeeded', reason: 'none' })).status).toBe(404);
    for (const body of [
      { outcome: 'maybe', reason: 'xyz' },
      { outcome: 'succeeded' },
      { outcome: 'succeeded', reason: 'x' },
    ]) {
      const r = await resolve(payment.id, body);
      expect([r.status, r.body.code]).toEqual([400, 'validation_failed']);
    }
    expect(await paymentOf(order.id)).toMatchObject({ status: 'pending' });
    const audit = await db(app).query(`SELECT 1 FROM audit_log WHERE target = $1`, [`payment:${payment.id}`]);
    expect(audit).toHaveLength(0);
  });
});
