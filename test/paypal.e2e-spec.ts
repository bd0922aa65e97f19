import { randomBytes } from 'node:crypto';
import type { RunningPaymux } from '../src/bootstrap';
import { clearPayPalTokens } from '../src/payments/providers/paypal/paypal.client';
import { ReconciliationService } from '../src/payments/reconciliation/reconciliation.service';
import { PayPalAccount, PayPalFake, startPayPalFake } from './fakes/paypal/paypal.fake';
import { db, http, Merchant, newMerchant, newOrder, startTestApp } from './helpers/app';
import { expectOneRefusal } from './helpers/webhook-refusal';

/**
 * PayPal Orders v2 end to end: the real app on PostgreSQL, over HTTP, against the PayPal fake. The
 * fake signs webhook deliveries like PayPal and answers its verify API only for what it signed.
 */
describe('PayPal (Orders v2)', () => {
  let fake: PayPalFake;
  let app: RunningPaymux;

  beforeAll(async () => {
    fake = await startPayPalFake();
    app = await startTestApp({
      PAYMUX_PAYPAL_BASE_URL: fake.url,
      RECONCILE_INTERVAL_MS: '0',
      RECONCILE_DELAY_SECONDS: '0',
      EXPIRY_SWEEP_INTERVAL_MS: '0',
      // Not 1000 ms: a busy machine missed that on plain calls to the fake (502). Only hangs wait it out.
      PROVIDER_TIMEOUT_MS: '5000',
      LOGIN_RATE_LIMIT: '1000',
    });
  });
  afterAll(async () => {
    await app.close();
    await fake.close();
  });
  afterEach(() => {
    fake.recover();
    fake.refundStatus = 'COMPLETED';
  });

  /** A fresh tenant with its own PayPal app configured. */
  async function paypalMerchant(): Promise<{ m: Merchant; account: PayPalAccount }> {
    const m = await newMerchant(app);
    const account = fake.addAccount();
    await configure(m, account);
    return { m, account };
  }
  const configure = (m: Merchant, credentials: Record<string, string>) =>
    http(app)
      .put('/api/v1/providers/paypal')
      .set(m.auth)
      .send({ enabled: true, mode: 'test', credentials })
      .expect(200);

  /** A PayPal order: our order, our payment id and PayPal's order id. */
  async function paypalOrder(m: Merchant): Promise<{ id: string; paymentId: string; ppOrder: string }> {
    const res = await http(app)
      .post('/api/v1/orders')
      .set(m.auth)
      .send({ application_id: m.applicationId, package_id: m.packageId, pay_way: 'PayPal' })
      .expect(201);
    const [payment] = await db(app).query<{ id: string }[]>(
      `SELECT id FROM payments WHERE order_id = $1 AND provider = 'paypal'`,
      [res.body.id],
    );
    return { id: res.body.id as string, paymentId: payment.id, ppOrder: res.body.pay_id as string };
  }

  const hookUrl = (m: Merchant): string => `${app.url}/api/v1/webhooks/paypal/${m.tenantId}`;
  const state = async (m: Merchant, id: string): Promise<string> =>
    (await http(app).get(`/api/v1/orders/${id}`).set(m.auth).expect(200)).body.state as string;
  const credits = async (orderId: string): Promise<number> =>
    (
      await db(app).query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM ledger_entries WHERE order_id = $1 AND kind = 'credit'`,
        [orderId],
      )
    )[0].n;
  const balance = async (m: Merchant): Promise<string> =>
    (
      await db(app).query<{ balance: string }[]>('SELECT balance::text FROM applications WHERE id = $1', [
        m.applicationId,
      ])
    )[0].balance;
  const paymentOf = async (orderId: string) =>
    (
      await db(app).query<{ status: string; flag_reason: string | null }[]>(
        `SELECT status, flag_reason FROM payments WHERE order_id = $1 AND provider = 'paypal'`,
        [orderId],
      )
    )[0];
  const captureIdOf = (ppOrder: string): string => fake.orders.get(ppOrder)!.captures[0].id;

  it('opens a PayPal order: Basic token once, Bearer, PayPal-Request-Id, exact body, payer-action URL', async () => {
    clearPayPalTokens();
    const { m, account } = await paypalMerchant();
    const tokensBefore = fake.tokenRequests;
    const order = await paypalOrder(m);
    const got = await http(app).get(`/api/v1/orders/${order.id}`).set(m.auth).expect(200);
    expect(got.body).toMatchObject({
      pay_way: 'PayPal',
      pay_id: order.ppOrder,
      pay_url: `${fake.url}/checkoutnow?token=${order.ppOrder}`,
      state: 'Pending',
    });

    const [token] = fake.requestsTo('POST', '/v1/oauth2/token').slice(-1);
    expect(token.headers.authorization).toBe(
      `Basic ${Buffer.from(`${account.client_id}:${account.client_secret}`).toString('base64')}`,
    );
    expect(token.body).toBe('grant_type=client_credentials');

    const [create] = fake.requestsTo('POST', '/v2/checkout/orders').slice(-1);
    expect(create.headers.authorization).toMatch(/^Bearer A21AA\S+$/);
    expect(create.headers['paypal-request-id']).toBe(order.paymentId);
    expect(JSON.parse(create.body)).toEqual({
      intent: 'CAPTURE',
      purchase_units: [
        {
          custom_id: order.paymentId,
          invoice_id: order.id,
          description: `Order ${order.id}`,
          amount: { currency_code: 'USD', value: '49.99' },
        },
      ],
      payment_source: {
        paypal: {
          experience_context: {
            return_url: `${app.url}/api/v1/return/paypal/${m.tenantId}?payment_id=${order.paymentId}`,
            cancel_url: `${app.url}/checkout/${order.id}`,
            user_action: 'PAY_NOW',
          },
        },
      },
    });

    // A second payment reuses the cached token.
    const second = await paypalOrder(m);
    const [create2] = fake.requestsTo('POST', '/v2/checkout/orders').slice(-1);
    expect(create2.headers['paypal-request-id']).toBe(second.paymentId);
    expect(create2.headers.authorization).toBe(create.headers.authorization);
    expect(fake.tokenRequests - tokensBefore).toBe(1);
  });

  it('sends JPY without decimals', async () => {
    const m = await newMerchant(app, { price: 500, currency: 'JPY' });
    await configure(m, fake.addAccount());
    await paypalOrder(m);
    const [create] = fake.requestsTo('POST', '/v2/checkout/orders').slice(-1);
    expect(JSON.parse(create.body).purchase_units[0].amount).toEqual({ currency_code: 'JPY', value: '500' });
  });

  it('a signed CHECKOUT.ORDER.APPROVED captures once and finishes the order; replays change nothing', async () => {
    const { m, account } = await paypalMerchant();
    const order = await paypalOrder(m);
    fake.approve(order.ppOrder);
    const captures = fake.captureCount;

    const sent = await fake.sendWebhook(hookUrl(m), fake.approvedEvent(order.ppOrder), account.webhook_id);
    expect(sent.status).toBe(200);
    expect(fake.captureCount - captures).toBe(1);
    const [capture] = fake.requestsTo('POST', `/v2/checkout/orders/${order.ppOrder}/capture`);
    expect(capture.headers['paypal-request-id']).toBe(`capture-${order.ppOrder}`);
    expect(await state(m, order.id)).toBe('Finished');
    expect(await credits(order.id)).toBe(1);
    expect(await balance(m)).toBe('500.000000');

    // The same delivery again, then PayPal's PAYMENT.CAPTURE.COMPLETED for the same capture.
    expect((await fake.deliver(hookUrl(m), sent.delivery)).status).toBe(200);
    const completed = await fake.sendWebhook(
      hookUrl(m),
      fake.captureEvent(order.ppOrder),
      account.webhook_id,
    );
    expect(completed.status).toBe(200);
    expect(fake.captureCount - captures).toBe(1);
    expect(await credits(order.id)).toBe(1);
    expect(await balance(m)).toBe('500.000000');
    const events = await db(app).query<{ event_id: string; outcome: string }[]>(
      `SELECT event_id, outcome FROM provider_events WHERE tenant_id = $1 AND provider = 'paypal'`,
      [m.tenantId],
    );
    expect(events).toEqual([{ event_id: `capture:${captureIdOf(order.ppOrder)}`, outcome: 'applied' }]);
  });

  it('webhook APPROVED and the payer’s return at the same time: one capture, credited once', async () => {
    const { m, account } = await paypalMerchant();
    const order = await paypalOrder(m);
    const payerId = fake.approve(order.ppOrder);
    const captures = fake.captureCount;
    const [hook, back] = await Promise.all([
      fake.sendWebhook(hookUrl(m), fake.approvedEvent(order.ppOrder), account.webhook_id),
      http(app).get(`/api/v1/return/paypal/${m.tenantId}`).query({
        payment_id: order.paymentId,
        token: order.ppOrder,
        PayerID: payerId,
      }),
    ]);
    expect(hook.status).toBe(200);
    expect(back.status).toBe(303);
    expect(back.headers.location).toBe(`${app.url}/checkout/${order.id}`);
    expect(fake.captureCount - captures).toBe(1);
    expect(await state(m, order.id)).toBe('Finished');
    expect(await credits(order.id)).toBe(1);
    expect(await balance(m)).toBe('500.000000');
    const rows = await db(app).query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM provider_events WHERE provider = 'paypal' AND event_id = $1`,
      [`capture:${captureIdOf(order.ppOrder)}`],
    );
    expect(rows[0].n).toBe(1);
  });

  it('the payer’s return alone captures and finishes; a later APPROVED webhook captures nothing more', async () => {
    const { m, account } = await paypalMerchant();
    const order = await paypalOrder(m);
    const payerId = fake.approve(order.ppOrder);
    const captures = fake.captureCount;
    await http(app)
      .get(`/api/v1/return/paypal/${m.tenantId}`)
      .query({ payment_id: order.paymentId, token: order.ppOrder, PayerID: payerId })
      .expect(303);
    expect(await state(m, order.id)).toBe('Finished');
    const late = await fake.sendWebhook(hookUrl(m), fake.approvedEvent(order.ppOrder), account.webhook_id);
    expect(late.status).toBe(200);
    expect(fake.captureCount - captures).toBe(1);
    expect(await credits(order.id)).toBe(1);
  });

  it('rejects forged, stale, headerless and other-webhook deliveries; the order stays Pending', async () => {
    const { m, account } = await paypalMerchant();
    const order = await paypalOrder(m);
    fake.approve(order.ppOrder);
    const captures = fake.captureCount;
    const event = fake.approvedEvent(order.ppOrder);
    const unchanged = async (): Promise<void> => {
      expect(fake.captureCount).toBe(captures);
      expect(await state(m, order.id)).toBe('Pending');
      expect(await credits(order.id)).toBe(0);
      expect(await balance(m)).toBe('0.000000');
    };

    // Forged: other bytes under the signature of the real event. PayPal is asked and says FAILURE.
    let verifies = fake.verifyCalls;
    const genuine = fake.sign(event, account.webhook_id);
    const forged = await fake.deliver(hookUrl(m), {
      ...genuine,
      body: genuine.body.replace('"value":"49.99"', '"value":"0.01"'),
    });
    expect(forged.status).toBe(400);
    expect(fake.verifyCalls - verifies).toBe(1);
    await unchanged();

    // Stale and headerless: rejected before PayPal is asked.
    verifies = fake.verifyCalls;
    const stale = await fake.sendWebhook(hookUrl(m), event, account.webhook_id, {
      time: new Date(Date.now() - 10 * 60_000),
    });
    expect(stale.status).toBe(400);
    const bare = await fake.sendWebhook(hookUrl(m), event, account.webhook_id, {
      omit: ['paypal-transmission-sig'],
    });
    // The same reply for an unknown tenant or one without PayPal, and PayPal never asked for them.
    expect(await expectOneRefusal(app, 'paypal', m.tenantId)).toMatchObject({
      status: 400,
      body: JSON.stringify({ received: false, error: 'notification rejected' }),
    });
    expect(fake.verifyCalls).toBe(verifies);
    expect(bare.status).toBe(400);
    expect(fake.verifyCalls).toBe(verifies);
    await unchanged();

    // Signed for another tenant's webhook (another PayPal app): FAILURE for ours.
    const other = fake.addAccount();
    expect((await fake.sendWebhook(hookUrl(m), event, other.webhook_id)).status).toBe(400);
    await unchanged();
    const rows = await db(app).query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM provider_events WHERE tenant_id = $1`,
      [m.tenantId],
    );
    expect(rows[0].n).toBe(0);

    // The genuine delivery still goes through.
    expect((await fake.deliver(hookUrl(m), genuine)).status).toBe(200);
    expect(await state(m, order.id)).toBe('Finished');
  });

  it('flags a validly signed capture whose amount differs, and credits nothing', async () => {
    const { m, account } = await paypalMerchant();
    const order = await paypalOrder(m);
    const event = fake.event('PAYMENT.CAPTURE.COMPLETED', 'capture', {
      id: `CAP${randomBytes(7).toString('hex').toUpperCase()}`,
      status: 'COMPLETED',
      amount: { currency_code: 'USD', value: '0.01' },
      custom_id: order.paymentId,
      supplementary_data: { related_ids: { order_id: order.ppOrder } },
    });
    const sent = await fake.sendWebhook(hookUrl(m), event, account.webhook_id);
    expect(sent.status).toBe(200);
    const payment = await paymentOf(order.id);
    expect(payment.status).toBe('pending');
    expect(payment.flag_reason).toMatch(/amount mismatch: expected 49\.99, got 0\.01/);
    expect(await state(m, order.id)).toBe('Pending');
    expect(await credits(order.id)).toBe(0);
  });

  it('refunds through POST /api/v1/orders/:id/refunds: the capture is refunded, order Refunded, credits debited', async () => {
    const { m, account } = await paypalMerchant();
    const order = await paypalOrder(m);
    fake.approve(order.ppOrder);
    await fake.sendWebhook(hookUrl(m), fake.approvedEvent(order.ppOrder), account.webhook_id);
    expect(await balance(m)).toBe('500.000000');

    const res = await http(app)
      .post(`/api/v1/orders/${order.id}/refunds`)
      .set(m.auth)
      .send({ reason: 'customer asked' })
      .expect(201);
    expect(res.body).toMatchObject({
      status: 'succeeded',
      amount: 49.99,
      currency: 'USD',
      provider: 'paypal',
    });
    const captureId = captureIdOf(order.ppOrder);
    const [req] = fake.requestsTo('POST', `/v2/payments/captures/${captureId}/refund`);
    expect(req.headers['paypal-request-id']).toBe(res.body.id);
    expect(req.headers.authorization).toMatch(/^Bearer /);
    expect(JSON.parse(req.body)).toEqual({
      amount: { value: '49.99', currency_code: 'USD' },
      invoice_id: res.body.id,
      note_to_payer: 'customer asked',
    });
    expect(res.body.provider_refund_id).toBe(fake.orders.get(order.ppOrder)!.refunds[0].id);
    expect(await state(m, order.id)).toBe('Refunded');
    expect(await balance(m)).toBe('0.000000');
  });

  it('a PENDING refund answers 202 and reconciliation settles it when PayPal completes it', async () => {
    const { m, account } = await paypalMerchant();
    const order = await paypalOrder(m);
    fake.approve(order.ppOrder);
    await fake.sendWebhook(hookUrl(m), fake.approvedEvent(order.ppOrder), account.webhook_id);
    fake.refundStatus = 'PENDING';
    const res = await http(app)
      .post(`/api/v1/orders/${order.id}/refunds`)
      .set(m.auth)
      .send({ amount: '10.00', reason: 'partial' })
      .expect(202);
    expect(res.body.status).toBe('pending');
    const [refund] = fake.orders.get(order.ppOrder)!.refunds;
    expect(refund.amount).toEqual({ currency_code: 'USD', value: '10.00' });

    fake.settleRefund(refund.id, 'COMPLETED');
    await db(app).query(`UPDATE refunds SET updated_at = now() - interval '5 minutes' WHERE id = $1`, [
      res.body.id,
    ]);
    await app.app.get(ReconciliationService).runOnce({ tenantId: m.tenantId });
    expect(fake.requestsTo('GET', `/v2/payments/refunds/${refund.id}`)).toHaveLength(1);
    const list = await http(app).get(`/api/v1/orders/${order.id}/refunds`).set(m.auth).expect(200);
    expect(list.body.data[0]).toMatchObject({ id: res.body.id, status: 'succeeded' });
    expect(await state(m, order.id)).toBe('PartiallyRefunded');
  });

  it('recovers a lost callback with reconciliation: an approved order is captured once', async () => {
    const { m } = await paypalMerchant();
    const approved = await paypalOrder(m);
    const untouched = await paypalOrder(m);
    fake.approve(approved.ppOrder);
    const captures = fake.captureCount;
    const recon = app.app.get(ReconciliationService);

    const first = await recon.runOnce({ tenantId: m.tenantId });
    expect(first).toMatchObject({ checked: 2, paid: 1 });
    expect(fake.captureCount - captures).toBe(1);
    expect(await state(m, approved.id)).toBe('Finished');
    expect(await credits(approved.id)).toBe(1);
    expect(await state(m, untouched.id)).toBe('Pending');

    await db(app).query('UPDATE payments SET next_check_at = NULL WHERE order_id = $1', [untouched.id]);
    const second = await recon.runOnce({ tenantId: m.tenantId });
    expect(second).toMatchObject({ checked: 1, paid: 0 });
    expect(fake.captureCount - captures).toBe(1);
    expect(await credits(approved.id)).toBe(1);
  });

  describe('provider failures', () => {
    const orderCount = async (m: Merchant): Promise<number> =>
      (
        await db(app).query<{ n: number }[]>('SELECT count(*)::int AS n FROM orders WHERE tenant_id = $1', [
          m.tenantId,
        ])
      )[0].n;

    const cases: [string, number, string, () => void][] = [
      [
        'a 500',
        502,
        'provider_unavailable',
        () => fake.fail({ status: 500 }, { path: /^\/v2\/checkout\/orders$/ }),
      ],
      ['no answer', 502, 'provider_timeout', () => fake.fail('hang', { path: /^\/v2\/checkout\/orders$/ })],
    ];
    it.each(cases)(
      '%s: %i %s, nothing written, and the order can be paid afterwards',
      async (_l, status, code, breakIt) => {
        const { m } = await paypalMerchant();
        const before = await orderCount(m);
        breakIt();
        const res = await http(app)
          .post('/api/v1/orders')
          .set(m.auth)
          .send({ application_id: m.applicationId, package_id: m.packageId, pay_way: 'PayPal' });
        expect(res.status).toBe(status);
        expect(res.body.code).toBe(code);
        expect(await orderCount(m)).toBe(before);

        // The order payment API on a Pending order: same failure, no PayPal attempt written, the order
        // stays Pending.
        const pending = await newOrder(app, m);
        const pay = () =>
          http(app).post('/api/order/payment').set(m.auth).send({ order_id: pending.id, pay_way: 'paypal' });
        const failed = await pay();
        expect(failed.status).toBe(status);
        expect(failed.body).toMatchObject({ code: -1, data: null });
        expect(await paymentOf(pending.id as string)).toBeUndefined();
        expect(await state(m, pending.id as string)).toBe('Pending');

        fake.recover();
        const ok = await pay().expect(200);
        const payment = await db(app).query<{ provider_ref: string }[]>(
          `SELECT provider_ref FROM payments WHERE order_id = $1 AND provider = 'paypal'`,
          [pending.id],
        );
        expect(ok.body).toEqual({
          code: 0,
          msg: '',
          data: { pay_way: 'paypal', jump_url: `${fake.url}/checkoutnow?token=${payment[0].provider_ref}` },
        });
      },
    );

    it('refused credentials: 422 provider_credentials_rejected; paid after the secret is fixed', async () => {
      const m = await newMerchant(app);
      const account = fake.addAccount();
      await configure(m, { ...account, client_secret: 'wrong-secret' });
      const res = await http(app)
        .post('/api/v1/orders')
        .set(m.auth)
        .send({ application_id: m.applicationId, package_id: m.packageId, pay_way: 'PayPal' });
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ code: 'provider_credentials_rejected' });
      expect(res.body.message).toMatch(/invalid_client/);
      expect(await orderCount(m)).toBe(0);

      await configure(m, account);
      const order = await paypalOrder(m);
      expect(await state(m, order.id)).toBe('Pending');
    });
  });
});
