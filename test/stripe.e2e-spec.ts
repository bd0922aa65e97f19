import type { RunningPaymux } from '../src/bootstrap';
import { OrderExpirySweeper } from '../src/payments/reconciliation/order-expiry.sweeper';
import type { PaymentRef, ProviderContext } from '../src/payments/contract/payment-provider';
import { ProviderRegistry } from '../src/payments/provider-registry';
import { StripeProvider } from '../src/payments/providers/stripe/stripe.provider';
import { ReconciliationService } from '../src/payments/reconciliation/reconciliation.service';
import { FakeSession, StripeFake } from './fakes/stripe/stripe.fake';
import { db, http, Merchant, newMerchant, newOrder, startTestApp } from './helpers/app';
import { expectOneRefusal } from './helpers/webhook-refusal';

const SECRET_KEY = 'sk_test_51paymuxStripeFakeKey000000';
const WEBHOOK_SECRET = 'whsec_paymux_e2e_endpoint_secret';

/**
 * The Stripe adapter over real HTTP against the fake in test/fakes/stripe, on PostgreSQL: the exact
 * Checkout Session request, signed webhooks (valid, forged, stale, replayed, wrong amount), async
 * payment methods, refunds, reconciliation of a lost callback, closing on expiry, and provider
 * failures (500, hang, bad key) that leave nothing behind.
 */
