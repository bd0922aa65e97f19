import type { RunningPaymux } from '../src/bootstrap';
import { ProviderError } from '../src/payments/payment-provider';
import { SandboxProvider } from '../src/payments/providers/sandbox/sandbox.provider';
import { ReconciliationService } from '../src/payments/reconciliation.service';
import { db, http, Merchant, newMember, newMerchant, newOrder, startTestApp } from './helpers/app';

/**
 * Refunds through `POST /api/v1/orders/:id/refunds` on the Sandbox: provider first, then one ledger
 * debit per refund; partial refunds add up exactly; never more than was paid, never below a zero
 * balance unless a platform admin forces it; idempotent by key; an unknown provider answer stays
 * pending until reconciliation settles it.
 */
describe('refunds', () => {
  let app: RunningPaymux;

  beforeAll(async () => {
    app = await startTestApp({
      LOGIN_RATE_LIMIT: '1000',
      RECONCILE_INTERVAL_MS: '0',
      EXPIRY_SWEEP_INTERVAL_MS: '0',
    });
  });
  afterAll(() => app.close());
  afterEach(() => jest.restoreAllMocks());

  /** A Finished order of m (USD 49.99 for 500 credits), paid through the sandbox callback path. */
  async function paidOrder(m: Merchant): Promise<string> {
    const order = await newOrder(app, m);
    await http(app)
      .post(`/api/v1/sandbox/payments/${order.pay_id as string}/complete`)
      .send({ outcome: 'succeeded' })
      .expect(200);
    const got = await http(app)
      .get(`/api/v1/orders/${order.id as string}`)
      .set(m.auth)
      .expect(200);
    expect(got.body.state).toBe('Finished');
    return order.id as string;
  }

  const refund = (m: Merchant, orderId: string, body: Record<string, unknown>, key?: string) => {
    const req = http(app).post(`/api/v1/orders/${orderId}/refunds`).set(m.auth);
    if (key) void req.set('Idempotency-Key', key);
    return req.send(body);
  };
  const balance = async (m: Merchant): Promise<string> => {
    const [row] = await db(app).query<{ balance: string }[]>(
      'SELECT balance::text FROM applications WHERE id = $1',
      [m.applicationId],
    );
    return row.balance;
  };
  const refundEntries = (orderId: string) =>
    db(app).query<{ amount: string; reference: string }[]>(
      `SELECT amount::text, reference FROM ledger_entries WHERE order_id = $1 AND kind = 'refund' ORDER BY created_at`,
      [orderId],
    );
  const stateOf = async (m: Merchant, orderId: string): Promise<string> =>
    (await http(app).get(`/api/v1/orders/${orderId}`).set(m.auth).expect(200)).body.state as string;

  it('refunds the whole order: provider first, order Refunded, credits debited once', async () => {
    const m = await newMerchant(app);
    const orderId = await paidOrder(m);
    expect(await balance(m)).toBe('500.000000');

    const res = await refund(m, orderId, { reason: 'customer asked' }).expect(201);
    expect(res.body).toMatchObject({
      order_id: orderId,
      status: 'succeeded',
      amount: 49.99,
      currency: 'USD',
      charge_amount: 49.99,
      charge_currency: 'USD',
      credits: 500,
      reason: 'customer asked',
      provider: 'sandbox',
    });
    expect(res.body.provider_refund_id).toBe(`sbx_re_${(res.body.id as string).replace(/-/g, '')}`);
    expect(await stateOf(m, orderId)).toBe('Refunded');
    expect(await balance(m)).toBe('0.000000');
    expect(await refundEntries(orderId)).toEqual([{ amount: '-500.000000', reference: res.body.id }]);

    // Nothing is left to refund.
    const again = await refund(m, orderId, { reason: 'again' }).expect(409);
    expect(again.body.code).toBe('order_not_refundable');
    const listed = await http(app).get(`/api/v1/orders/${orderId}/refunds`).set(m.auth).expect(200);
    expect(listed.body.data).toHaveLength(1);
  });

  it('adds partial refunds up exactly, moving through PartiallyRefunded to Refunded', async () => {
    const m = await newMerchant(app);
    const orderId = await paidOrder(m);
    const first = await refund(m, orderId, { amount: '10.00', reason: 'part' }).expect(201);
    // 500 credits * 10.00 / 49.99 = 100.020004..., rounded down to 6 places.
    expect(first.body.credits).toBe(100.020004);
    expect(await stateOf(m, orderId)).toBe('PartiallyRefunded');

    const tooMuch = await refund(m, orderId, { amount: '39.999', reason: 'x' }).expect(400);
    expect(tooMuch.body.code).toBe('invalid_amount');
    const over = await refund(m, orderId, { amount: '40.00', reason: 'x' }).expect(422);
    expect(over.body).toMatchObject({ code: 'refund_exceeds_payment', details: { refundable: '39.99' } });

    const rest = await refund(m, orderId, { reason: 'the rest' }).expect(201);
    expect(rest.body.amount).toBe(39.99);
    // The last refund takes exactly what is left, so the credits add up to the 500 bought.
    expect(rest.body.credits).toBe(399.979996);
    expect(await stateOf(m, orderId)).toBe('Refunded');
    expect(await balance(m)).toBe('0.000000');
    const entries = await refundEntries(orderId);
    expect(entries.map((e) => e.amount)).toEqual(['-100.020004', '-399.979996']);
  });

  it('is idempotent by key: the same key and body answer the same refund, another body is a 409', async () => {
    const m = await newMerchant(app);
    const orderId = await paidOrder(m);
    const spy = jest.spyOn(app.app.get(SandboxProvider), 'refund');
    const one = await refund(m, orderId, { amount: '5.00', reason: 'dup' }, 'refund-key-1').expect(201);
    const two = await refund(m, orderId, { amount: '5.00', reason: 'dup' }, 'refund-key-1').expect(200);
    expect(two.headers['idempotent-replayed']).toBe('true');
    expect(two.body.id).toBe(one.body.id);
    expect(spy).toHaveBeenCalledTimes(1);
    const other = await refund(m, orderId, { amount: '6.00', reason: 'dup' }, 'refund-key-1').expect(409);
    expect(other.body.code).toBe('idempotency_key_reused');
    expect(await refundEntries(orderId)).toHaveLength(1);

    // Concurrent identical requests: still one refund.
    const racing = await Promise.all(
      Array.from({ length: 5 }, () => refund(m, orderId, { amount: '1.00', reason: 'race' }, 'refund-key-2')),
    );
    expect(new Set(racing.map((r) => r.body.id as string)).size).toBe(1);
    expect(await refundEntries(orderId)).toHaveLength(2);
  });

  it('never gives back more than was paid, even under concurrent refunds', async () => {
    const m = await newMerchant(app);
    const orderId = await paidOrder(m);
    const results = await Promise.all(
      Array.from({ length: 6 }, () => refund(m, orderId, { amount: '10.00', reason: 'race' })),
    );
    const ok = results.filter((r) => r.status === 201);
    expect(ok).toHaveLength(4);
    for (const r of results.filter((x) => x.status !== 201)) {
      expect([409, 422]).toContain(r.status);
    }
    const [sum] = await db(app).query<{ total: string }[]>(
      `SELECT SUM(amount)::text AS total FROM refunds WHERE order_id = $1 AND status = 'succeeded'`,
      [orderId],
    );
    expect(Number(sum.total)).toBeLessThanOrEqual(49.99);
    expect(sum.total).toBe('40.000000000000000000');
  });

  it('refuses to take the balance below zero unless a platform admin forces it', async () => {
    const m = await newMerchant(app);
    const orderId = await paidOrder(m);
    // The merchant spends 450 of the 500 credits.
    await http(app)
      .post(`/api/v1/applications/${m.applicationId}/usage`)
      .set(m.auth)
      .send({ amount: 450, reference: 'spent' })
      .expect((r) => expect([200, 201]).toContain(r.status));
    expect(await balance(m)).toBe('50.000000');
    const refused = await refund(m, orderId, { reason: 'too late' }).expect(422);
    expect(refused.body.code).toBe('insufficient_balance');
    expect(await db(app).query('SELECT 1 FROM refunds WHERE order_id = $1', [orderId])).toHaveLength(0);

    const notAdmin = await refund(m, orderId, { reason: 'force', force: true }).expect(403);
    expect(notAdmin.body.code).toBe('forbidden');

    await db(app).query('UPDATE users SET is_platform_admin = true WHERE id = $1', [m.userId]);
    const login = await http(app).post('/api/v1/auth/login').send({ email: m.email, password: m.password });
    const admin = { ...m, auth: { authorization: `Bearer ${login.body.access_token as string}` } };
    const forced = await refund(admin, orderId, { reason: 'force', force: true }).expect(201);
    expect(forced.body.forced).toBe(true);
    expect(await balance(m)).toBe('-450.000000');
  });

  it('lets only owners and admins refund; another tenant gets 404; unpaid orders are not refundable', async () => {
    const m = await newMerchant(app);
    const orderId = await paidOrder(m);
    const member = await newMember(app, m);
    const denied = await http(app)
      .post(`/api/v1/orders/${orderId}/refunds`)
      .set(member.auth)
      .send({ reason: 'x' })
      .expect(403);
    expect(denied.body.code).toBe('forbidden');
    const other = await newMerchant(app);
    const hidden = await refund(other, orderId, { reason: 'x' }).expect(404);
    expect(hidden.body.code).toBe('order_not_found');
    await http(app).get(`/api/v1/orders/${orderId}/refunds`).set(other.auth).expect(404);

    const pending = await newOrder(app, m);
    const notPaid = await refund(m, pending.id as string, { reason: 'x' }).expect(409);
    expect(notPaid.body.code).toBe('order_not_refundable');
    const bad = await refund(m, orderId, { reason: '' }).expect(400);
    expect(bad.body.code).toBeDefined();
    expect(await db(app).query('SELECT 1 FROM refunds WHERE order_id = $1', [orderId])).toHaveLength(0);
  });

  it('keeps a refund whose provider answer is unknown pending, and settles it by reconciliation', async () => {
    const m = await newMerchant(app);
    const orderId = await paidOrder(m);
    const sandbox = app.app.get(SandboxProvider);
    jest.spyOn(sandbox, 'refund').mockRejectedValue(new ProviderError('timeout', 'no answer within 500 ms'));
    const res = await refund(m, orderId, { reason: 'slow provider' }).expect(202);
    expect(res.body.status).toBe('pending');
    expect(await stateOf(m, orderId)).toBe('Finished');
    expect(await balance(m)).toBe('500.000000');

    // While it is pending its amount is reserved: nothing more can be refunded.
    const more = await refund(m, orderId, { amount: '1.00', reason: 'more' }).expect(422);
    expect(more.body.code).toBe('refund_exceeds_payment');

    // The provider says it is still processing: nothing changes.
    const query = jest.spyOn(sandbox, 'queryRefund').mockResolvedValueOnce({ status: 'pending' });
    await db(app).query(`UPDATE refunds SET updated_at = now() - interval '1 hour' WHERE order_id = $1`, [
      orderId,
    ]);
    await app.app.get(ReconciliationService).runOnce({ tenantId: m.tenantId });
    expect(query).toHaveBeenCalledTimes(1);
    expect(await balance(m)).toBe('500.000000');

    // Then it answers: succeeded, settled once however many passes run.
    await db(app).query(`UPDATE refunds SET updated_at = now() - interval '1 hour' WHERE order_id = $1`, [
      orderId,
    ]);
    const lateId = `re_late_${orderId.slice(0, 8)}`;
    query.mockResolvedValue({ status: 'succeeded', providerRefundId: lateId });
    await app.app.get(ReconciliationService).runOnce({ tenantId: m.tenantId });
    await db(app).query(`UPDATE refunds SET updated_at = now() - interval '1 hour' WHERE order_id = $1`, [
      orderId,
    ]);
    await app.app.get(ReconciliationService).runOnce({ tenantId: m.tenantId });
    const [row] = await db(app).query<{ status: string; provider_refund_id: string }[]>(
      'SELECT status, provider_refund_id FROM refunds WHERE order_id = $1',
      [orderId],
    );
    expect(row).toEqual({ status: 'succeeded', provider_refund_id: lateId });
    expect(await stateOf(m, orderId)).toBe('Refunded');
    expect(await balance(m)).toBe('0.000000');
    expect(await refundEntries(orderId)).toHaveLength(1);
  });

  it('marks a refund the provider refuses as failed, answers 422 and debits nothing', async () => {
    const m = await newMerchant(app);
    const orderId = await paidOrder(m);
    jest
      .spyOn(app.app.get(SandboxProvider), 'refund')
      .mockRejectedValue(new ProviderError('rejected', 'charge already disputed', 'charge_disputed'));
    const res = await refund(m, orderId, { reason: 'disputed' }).expect(422);
    expect(res.body).toMatchObject({
      code: 'provider_rejected',
      details: { provider_code: 'charge_disputed' },
    });
    expect(res.body.message).toContain('charge already disputed');
    const [row] = await db(app).query<{ status: string; failure_message: string }[]>(
      'SELECT status, failure_message FROM refunds WHERE order_id = $1',
      [orderId],
    );
    expect(row).toEqual({ status: 'failed', failure_message: 'charge already disputed' });
    expect(await balance(m)).toBe('500.000000');
    expect(await stateOf(m, orderId)).toBe('Finished');
  });
});
