import type { RunningPaymux } from '../src/bootstrap';
import { db, http, Merchant, newMerchant, newOrder, startTestApp } from './helpers/app';

/**
 * The Sandbox's payer side (POST /api/v1/sandbox/payments/:pay_id/complete) records its provider-side
 * charge (sandbox_charges, what reconciliation asks the Sandbox for) in the same statement that reads
 * the payment: written only when the payment exists, a success never overwritten, and a bad amount
 * refused with nothing written.
 */
describe('Sandbox completion: the provider-side charge', () => {
  let app: RunningPaymux;
  let m: Merchant;

  beforeAll(async () => {
    app = await startTestApp();
    m = await newMerchant(app);
  });
  afterAll(() => app.close());

  const complete = (payId: string, body: Record<string, unknown>) =>
    http(app).post(`/api/v1/sandbox/payments/${payId}/complete`).send(body);
  const chargeOf = async (payId: string) =>
    (
      await db(app).query<{ tenant_id: string; outcome: string; amount: string; currency: string }[]>(
        'SELECT tenant_id, outcome, amount::text AS amount, currency FROM sandbox_charges WHERE pay_id = $1',
        [payId],
      )
    )[0];
  const stateOf = async (orderId: unknown) =>
    (await db(app).query<{ state: string }[]>('SELECT state FROM orders WHERE id = $1', [orderId]))[0].state;

  it("records the payer's amount, the payment's currency and tenant; a later failure leaves the success", async () => {
    const order = await newOrder(app, m);
    const payId = order.pay_id as string;
    await complete(payId, { outcome: 'succeeded', amount: '12.34', notify: false })
      .expect(200)
      .expect((res) => expect(res.body).toMatchObject({ pay_id: payId, delivered: false }));
    expect(await chargeOf(payId)).toEqual({
      tenant_id: m.tenantId,
      outcome: 'succeeded',
      amount: '12.340000000000000000',
      currency: 'USD',
    });
    expect(await stateOf(order.id)).toBe('Pending'); // no callback was sent

    await complete(payId, { outcome: 'failed', notify: false }).expect(200);
    expect(await chargeOf(payId)).toMatchObject({ outcome: 'succeeded', amount: '12.340000000000000000' });
  });

  it("a failure first, then a success: the success replaces it, at the payment's own amount", async () => {
    const order = await newOrder(app, m);
    const payId = order.pay_id as string;
    await complete(payId, { outcome: 'failed', amount: '1.00', notify: false }).expect(200);
    expect(await chargeOf(payId)).toMatchObject({ outcome: 'failed', amount: '1.000000000000000000' });
    await complete(payId, { outcome: 'succeeded' })
      .expect(200)
      .expect((res) => expect(res.body).toMatchObject({ result: 'applied', order_state: 'Finished' }));
    expect(await chargeOf(payId)).toMatchObject({ outcome: 'succeeded', amount: '49.990000000000000000' });
  });

  it('an unknown payment is a 404 and records nothing', async () => {
    const payId = 'sbx_no_such_payment_0001';
    const res = await complete(payId, { outcome: 'succeeded', amount: '49.99' }).expect(404);
    expect(res.body.code).toBe('payment_not_found');
    expect(await chargeOf(payId)).toBeUndefined();
  });

  it('an amount above the ceiling (10^15) is a 400 invalid_amount: no charge, no callback, the order untouched', async () => {
    const order = await newOrder(app, m);
    const payId = order.pay_id as string;
    const res = await complete(payId, { outcome: 'succeeded', amount: `1${'0'.repeat(15)}.01` }).expect(400);
    expect(res.body.code).toBe('invalid_amount');
    expect(await chargeOf(payId)).toBeUndefined();
    expect(await stateOf(order.id)).toBe('Pending');
    const [events] = await db(app).query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM provider_events e JOIN payments p ON p.id = e.payment_id WHERE p.order_id = $1`,
      [order.id],
    );
    expect(events.n).toBe(0);
  });
});
