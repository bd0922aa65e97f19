import type { RunningPaymux } from '../src/bootstrap';
import { ProviderError } from '../src/payments/contract/payment-provider';
import { SandboxProvider } from '../src/payments/providers/sandbox/sandbox.provider';
import { ReconciliationService } from '../src/payments/reconciliation/reconciliation.service';
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
    const refused = await refund(m, orderId, { reason: 'too late' }).expect(409);
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

  const usage = (m: Merchant, amount: number, reference: string) =>
    http(app).post(`/api/v1/applications/${m.applicationId}/usage`).set(m.auth).send({ amount, reference });
  const age = (orderId: string) =>
    db(app).query(`UPDATE refunds SET updated_at = now() - interval '1 hour' WHERE order_id = $1`, [orderId]);
  const remaining = async (orderId: string): Promise<string> =>
    (
      await db(app).query<{ r: string }[]>('SELECT remaining_amount::text AS r FROM orders WHERE id = $1', [
        orderId,
      ])
    )[0].r;

  it("holds a pending refund's credits: usage and other refunds cannot spend them, and settling never goes below zero", async () => {
    const m = await newMerchant(app);
    const first = await paidOrder(m);
    const sandbox = app.app.get(SandboxProvider);
    jest.spyOn(sandbox, 'refund').mockRejectedValueOnce(new ProviderError('timeout', 'no answer'));
    const pending = await refund(m, first, { reason: 'slow provider' }).expect(202);
    expect(await balance(m)).toBe('500.000000');

    // The audit's case: the 500 credits are held for the pending refund, so a usage debit of 450 is refused.
    const refused = await usage(m, 450, 'while-pending').expect(409);
    expect(refused.body).toMatchObject({
      code: 'insufficient_balance',
      details: { balance: '500', held: '500', available: '0', requested: '450' },
    });

    // Another order brings 500 more: only what is not held can be spent.
    const second = await paidOrder(m);
    await usage(m, 450, 'after-second').expect(201);
    expect(await balance(m)).toBe('550.000000');
    // Refunding the second order would take back 500, but only 50 are not held.
    const short = await refund(m, second, { reason: 'second' }).expect(409);
    expect(short.body).toMatchObject({
      code: 'insufficient_balance',
      details: { balance: '550', held: '500', available: '50', credits: '500' },
    });

    // Reconciliation settles the first refund: the balance never goes below zero, nothing forced.
    jest
      .spyOn(sandbox, 'queryRefund')
      .mockResolvedValue({ status: 'succeeded', providerRefundId: 'x' + first });
    await age(first);
    await app.app.get(ReconciliationService).runOnce({ tenantId: m.tenantId });
    const [row] = await db(app).query<{ status: string; forced: boolean }[]>(
      'SELECT status, forced FROM refunds WHERE id = $1',
      [pending.body.id],
    );
    expect(row).toEqual({ status: 'succeeded', forced: false });
    expect(await balance(m)).toBe('50.000000');
    expect(await refundEntries(first)).toEqual([{ amount: '-500.000000', reference: pending.body.id }]);
    // The usage drew on the first (oldest) order; its refund takes what that order had left and the
    // rest from the next order, so the balance still equals the orders' remaining credits.
    expect(await remaining(first)).toBe('0.000000');
    expect(await remaining(second)).toBe('50.000000');
    expect(await stateOf(m, first)).toBe('Refunded');
  });

  it('keeps usage and a settling refund consistent under concurrency: held credits are never spent', async () => {
    const m = await newMerchant(app);
    const first = await paidOrder(m);
    await paidOrder(m); // 1000 credits in all
    const sandbox = app.app.get(SandboxProvider);
    jest.spyOn(sandbox, 'refund').mockRejectedValueOnce(new ProviderError('timeout', 'no answer'));
    await refund(m, first, { reason: 'slow provider' }).expect(202);
    jest
      .spyOn(sandbox, 'queryRefund')
      .mockResolvedValue({ status: 'succeeded', providerRefundId: 'y' + first });
    await age(first);
    // 500 are held, 500 free: at most three usage debits of 150 fit, whenever the refund settles.
    const [settled, ...debits] = await Promise.all([
      app.app.get(ReconciliationService).runOnce({ tenantId: m.tenantId }),
      ...Array.from({ length: 5 }, (_, i) => usage(m, 150, `race-${i}`)),
    ]);
    expect(settled).toBeDefined();
    expect(debits.map((d) => d.status).sort()).toEqual([201, 201, 201, 409, 409]);
    expect(await balance(m)).toBe('50.000000');
    expect(await refundEntries(first)).toHaveLength(1);
  });

  it('is idempotent by provider refund number: an answer naming a recorded refund resolves to that refund', async () => {
    const m = await newMerchant(app);
    const orderId = await paidOrder(m);
    const sandbox = app.app.get(SandboxProvider);
    const number = `re_same_${orderId.slice(0, 8)}`;
    const refundCall = jest
      .spyOn(sandbox, 'refund')
      .mockResolvedValue({ status: 'succeeded', providerRefundId: number });
    const first = await refund(m, orderId, { amount: '10.00', reason: 'part' }).expect(201);
    expect(first.body.provider_refund_id).toBe(number);

    // The provider answers a second request with the same refund: it is that refund, recorded once.
    const second = await refund(m, orderId, { amount: '5.00', reason: 'part again' }).expect(200);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toMatchObject({ id: first.body.id, status: 'succeeded', provider_refund_id: number });
    const rows = () =>
      db(app).query<
        { id: string; status: string; provider_refund_id: string | null; failure_message: string }[]
      >(
        'SELECT id, status, provider_refund_id, failure_message FROM refunds WHERE order_id = $1 ORDER BY created_at',
        [orderId],
      );
    let all = await rows();
    expect(all).toHaveLength(2);
    expect(all[1]).toMatchObject({ status: 'failed', provider_refund_id: null });
    expect(all[1].failure_message).toContain(first.body.id as string);
    expect(await refundEntries(orderId)).toHaveLength(1);
    expect(await balance(m)).toBe('399.979996');

    // The same through reconciliation: a timed-out refund whose late answer names the recorded refund
    // is resolved (not retried forever).
    refundCall.mockRejectedValueOnce(new ProviderError('timeout', 'no answer'));
    const third = await refund(m, orderId, { amount: '5.00', reason: 'slow' }).expect(202);
    const query = jest
      .spyOn(sandbox, 'queryRefund')
      .mockResolvedValue({ status: 'succeeded', providerRefundId: number });
    await age(orderId);
    await app.app.get(ReconciliationService).runOnce({ tenantId: m.tenantId });
    await age(orderId);
    await app.app.get(ReconciliationService).runOnce({ tenantId: m.tenantId });
    expect(query).toHaveBeenCalledTimes(1);
    all = await rows();
    expect(all.find((r) => r.id === third.body.id)).toMatchObject({ status: 'failed' });
    expect(await refundEntries(orderId)).toHaveLength(1);
    expect(await balance(m)).toBe('399.979996');

    // An answer naming a refund still pending settles that refund, and the duplicate resolves to it.
    const later = `re_later_${orderId.slice(0, 8)}`;
    refundCall.mockResolvedValueOnce({ status: 'pending', providerRefundId: later });
    const waiting = await refund(m, orderId, { amount: '20.00', reason: 'pending one' }).expect(202);
    expect(waiting.body.provider_refund_id).toBe(later);
    refundCall.mockResolvedValueOnce({ status: 'succeeded', providerRefundId: later });
    const dup = await refund(m, orderId, { amount: '3.00', reason: 'dup' }).expect(200);
    expect(dup.body).toMatchObject({ id: waiting.body.id, status: 'succeeded', provider_refund_id: later });
    expect(await refundEntries(orderId)).toHaveLength(2);
    // 500 * 20.00 / 49.99 = 200.040008 more credits back.
    expect(await balance(m)).toBe('199.939988');
    // Still refundable: 49.99 - 10.00 - 20.00; the duplicates hold nothing.
    const over = await refund(m, orderId, { amount: '20.00', reason: 'x' }).expect(422);
    expect(over.body.details).toMatchObject({ refundable: '19.99' });
    expect(await stateOf(m, orderId)).toBe('PartiallyRefunded');
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
