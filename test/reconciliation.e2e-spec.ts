import type { RunningPaymux } from '../src/bootstrap';
import {
  PaymentRef,
  ProviderContext,
  ProviderError,
  ProviderStatus,
} from '../src/payments/contract/payment-provider';
import { OrderExpirySweeper } from '../src/payments/reconciliation/order-expiry.sweeper';
import { SandboxProvider } from '../src/payments/providers/sandbox/sandbox.provider';
import { ReconciliationService } from '../src/payments/reconciliation/reconciliation.service';
import { db, http, Merchant, newMerchant, newOrder, startTestApp } from './helpers/app';

/**
 * The reconciliation job (a lost callback still ends Finished; only explicit answers are final; safe
 * with several runners), closing at the provider on expiry, and provider failures on order creation.
 */
describe('reconciliation and provider failures', () => {
  let app: RunningPaymux;
  let m: Merchant;
  let sandbox: SandboxProvider;
  let recon: ReconciliationService;

  beforeAll(async () => {
    app = await startTestApp({
      RECONCILE_INTERVAL_MS: '0',
      RECONCILE_DELAY_SECONDS: '0',
      EXPIRY_SWEEP_INTERVAL_MS: '0',
    });
    m = await newMerchant(app);
    sandbox = app.app.get(SandboxProvider);
    recon = app.app.get(ReconciliationService);
  });
  afterAll(() => app.close());
  afterEach(() => jest.restoreAllMocks());

  const orderState = async (id: string): Promise<string> =>
    (await http(app).get(`/api/v1/orders/${id}`).set(m.auth).expect(200)).body.state as string;
  const paymentOf = async (orderId: string) =>
    (
      await db(app).query<{ id: string; status: string; flag_reason: string | null }[]>(
        'SELECT id, status, flag_reason FROM payments WHERE order_id = $1',
        [orderId],
      )
    )[0];
  const credits = async (orderId: string): Promise<number> =>
    (
      await db(app).query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM ledger_entries WHERE order_id = $1 AND kind = 'credit'`,
        [orderId],
      )
    )[0].n;
  /** Make the order's attempts due again (the job leases each attempt for a minute). */
  const due = (orderId: string) =>
    db(app).query('UPDATE payments SET next_check_at = NULL WHERE order_id = $1', [orderId]);

  it('finishes an order whose callback was lost, once, however many runners ask', async () => {
    const order = await newOrder(app, m);
    // The payer paid, but the callback never arrived.
    await http(app)
      .post(`/api/v1/sandbox/payments/${order.pay_id as string}/complete`)
      .send({ outcome: 'succeeded', notify: false })
      .expect(200);
    expect(await orderState(order.id as string)).toBe('Pending');

    const query = jest.spyOn(sandbox, 'queryPayment');
    const passes = await Promise.all([1, 2, 3].map(() => recon.runOnce({ tenantId: m.tenantId })));
    // Each due attempt is claimed by one runner only.
    const asked = query.mock.calls.filter(([, ref]) => ref.providerRef === order.pay_id).length;
    expect(asked).toBe(1);
    expect(passes.reduce((n, p) => n + p.paid, 0)).toBeGreaterThanOrEqual(1);
    expect(await orderState(order.id as string)).toBe('Finished');
    expect(await credits(order.id as string)).toBe(1);

    // A later pass does not touch it again (it is no longer pending).
    await due(order.id as string);
    query.mockClear();
    await recon.runOnce({ tenantId: m.tenantId });
    expect(query.mock.calls.filter(([, ref]) => ref.providerRef === order.pay_id)).toHaveLength(0);
    expect(await credits(order.id as string)).toBe(1);
  });

  it('keeps going past a tenant whose provider account cannot be opened', async () => {
    // Another tenant's pending Stripe payment whose account was sealed under a key this process lacks.
    const other = await newMerchant(app);
    await http(app)
      .put('/api/v1/providers/stripe')
      .set(other.auth)
      .send({
        enabled: true,
        mode: 'test',
        credentials: { secret_key: 'sk_test_123456789012345', webhook_secret: 'whsec_123456789012' },
      })
      .expect(200);
    await db(app).query(`UPDATE provider_accounts SET key_id = 'gone00000000000' WHERE tenant_id = $1`, [
      other.tenantId,
    ]);
    const theirs = await newOrder(app, other);
    await db(app).query(
      `INSERT INTO payments (id, tenant_id, order_id, provider, method, status, amount, currency, provider_ref, created_at)
       VALUES (gen_random_uuid(), $1, $2, 'stripe', 'stripe_checkout', 'pending', 49.99, 'USD', 'cs_test_unreadable', now() - interval '1 hour')`,
      [other.tenantId, theirs.id],
    );
    const mine = await newOrder(app, m);
    await db(app).query(
      `UPDATE payments SET created_at = now() - interval '30 minutes' WHERE order_id = $1`,
      [mine.id],
    );
    await http(app)
      .post(`/api/v1/sandbox/payments/${mine.pay_id as string}/complete`)
      .send({ outcome: 'succeeded', notify: false })
      .expect(200);
    // The unreadable attempt is counted as checked, left pending, and the pass does not throw.
    await expect(recon.runOnce({ tenantId: other.tenantId })).resolves.toMatchObject({ checked: 2, paid: 0 });
    await recon.runOnce({ tenantId: m.tenantId });
    expect(await orderState(mine.id as string)).toBe('Finished');
  });

  it('leaves the attempt pending on an unrecognised or unreachable answer, and waits for the delay', async () => {
    const order = await newOrder(app, m);
    const real = sandbox.queryPayment.bind(sandbox);
    const answer = jest.fn<Promise<ProviderStatus>, []>().mockResolvedValue({ status: 'pending' });
    jest
      .spyOn(sandbox, 'queryPayment')
      .mockImplementation((ctx, ref) => (ref.providerRef === order.pay_id ? answer() : real(ctx, ref)));
    await recon.runOnce({ tenantId: m.tenantId });
    expect(answer).toHaveBeenCalledTimes(1);
    expect((await paymentOf(order.id as string)).status).toBe('pending');

    await due(order.id as string);
    answer.mockRejectedValueOnce(new ProviderError('timeout', 'slow'));
    await recon.runOnce({ tenantId: m.tenantId });
    expect(answer).toHaveBeenCalledTimes(2);
    expect((await paymentOf(order.id as string)).status).toBe('pending');
    expect(await orderState(order.id as string)).toBe('Pending');

    // Inside the delay nothing is asked.
    await due(order.id as string);
    const cfg = (recon as unknown as { config: { reconcileDelaySeconds: number } }).config;
    const saved = cfg.reconcileDelaySeconds;
    cfg.reconcileDelaySeconds = 3600;
    try {
      await recon.runOnce({ tenantId: m.tenantId });
      expect(answer).toHaveBeenCalledTimes(2);
    } finally {
      cfg.reconcileDelaySeconds = saved;
    }
  });

  it('records an explicit failure as final, and does not credit a confirmation with the wrong amount', async () => {
    const failed = await newOrder(app, m);
    const real = sandbox.queryPayment.bind(sandbox);
    jest
      .spyOn(sandbox, 'queryPayment')
      .mockImplementation((ctx, ref) =>
        ref.providerRef === failed.pay_id ? Promise.resolve({ status: 'failed' }) : real(ctx, ref),
      );
    await recon.runOnce({ tenantId: m.tenantId });
    expect((await paymentOf(failed.id as string)).status).toBe('failed');
    expect(await orderState(failed.id as string)).toBe('Pending');

    const short = await newOrder(app, m);
    jest
      .spyOn(sandbox, 'queryPayment')
      .mockImplementation((_ctx, ref) =>
        Promise.resolve(
          ref.providerRef === short.pay_id
            ? { status: 'succeeded', amount: '0.99', currency: 'USD' }
            : { status: 'pending' },
        ),
      );
    await recon.runOnce({ tenantId: m.tenantId });
    const p = await paymentOf(short.id as string);
    expect(p.status).toBe('pending');
    expect(p.flag_reason).toMatch(/amount mismatch/);
    expect(await credits(short.id as string)).toBe(0);
    expect(await orderState(short.id as string)).toBe('Pending');
  });

  it('closes an abandoned payment at the provider when the order expires', async () => {
    const order = await newOrder(app, m);
    // Due before anything else: the sweep takes the database's 100 longest-due orders first.
    await db(app).query(`UPDATE orders SET expires_at = now() - interval '10 years' WHERE id = $1`, [
      order.id,
    ]);
    // The provider cannot close it at first: the order waits for a later pass.
    let down = true;
    const close = jest.fn((_ctx: ProviderContext, ref: PaymentRef) =>
      ref.providerRef === order.pay_id && down
        ? ((down = false), Promise.reject(new ProviderError('unavailable', 'down')))
        : Promise.resolve(),
    );
    (sandbox as { close?: typeof close }).close = close;
    try {
      await app.app.get(OrderExpirySweeper).sweepOnce();
      expect(await orderState(order.id as string)).toBe('Pending');

      await app.app.get(OrderExpirySweeper).sweepOnce();
      expect(close).toHaveBeenCalledWith(
        expect.objectContaining({ tenantId: m.tenantId }),
        expect.objectContaining({ providerRef: order.pay_id, amount: '49.99', currency: 'USD' }),
      );
      expect(await orderState(order.id as string)).toBe('Expired');
      expect((await paymentOf(order.id as string)).status).toBe('expired');
    } finally {
      delete (sandbox as { close?: typeof close }).close;
    }
  });

  describe('provider failures when opening a payment', () => {
    const cases: [string, Error, number, string][] = [
      ['a timeout', new ProviderError('timeout', 'no answer within 500 ms'), 502, 'provider_timeout'],
      [
        'a 5xx',
        new ProviderError('unavailable', 'HTTP 503', 'service_unavailable'),
        502,
        'provider_unavailable',
      ],
      [
        'refused credentials',
        new ProviderError('credentials', 'Invalid API Key provided', 'api_key_invalid'),
        422,
        'provider_credentials_rejected',
      ],
      [
        'a refused request',
        new ProviderError('rejected', 'amount too small', 'too_small'),
        422,
        'provider_rejected',
      ],
      ['an unexpected error', new Error('socket hang up'), 502, 'provider_error'],
    ];

    it.each(cases)(
      '%s: stable status and code; nothing is written and the order can be paid again',
      async (_t, err, status, code) => {
        const count = async (): Promise<number> =>
          (
            await db(app).query<{ n: number }[]>(
              'SELECT count(*)::int AS n FROM orders WHERE tenant_id = $1',
              [m.tenantId],
            )
          )[0].n;
        const before = await count();
        jest.spyOn(sandbox, 'createPayment').mockRejectedValueOnce(err);
        const res = await http(app)
          .post('/api/v1/orders')
          .set(m.auth)
          .send({ application_id: m.applicationId, package_id: m.packageId, pay_way: 'Sandbox' })
          .expect(status);
        expect(res.body.code).toBe(code);
        expect(res.body.message).toContain(err.message);
        expect(await count()).toBe(before);

        // A Pending order whose new attempt fails keeps its state and no half-written attempt.
        const order = await newOrder(app, m);
        await db(app).query(`UPDATE payments SET status = 'failed' WHERE order_id = $1`, [order.id]);
        jest.spyOn(sandbox, 'createPayment').mockRejectedValueOnce(err);
        await http(app)
          .post('/api/order/payment')
          .set(m.auth)
          .send({ order_id: order.id, pay_way: 'sandbox' })
          .expect((r) => expect(r.status).toBeGreaterThanOrEqual(400));
        expect(await db(app).query('SELECT 1 FROM payments WHERE order_id = $1', [order.id])).toHaveLength(1);
        expect(await orderState(order.id as string)).toBe('Pending');
        // ... and the next try opens a new attempt.
        const ok = await http(app)
          .post('/api/order/payment')
          .set(m.auth)
          .send({ order_id: order.id, pay_way: 'sandbox' })
          .expect(200);
        expect(ok.body.code).toBe(0);
        expect(await db(app).query('SELECT 1 FROM payments WHERE order_id = $1', [order.id])).toHaveLength(2);
      },
    );
  });
});