describe('Stripe', () => {
  let app: RunningPaymux;
  let fake: StripeFake;

  beforeAll(async () => {
    fake = await new StripeFake([SECRET_KEY]).start();
    app = await startTestApp({
      LOGIN_RATE_LIMIT: '1000',
      PAYMUX_STRIPE_BASE_URL: fake.url,
      // Not 800 ms: a busy machine missed that on plain calls to the fake (502). Only hangs wait it out.
      PROVIDER_TIMEOUT_MS: '5000',
      RECONCILE_INTERVAL_MS: '0',
      RECONCILE_DELAY_SECONDS: '0',
      EXPIRY_SWEEP_INTERVAL_MS: '0',
    });
  });
  afterAll(async () => {
    await app.close();
    await fake.stop();
  });
  afterEach(() => {
    fake.mode = 'ok';
    fake.loseAnswersTo = null;
    fake.refundStatus = 'succeeded';
  });

  /** A merchant with a Stripe account on the fake (and the default USD 49.99 / 500 credits package). */
  async function stripeMerchant(
    pkg: Record<string, unknown> = {},
    secretKey = SECRET_KEY,
  ): Promise<Merchant> {
    const m = await newMerchant(app, pkg);
    await http(app)
      .put('/api/v1/providers/stripe')
      .set(m.auth)
      .send({
        enabled: true,
        mode: 'test',
        credentials: { secret_key: secretKey, webhook_secret: WEBHOOK_SECRET },
      })
      .expect(200);
    return m;
  }
  const stripeOrder = async (m: Merchant): Promise<Record<string, unknown>> =>
    (
      await http(app)
        .post('/api/v1/orders/')
        .set(m.auth)
        .send({ application_id: m.applicationId, package_id: m.packageId, pay_way: 'Stripe' })
        .expect(201)
    ).body as Record<string, unknown>;
  const webhookUrl = (m: Merchant): string => `${app.url}/api/v1/webhooks/stripe/${m.tenantId}`;
  /** Send `type` about the session, signed with the endpoint secret unless told otherwise. */
  const deliver = (
    m: Merchant,
    type: string,
    object: object,
    opts: { secret?: string; timestamp?: number; tamper?: boolean } = {},
  ) => fake.send(webhookUrl(m), fake.delivery(fake.event(type, object), opts.secret ?? WEBHOOK_SECRET, opts));

  const stateOf = async (m: Merchant, orderId: string): Promise<string> =>
    (await http(app).get(`/api/v1/orders/${orderId}`).set(m.auth).expect(200)).body.state as string;
  const balance = async (m: Merchant): Promise<string> =>
    (
      await db(app).query<{ balance: string }[]>('SELECT balance::text FROM applications WHERE id = $1', [
        m.applicationId,
      ])
    )[0].balance;
  const ledger = (orderId: string) =>
    db(app).query<{ kind: string; amount: string }[]>(
      'SELECT kind, amount::text FROM ledger_entries WHERE order_id = $1 ORDER BY created_at',
      [orderId],
    );
  const payments = (orderId: string) =>
    db(app).query<
      { id: string; provider: string; status: string; flag_reason: string | null; provider_ref: string }[]
    >(
      'SELECT id, provider, status, flag_reason, provider_ref FROM payments WHERE order_id = $1 ORDER BY created_at',
      [orderId],
    );
  const events = (eventId: string) =>
    db(app).query<{ outcome: string }[]>(
      `SELECT outcome FROM provider_events WHERE provider = 'stripe' AND event_id = $1`,
      [eventId],
    );
  const ctxOf = async (m: Merchant): Promise<ProviderContext> =>
    (await app.app.get(ProviderRegistry).contextFor(m.tenantId, 'stripe'))!;

  describe('createPayment', () => {
    it('opens a Checkout Session with the exact amount, currency, ids, expiry, key and idempotency key', async () => {
      const m = await stripeMerchant();
      const before = Math.floor(Date.now() / 1000);
      const order = await stripeOrder(m);
      const after = Math.floor(Date.now() / 1000);
      const [payment] = await payments(order.id as string);
      const session = fake.session(order.pay_id as string);
      expect(order.pay_id).toMatch(/^cs_test_/);
      expect(order.pay_url).toBe(session.url);
      expect(payment).toMatchObject({ provider: 'stripe', status: 'pending', provider_ref: session.id });

      const [req] = fake.requestsTo('POST', '/v1/checkout/sessions');
      expect(req.path).toBe('/v1/checkout/sessions');
      expect(req.headers.authorization).toBe(`Bearer ${SECRET_KEY}`);
      expect(req.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
      expect(req.headers['idempotency-key']).toBe(payment.id);
      const checkout = new RegExp(`/checkout/${order.id as string}$`);
      expect(req.form).toMatchObject({
        mode: 'payment',
        'line_items[0][price_data][currency]': 'usd',
        'line_items[0][price_data][unit_amount]': '4999',
        'line_items[0][price_data][product_data][name]': `Order ${order.id as string}`,
        'line_items[0][quantity]': '1',
        client_reference_id: order.id,
        'metadata[order_id]': order.id,
        'metadata[payment_id]': payment.id,
        'payment_intent_data[metadata][payment_id]': payment.id,
      });
      expect(req.form.success_url).toMatch(checkout);
      expect(req.form.cancel_url).toMatch(checkout);
      // The order lives 30 minutes (ORDER_TTL_SECONDS default); Stripe needs at least 30: clamped up.
      const expiresAt = Number(req.form.expires_at);
      expect(expiresAt).toBeGreaterThanOrEqual(before + 31 * 60);
      expect(expiresAt).toBeLessThanOrEqual(after + 31 * 60);
      expect(session).toMatchObject({ amount_total: 4999, currency: 'usd', status: 'open' });
    });

    it('sends zero-decimal JPY unmultiplied, THB in hundredths, and the redirect_url as return', async () => {
      const jpy = await stripeMerchant({ price: 500, currency: 'JPY' });
      const o1 = await http(app)
        .post('/api/v1/orders/')
        .set(jpy.auth)
        .send({
          application_id: jpy.applicationId,
          package_id: jpy.packageId,
          pay_way: 'Stripe',
          redirect_url: 'https://shop.example/thanks',
        })
        .expect(201);
      const r1 = fake.requestsTo('POST', '/v1/checkout/sessions').at(-1)!;
      expect(r1.form['line_items[0][price_data][currency]']).toBe('jpy');
      expect(r1.form['line_items[0][price_data][unit_amount]']).toBe('500');
      expect(r1.form.success_url).toBe('https://shop.example/thanks');
      expect(fake.session(o1.body.pay_id as string).amount_total).toBe(500);

      const thb = await stripeMerchant({ price: 100, currency: 'THB' });
      await stripeOrder(thb);
      const r2 = fake.requestsTo('POST', '/v1/checkout/sessions').at(-1)!;
      expect(r2.form['line_items[0][price_data][currency]']).toBe('thb');
      expect(r2.form['line_items[0][price_data][unit_amount]']).toBe('10000');
    });

    it('pays an existing order through the order payment API and reuses the open session on a repeat', async () => {
      const m = await stripeMerchant();
      const order = await newOrder(app, m); // a Sandbox order, paid with Stripe instead
      const pay = () =>
        http(app).post('/api/order/payment').set(m.auth).send({ order_id: order.id, pay_way: 'stripe' });
      const first = await pay().expect(200);
      const rows = (await payments(order.id as string)).filter((p) => p.provider === 'stripe');
      expect(rows).toHaveLength(1);
      expect(first.body).toEqual({
        code: 0,
        msg: '',
        data: { pay_way: 'stripe', jump_url: fake.session(rows[0].provider_ref).url },
      });
      const sent = fake.requestsTo('POST', '/v1/checkout/sessions').length;
      expect((await pay().expect(200)).body).toEqual(first.body);
      expect(fake.requestsTo('POST', '/v1/checkout/sessions')).toHaveLength(sent);
    });
  });

  describe('webhooks', () => {
    it('finishes the order on a signed checkout.session.completed and credits once; a replay changes nothing', async () => {
      const m = await stripeMerchant();
      const order = await stripeOrder(m);
      const session = fake.pay(order.pay_id as string);
      const delivery = fake.delivery(fake.event('checkout.session.completed', session), WEBHOOK_SECRET);
      const res = await fake.send(webhookUrl(m), delivery);
      expect(res).toEqual({ status: 200, body: JSON.stringify({ received: true }) });
      expect(await stateOf(m, order.id as string)).toBe('Finished');
      expect(await balance(m)).toBe('500.000000');
      expect(await ledger(order.id as string)).toEqual([{ kind: 'credit', amount: '500.000000' }]);
      expect((await payments(order.id as string))[0].status).toBe('succeeded');

      // Stripe retries the very same delivery: acknowledged, nothing changes.
      const replay = await fake.send(webhookUrl(m), delivery);
      expect(replay.status).toBe(200);
      const eventId = (JSON.parse(delivery.body) as { id: string }).id;
      expect(await events(eventId)).toEqual([{ outcome: 'applied' }]);
      // Another event confirming the same payment does not credit again either.
      expect((await deliver(m, 'checkout.session.async_payment_succeeded', session)).status).toBe(200);
      expect(await balance(m)).toBe('500.000000');
      expect(await ledger(order.id as string)).toHaveLength(1);
    });

    it('does not let another tenant claim an event id first: events are unique per tenant', async () => {
      const victim = await stripeMerchant();
      const attacker = await stripeMerchant();
      const order = await stripeOrder(victim);
      const session = fake.pay(order.pay_id as string);
      const event = fake.event('checkout.session.completed', session);
      // The attacker signs the same event id with its own endpoint secret, at its own webhook URL.
      expect((await fake.send(webhookUrl(attacker), fake.delivery(event, WEBHOOK_SECRET))).status).toBe(200);
      expect(await stateOf(victim, order.id as string)).toBe('Pending');
      // The genuine delivery to the victim is applied, not dropped as a duplicate.
      expect((await fake.send(webhookUrl(victim), fake.delivery(event, WEBHOOK_SECRET))).status).toBe(200);
      expect(await stateOf(victim, order.id as string)).toBe('Finished');
      expect(await balance(victim)).toBe('500.000000');
      const rows = await db(app).query<{ tenant_id: string; outcome: string }[]>(
        `SELECT tenant_id, outcome FROM provider_events WHERE provider = 'stripe' AND event_id = $1 ORDER BY received_at`,
        [event.id],
      );
      expect(rows).toEqual([
        { tenant_id: attacker.tenantId, outcome: 'ignored' },
        { tenant_id: victim.tenantId, outcome: 'applied' },
      ]);
    });

    it('rejects forged, tampered, stale and unsigned callbacks without any change', async () => {
      const m = await stripeMerchant();
      const order = await stripeOrder(m);
      const session = fake.pay(order.pay_id as string);
      const event = fake.event('checkout.session.completed', session);
      const tries = [
        fake.delivery(event, 'whsec_someone_elses_secret'),
        fake.delivery(event, WEBHOOK_SECRET, { tamper: true }),
        fake.delivery(event, WEBHOOK_SECRET, { timestamp: Math.floor(Date.now() / 1000) - 301 }),
        fake.delivery(event, WEBHOOK_SECRET, { timestamp: Math.floor(Date.now() / 1000) + 400 }),
        fake.delivery(event, WEBHOOK_SECRET, { header: 't=abc,v1=00' }),
        fake.delivery(event, WEBHOOK_SECRET, { header: `t=${Math.floor(Date.now() / 1000)}` }),
        { ...fake.delivery(event, WEBHOOK_SECRET), headers: { 'content-type': 'application/json' } },
      ];
      for (const d of tries) {
        const res = await fake.send(webhookUrl(m), d);
        expect(res.status).toBe(400);
        expect(JSON.parse(res.body)).toMatchObject({ received: false });
      }
      // The same reply for an unknown tenant or one without Stripe: nobody learns who uses Stripe.
      expect(await expectOneRefusal(app, 'stripe', m.tenantId)).toMatchObject({
        status: 400,
        body: JSON.stringify({ received: false, error: 'notification rejected' }),
      });
      expect(await stateOf(m, order.id as string)).toBe('Pending');
      expect(await ledger(order.id as string)).toEqual([]);
      expect(await events(event.id)).toEqual([]);
      expect((await payments(order.id as string))[0].status).toBe('pending');

      // A captured delivery replayed after the tolerance is stale, even with its original signature.
      const old = fake.delivery(event, WEBHOOK_SECRET, { timestamp: Math.floor(Date.now() / 1000) - 3600 });
      expect((await fake.send(webhookUrl(m), old)).status).toBe(400);
      expect(await stateOf(m, order.id as string)).toBe('Pending');

      // The same event, properly signed and fresh, is then accepted (the rejections recorded nothing).
      expect((await fake.send(webhookUrl(m), fake.delivery(event, WEBHOOK_SECRET))).status).toBe(200);
      expect(await stateOf(m, order.id as string)).toBe('Finished');
    });

    it('flags a validly signed confirmation with the wrong amount or currency and credits nothing', async () => {
      const m = await stripeMerchant();
      const order = await stripeOrder(m);
      const session = fake.pay(order.pay_id as string);
      const res = await deliver(m, 'checkout.session.completed', { ...session, amount_total: 100 });
      expect(res.status).toBe(200);
      let [payment] = await payments(order.id as string);
      expect(payment.status).toBe('pending');
      expect(payment.flag_reason).toBe('amount mismatch: expected 49.99, got 1.00');
      expect(await stateOf(m, order.id as string)).toBe('Pending');
      expect(await balance(m)).toBe('0.000000');

      const other = await stripeOrder(m);
      const s2 = fake.pay(other.pay_id as string);
      await deliver(m, 'checkout.session.completed', { ...s2, currency: 'eur' });
      [payment] = await payments(other.id as string);
      expect(payment.flag_reason).toBe('currency mismatch: expected USD, got EUR');
      expect(await ledger(other.id as string)).toEqual([]);
    });

    it('waits for an async method: completed unpaid is pending, async_payment_succeeded pays', async () => {
      const m = await stripeMerchant();
      const order = await stripeOrder(m);
      const unpaid = fake.pay(order.pay_id as string, { async: true });
      expect((await deliver(m, 'checkout.session.completed', unpaid)).status).toBe(200);
      expect(await stateOf(m, order.id as string)).toBe('Pending');
      expect((await payments(order.id as string))[0].status).toBe('pending');

      const paid = fake.settleAsync(order.pay_id as string, 'succeeded');
      expect((await deliver(m, 'checkout.session.async_payment_succeeded', paid)).status).toBe(200);
      expect(await stateOf(m, order.id as string)).toBe('Finished');
      expect(await balance(m)).toBe('500.000000');
    });

    it('maps failures: a declined card keeps the open session pending; a failed async payment and an expiry are final', async () => {
      const m = await stripeMerchant();
      const declined = await stripeOrder(m);
      const intent = fake.decline(declined.pay_id as string);
      const before = fake.requestsTo('GET', '/v1/checkout/sessions').length;
      expect((await deliver(m, 'payment_intent.payment_failed', intent)).status).toBe(200);
      // The session was looked up by its intent, and is still open: the payer may try again.
      const lookup = fake.requestsTo('GET', '/v1/checkout/sessions').slice(before);
      expect(lookup.map((r) => r.query.payment_intent)).toEqual([intent.id]);
      expect((await payments(declined.id as string))[0].status).toBe('pending');

      const failed = await stripeOrder(m);
      fake.pay(failed.pay_id as string, { async: true });
      const s = fake.settleAsync(failed.pay_id as string, 'failed');
      const failedIntent = fake.intents.get(s.payment_intent!)!;
      expect((await deliver(m, 'payment_intent.payment_failed', failedIntent)).status).toBe(200);
      expect((await payments(failed.id as string))[0].status).toBe('failed');

      const asyncFailed = await stripeOrder(m);
      fake.pay(asyncFailed.pay_id as string, { async: true });
      const s3 = fake.settleAsync(asyncFailed.pay_id as string, 'failed');
      expect((await deliver(m, 'checkout.session.async_payment_failed', s3)).status).toBe(200);
      expect((await payments(asyncFailed.id as string))[0].status).toBe('failed');

      const expired = await stripeOrder(m);
      const s4 = fake.expire(expired.pay_id as string);
      expect((await deliver(m, 'checkout.session.expired', s4)).status).toBe(200);
      expect((await payments(expired.id as string))[0].status).toBe('expired');

      // An event the adapter does not act on is acknowledged and changes nothing.
      const unknown = await deliver(m, 'charge.refunded', { id: 'ch_123', object: 'charge' });
      expect(unknown.status).toBe(200);
      for (const o of [declined, failed, asyncFailed, expired])
        expect(await ledger(o.id as string)).toEqual([]);
    });
  });

  it('answers 503 to a payment_intent.payment_failed whose session lookup fails, and applies the retry', async () => {
    const m = await stripeMerchant();
    const order = await stripeOrder(m);
    fake.pay(order.pay_id as string, { async: true });
    const session = fake.settleAsync(order.pay_id as string, 'failed');
    // One event, delivered twice as Stripe retries it: the same id and body.
    const event = fake.event('payment_intent.payment_failed', fake.intents.get(session.payment_intent!)!);
    const url = webhookUrl(m);

    for (const mode of ['fail500', 'hang'] as const) {
      fake.mode = mode;
      const refused = await fake.send(url, fake.delivery(event, WEBHOOK_SECRET));
      expect(refused.status).toBe(503);
      expect(refused.body).not.toContain('unknown error');
      expect((await payments(order.id as string))[0].status).toBe('pending');
    }

    fake.mode = 'ok';
    expect((await fake.send(url, fake.delivery(event, WEBHOOK_SECRET))).status).toBe(200);
    expect((await payments(order.id as string))[0].status).toBe('failed');
    expect(await ledger(order.id as string)).toEqual([]);
  });

  describe('refunds', () => {
    /** A Finished Stripe order of m, paid through the webhook. */
    async function paidOrder(m: Merchant): Promise<{ orderId: string; session: FakeSession }> {
      const order = await stripeOrder(m);
      const session = fake.pay(order.pay_id as string);
      expect((await deliver(m, 'checkout.session.completed', session)).status).toBe(200);
      expect(await stateOf(m, order.id as string)).toBe('Finished');
      return { orderId: order.id as string, session };
    }
    const refund = (m: Merchant, orderId: string, body: Record<string, unknown>) =>
      http(app).post(`/api/v1/orders/${orderId}/refunds`).set(m.auth).send(body);

    it('refunds the payment intent of the session: exact request, order Refunded, credits debited', async () => {
      const m = await stripeMerchant();
      const { orderId, session } = await paidOrder(m);
      const res = await refund(m, orderId, { reason: 'customer asked' }).expect(201);
      expect(res.body).toMatchObject({ status: 'succeeded', provider: 'stripe' });
      const [req] = fake
        .requestsTo('POST', '/v1/refunds')
        .filter((r) => r.form.payment_intent === session.payment_intent);
      expect(req.headers.authorization).toBe(`Bearer ${SECRET_KEY}`);
      expect(req.headers['idempotency-key']).toBe(res.body.id);
      expect(req.form).toMatchObject({
        payment_intent: session.payment_intent,
        amount: '4999',
        'metadata[refund_id]': res.body.id,
        'metadata[reason]': 'customer asked',
      });
      const stored = fake.refunds.get(res.body.provider_refund_id as string);
      expect(stored).toMatchObject({ amount: 4999, currency: 'usd', status: 'succeeded' });
      expect(await stateOf(m, orderId)).toBe('Refunded');
      expect(await balance(m)).toBe('0.000000');
      expect((await ledger(orderId)).map((e) => e.kind)).toEqual(['credit', 'refund']);
    });

    it('refunds partially in minor units, and settles a pending refund through reconciliation', async () => {
      const m = await stripeMerchant();
      const { orderId, session } = await paidOrder(m);
      const part = await refund(m, orderId, { amount: '10.00', reason: 'partial' }).expect(201);
      expect(fake.refunds.get(part.body.provider_refund_id as string)?.amount).toBe(1000);
      expect(await stateOf(m, orderId)).toBe('PartiallyRefunded');

      fake.refundStatus = 'pending';
      const rest = await refund(m, orderId, { reason: 'the rest' }).expect(202);
      expect(rest.body.status).toBe('pending');
      const pending = fake.refunds.get(rest.body.provider_refund_id as string)!;
      expect(pending).toMatchObject({ amount: 3999, payment_intent: session.payment_intent });
      expect(await stateOf(m, orderId)).toBe('PartiallyRefunded');

      pending.status = 'succeeded';
      await db(app).query(`UPDATE refunds SET updated_at = now() - interval '1 hour' WHERE id = $1`, [
        rest.body.id,
      ]);
      await app.app.get(ReconciliationService).runOnce({ tenantId: m.tenantId });
      expect(fake.requestsTo('GET', `/v1/refunds/${pending.id}`)).toHaveLength(1);
      expect(await stateOf(m, orderId)).toBe('Refunded');
      expect(await balance(m)).toBe('0.000000');
    });

    it('finds a refund whose answer was lost by its refund_id among the intent refunds', async () => {
      const m = await stripeMerchant();
      const { orderId, session } = await paidOrder(m);
      fake.loseAnswersTo = '/v1/refunds'; // Stripe refunds, the answer never arrives
      const res = await refund(m, orderId, { reason: 'lost answer' }).expect(202);
      expect(res.body).toMatchObject({ status: 'pending', provider_refund_id: null });
      fake.loseAnswersTo = null;
      const made = [...fake.refunds.values()].filter((r) => r.metadata.refund_id === res.body.id);
      expect(made).toHaveLength(1);
      await db(app).query(`UPDATE refunds SET updated_at = now() - interval '1 hour' WHERE id = $1`, [
        res.body.id,
      ]);
      await app.app.get(ReconciliationService).runOnce({ tenantId: m.tenantId });
      const listed = fake.requestsTo('GET', '/v1/refunds').filter((r) => r.path === '/v1/refunds');
      expect(listed.at(-1)?.query.payment_intent).toBe(session.payment_intent);
      expect(await stateOf(m, orderId)).toBe('Refunded');
      const [row] = await db(app).query<{ provider_refund_id: string }[]>(
        'SELECT provider_refund_id FROM refunds WHERE id = $1',
        [res.body.id],
      );
      expect(row.provider_refund_id).toBe(made[0].id);
      expect(await balance(m)).toBe('0.000000');

      // Asking again with the same refund id is the same refund at Stripe (Idempotency-Key), not a second one.
      const [payment] = await payments(orderId);
      const again = await app.app
        .get(StripeProvider)
        .refund(
          await ctxOf(m),
          { paymentId: payment.id, providerRef: session.id, amount: '49.99', currency: 'USD' },
          { refundId: res.body.id as string, amount: '49.99', currency: 'USD', reason: 'lost answer' },
        );
      expect(again).toEqual({ status: 'succeeded', providerRefundId: made[0].id });
      expect([...fake.refunds.values()].filter((r) => r.metadata.refund_id === res.body.id)).toHaveLength(1);
    });
  });

  describe('reconciliation and close', () => {
    it('recovers a lost callback with queryPayment, and records an expired session', async () => {
      const m = await stripeMerchant();
      const paid = await stripeOrder(m);
      fake.pay(paid.pay_id as string); // no event is ever sent
      const gone = await stripeOrder(m);
      fake.expire(gone.pay_id as string);
      const open = await stripeOrder(m);

      await app.app.get(ReconciliationService).runOnce({ tenantId: m.tenantId });
      expect(fake.requestsTo('GET', `/v1/checkout/sessions/${paid.pay_id as string}`)).toHaveLength(1);
      expect(await stateOf(m, paid.id as string)).toBe('Finished');
      expect(await ledger(paid.id as string)).toEqual([{ kind: 'credit', amount: '500.000000' }]);
      expect((await payments(gone.id as string))[0].status).toBe('expired');
      expect((await payments(open.id as string))[0].status).toBe('pending');
      expect(await stateOf(m, open.id as string)).toBe('Pending');
    });

    it('expires the session at Stripe when the order is cancelled, and confirms one paid meanwhile', async () => {
      const m = await stripeMerchant();
      const order = await stripeOrder(m);
      const cancelled = await http(app)
        .post(`/api/v1/orders/${order.id as string}/cancel`)
        .set(m.auth)
        .expect(200);
      expect(cancelled.body.state).toBe('Cancelled');
      expect(fake.requestsTo('POST', `/v1/checkout/sessions/${order.pay_id as string}/expire`)).toHaveLength(
        1,
      );
      expect(fake.session(order.pay_id as string).status).toBe('expired');
      expect((await payments(order.id as string))[0].status).toBe('expired');

      // Paid at Stripe just before the cancel, its callback not yet arrived: the money is not dropped.
      const paid = await stripeOrder(m);
      fake.pay(paid.pay_id as string);
      const res = await http(app)
        .post(`/api/v1/orders/${paid.id as string}/cancel`)
        .set(m.auth)
        .expect(200);
      expect(res.body.state).toBe('Finished');
      expect((await payments(paid.id as string))[0].status).toBe('succeeded');
      expect(await ledger(paid.id as string)).toEqual([{ kind: 'credit', amount: '500.000000' }]);
    });

    it('expires the session at Stripe when the order expires; close of a closed or unknown session is done', async () => {
      const m = await stripeMerchant();
      const order = await stripeOrder(m);
      // Due before anything else: the sweep takes the database's 100 longest-due orders first.
      await db(app).query(`UPDATE orders SET expires_at = now() - interval '10 years' WHERE id = $1`, [
        order.id,
      ]);
      await app.app.get(OrderExpirySweeper).sweepOnce();
      expect(fake.requestsTo('POST', `/v1/checkout/sessions/${order.pay_id as string}/expire`)).toHaveLength(
        1,
      );
      expect(fake.session(order.pay_id as string).status).toBe('expired');
      expect(await stateOf(m, order.id as string)).toBe('Expired');

      const stripe = app.app.get(StripeProvider);
      const ctx = await ctxOf(m);
      const ref = (providerRef: string): PaymentRef => ({
        paymentId: '00000000-0000-4000-8000-000000000000',
        providerRef,
        amount: '49.99',
        currency: 'USD',
      });
      // Already expired (Stripe answers 400), already paid, never seen (404): all done, no throw.
      await expect(stripe.close(ctx, ref(order.pay_id as string))).resolves.toBeUndefined();
      const paid = await stripeOrder(m);
      fake.pay(paid.pay_id as string);
      await expect(stripe.close(ctx, ref(paid.pay_id as string))).resolves.toBeUndefined();
      expect(fake.session(paid.pay_id as string).status).toBe('complete');
      await expect(stripe.close(ctx, ref('cs_test_never_seen'))).resolves.toBeUndefined();
      // Stripe unavailable: close fails, so the sweeper retries later.
      fake.mode = 'fail500';
      await expect(stripe.close(ctx, ref(paid.pay_id as string))).rejects.toMatchObject({
        kind: 'unavailable',
      });
    });
  });

  describe('provider failures', () => {
    const orderCount = async (m: Merchant): Promise<number> =>
      (
        await db(app).query<{ n: number }[]>('SELECT count(*)::int AS n FROM orders WHERE tenant_id = $1', [
          m.tenantId,
        ])
      )[0].n;

    it.each([
      ['fail500', 502, 'provider_unavailable', /unknown error occurred/],
      ['hang', 502, 'provider_timeout', /timeout|did not answer/],
    ] as const)(
      'Stripe %s: POST /api/v1/orders answers %i %s and writes nothing',
      async (mode, status, code, msg) => {
        const m = await stripeMerchant();
        fake.mode = mode;
        const res = await http(app)
          .post('/api/v1/orders/')
          .set(m.auth)
          .send({ application_id: m.applicationId, package_id: m.packageId, pay_way: 'Stripe' })
          .expect(status);
        expect(res.body.code).toBe(code);
        expect(res.body.message).toMatch(msg);
        expect(await orderCount(m)).toBe(0);
      },
    );

    it('a refused key answers 422 provider_credentials_rejected', async () => {
      const m = await stripeMerchant({}, 'sk_test_not_a_key_stripe_knows');
      const res = await http(app)
        .post('/api/v1/orders/')
        .set(m.auth)
        .send({ application_id: m.applicationId, package_id: m.packageId, pay_way: 'Stripe' })
        .expect(422);
      expect(res.body).toMatchObject({ code: 'provider_credentials_rejected' });
      expect(res.body.message).toMatch(/Invalid API Key provided/);
      expect(fake.requests.at(-1)?.headers.authorization).toBe('Bearer sk_test_not_a_key_stripe_knows');
      expect(await orderCount(m)).toBe(0);
    });

    it('leaves a pending order payable after 500, hang and 401, with no payment row written', async () => {
      const m = await stripeMerchant();
      const order = await newOrder(app, m);
      const pay = () =>
        http(app).post('/api/order/payment').set(m.auth).send({ order_id: order.id, pay_way: 'stripe' });
      const stripeRows = async () =>
        (await payments(order.id as string)).filter((p) => p.provider === 'stripe').length;

      fake.mode = 'fail500';
      const down = await pay().expect(502);
      expect(down.body).toMatchObject({ code: -1, data: null });
      fake.mode = 'hang';
      const slow = await pay().expect(502);
      expect(slow.body.msg).toMatch(/timeout|did not answer/);
      fake.mode = 'ok';
      await http(app)
        .put('/api/v1/providers/stripe')
        .set(m.auth)
        .send({
          enabled: true,
          mode: 'test',
          credentials: { secret_key: 'sk_test_revoked_key_000000', webhook_secret: WEBHOOK_SECRET },
        })
        .expect(200);
      const refused = await pay().expect(422);
      expect(refused.body.msg).toMatch(/Invalid API Key/);
      expect(await stripeRows()).toBe(0);
      expect(await stateOf(m, order.id as string)).toBe('Pending');

      await http(app)
        .put('/api/v1/providers/stripe')
        .set(m.auth)
        .send({
          enabled: true,
          mode: 'test',
          credentials: { secret_key: SECRET_KEY, webhook_secret: WEBHOOK_SECRET },
        })
        .expect(200);
      const ok = await pay().expect(200);
      expect(ok.body.data.jump_url).toMatch(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/);
      expect(await stripeRows()).toBe(1);
    });
  });
});
