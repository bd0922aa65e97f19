import { randomUUID } from 'node:crypto';
import { PayPalAccount, PayPalFake, startPayPalFake } from '../../../../test/fakes/paypal/paypal.fake';
import {
  NotificationRejected,
  ProviderContext,
  ProviderError,
  RawNotification,
} from '../../contract/payment-provider';
import { toPayPalValue } from './paypal.amount';
import { clearPayPalTokens, PayPalClient, paypalError } from './paypal.client';
import { PayPalProvider } from './paypal.provider';

/** The adapter and its client against the PayPal fake, without the app. */
describe('PayPalProvider', () => {
  let fake: PayPalFake;
  let account: PayPalAccount;
  const provider = new PayPalProvider();

  beforeAll(async () => {
    fake = await startPayPalFake();
    account = fake.addAccount();
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.recover();
    fake.captureStatus = 'COMPLETED';
    fake.refundStatus = 'COMPLETED';
    clearPayPalTokens();
  });

  const ctxOf = (creds: PayPalAccount = account, over: Partial<ProviderContext> = {}): ProviderContext => ({
    tenantId: randomUUID(),
    mode: 'test',
    baseUrl: fake.url,
    credentials: { ...creds },
    notifyUrl: 'https://paymux.test/api/v1/webhooks/paypal/t',
    returnBaseUrl: 'https://paymux.test/api/v1/return/paypal/t',
    timeoutMs: 1000,
    ...over,
  });

  const open = async (ctx: ProviderContext, amount = '49.99', currency = 'USD') => {
    const paymentId = randomUUID();
    const created = await provider.createPayment(ctx, {
      paymentId,
      orderId: randomUUID(),
      method: 'paypal_checkout',
      amount,
      currency,
      description: 'Order x',
      expiresAt: new Date(Date.now() + 3600_000),
      checkoutUrl: 'https://paymux.test/checkout/o',
    });
    return { paymentId, orderId: created.providerRef, created };
  };

  const raw = (d: { headers: Record<string, string>; body: string }): RawNotification => ({
    headers: d.headers,
    body: Buffer.from(d.body),
  });

  describe('amounts', () => {
    it.each([
      ['USD', '49.99', '49.99'],
      ['USD', '10', '10.00'],
      ['JPY', '500', '500'],
      ['THB', '100', '100.00'],
      ['HUF', '1500', '1500'],
      ['TWD', '30.00', '30'],
    ])('%s %s is sent as %s', (currency, amount, value) => {
      expect(toPayPalValue(currency, amount)).toBe(value);
    });

    it('refuses what PayPal cannot hold exactly, and currencies it does not take', () => {
      expect(() => toPayPalValue('JPY', '500.5')).toThrow(ProviderError);
      expect(() => toPayPalValue('HUF', '10.01')).toThrow(/without rounding/);
      expect(() => toPayPalValue('USD', '1.001')).toThrow(/without rounding/);
      expect(() => toPayPalValue('IDR', '1000')).toThrow(/does not take IDR/);
    });

    it('supports PayPal currencies for paypal_checkout only, never a crypto route', () => {
      expect(provider.supports({ method: 'paypal_checkout', currency: 'USD' })).toBe(true);
      expect(provider.supports({ method: 'paypal_checkout', currency: 'JPY' })).toBe(true);
      expect(provider.supports({ method: 'paypal_checkout', currency: 'IDR' })).toBe(false);
      expect(provider.supports({ method: 'paypal_checkout', currency: 'USDT', network: 'TRON' })).toBe(false);
      expect(provider.supports({ method: 'stripe_checkout', currency: 'USD' })).toBe(false);
    });
  });

  describe('OAuth token', () => {
    it('fetches one token with Basic auth and reuses it for later calls', async () => {
      const ctx = ctxOf();
      const before = fake.tokenRequests;
      const a = await open(ctx);
      const b = await open(ctx);
      expect(fake.tokenRequests - before).toBe(1);
      const [tokenReq] = fake.requestsTo('POST', '/v1/oauth2/token').slice(-1);
      const basic = Buffer.from(`${account.client_id}:${account.client_secret}`).toString('base64');
      expect(tokenReq.headers.authorization).toBe(`Basic ${basic}`);
      expect(tokenReq.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(tokenReq.body).toBe('grant_type=client_credentials');
      const creates = fake.requestsTo('POST', '/v2/checkout/orders').slice(-2);
      expect(creates[0].headers.authorization).toMatch(/^Bearer A21AA/);
      expect(creates[1].headers.authorization).toBe(creates[0].headers.authorization);
      expect(a.orderId).not.toBe(b.orderId);
    });

    it('on a 401 with a cached token, fetches a new one and retries once', async () => {
      const ctx = ctxOf();
      const { orderId } = await open(ctx);
      fake.revokeTokens();
      const before = fake.tokenRequests;
      const gets = fake.requestsTo('GET', `/v2/checkout/orders/${orderId}`).length;
      await expect(provider.queryPayment(ctx, ref(orderId))).resolves.toEqual({ status: 'pending' });
      expect(fake.tokenRequests - before).toBe(1);
      expect(fake.requestsTo('GET', `/v2/checkout/orders/${orderId}`).length - gets).toBe(2);
    });

    it('does not retry a 401 on a token it has just fetched', async () => {
      const ctx = ctxOf();
      const client = new PayPalClient(ctx);
      fake.fail(
        { status: 401, body: { name: 'AUTHENTICATION_FAILURE', message: 'nope' } },
        { path: /^\/v2/ },
      );
      const before = fake.tokenRequests;
      await expect(client.getOrder('ABC')).rejects.toMatchObject({ kind: 'credentials' });
      expect(fake.tokenRequests - before).toBe(1);
    });

    it('never lends one tenant’s token to another tenant with the same client id', async () => {
      const good = ctxOf();
      await open(good);
      // Another tenant names the same PayPal app but does not hold its secret.
      const thief = ctxOf({ ...account, client_secret: 'guessed' });
      const creates = fake.requestsTo('POST', '/v2/checkout/orders').length;
      await expect(open(thief)).rejects.toMatchObject({
        kind: 'credentials',
        providerCode: 'invalid_client',
      });
      expect(fake.requestsTo('POST', '/v2/checkout/orders').length).toBe(creates);
    });

    it('drops a token shortly before it expires', async () => {
      fake.tokenTtlSeconds = 1;
      try {
        const ctx = ctxOf();
        const before = fake.tokenRequests;
        await open(ctx);
        // 950 ms into a 1 s token: PayPal would still take it, but it is too close to expiry to use.
        await new Promise((r) => setTimeout(r, 950));
        await open(ctx);
        expect(fake.tokenRequests - before).toBe(2);
      } finally {
        fake.tokenTtlSeconds = 32400;
      }
    });
  });

  describe('createPayment', () => {
    it('opens a CAPTURE order with our ids, return and cancel URLs, and redirects to payer-action', async () => {
      const ctx = ctxOf();
      const { paymentId, orderId, created } = await open(ctx, '500', 'JPY');
      const [req] = fake.requestsTo('POST', '/v2/checkout/orders').slice(-1);
      expect(req.headers['paypal-request-id']).toBe(paymentId);
      const body = JSON.parse(req.body);
      expect(body).toEqual({
        intent: 'CAPTURE',
        purchase_units: [
          {
            custom_id: paymentId,
            invoice_id: expect.any(String),
            description: 'Order x',
            amount: { currency_code: 'JPY', value: '500' },
          },
        ],
        payment_source: {
          paypal: {
            experience_context: {
              return_url: `https://paymux.test/api/v1/return/paypal/t?payment_id=${paymentId}`,
              cancel_url: 'https://paymux.test/checkout/o',
              user_action: 'PAY_NOW',
            },
          },
        },
      });
      expect(created.action).toEqual({ kind: 'redirect', url: `${fake.url}/checkoutnow?token=${orderId}` });
    });

    it('maps failures: 5xx unavailable, no answer timeout, 422 rejected with the issue code', async () => {
      const ctx = ctxOf({ ...account }, { timeoutMs: 300 });
      await new PayPalClient(ctx).getOrder('warm-up').catch(() => undefined);
      fake.fail({ status: 503 }, { path: /^\/v2\/checkout\/orders$/, times: 1 });
      await expect(open(ctx)).rejects.toMatchObject({ kind: 'unavailable' });
      fake.fail('hang', { path: /^\/v2\/checkout\/orders$/, times: 1 });
      await expect(open(ctx)).rejects.toMatchObject({ kind: 'timeout' });
      await expect(open(ctx, '1.5', 'JPY')).rejects.toMatchObject({ kind: 'rejected' });
      const err = paypalError({
        status: 422,
        text: JSON.stringify({
          name: 'UNPROCESSABLE_ENTITY',
          details: [{ issue: 'ORDER_ALREADY_CAPTURED' }],
        }),
      });
      expect(err).toMatchObject({ kind: 'rejected', providerCode: 'ORDER_ALREADY_CAPTURED' });
      expect(paypalError({ status: 401, text: '{"error":"invalid_client"}' })).toMatchObject({
        kind: 'credentials',
        providerCode: 'invalid_client',
      });
    });
  });

  const ref = (orderId: string, amount = '49.99', currency = 'USD') => ({
    paymentId: randomUUID(),
    providerRef: orderId,
    amount,
    currency,
  });

  describe('webhooks', () => {
    it('rejects a delivery without PAYPAL-* headers without asking PayPal', async () => {
      const ctx = ctxOf();
      const { orderId } = await open(ctx);
      const before = fake.verifyCalls;
      for (const h of [
        'paypal-transmission-sig',
        'paypal-transmission-id',
        'paypal-cert-url',
        'paypal-auth-algo',
      ]) {
        const d = fake.sign(fake.approvedEvent(orderId), account.webhook_id, { omit: [h] });
        await expect(provider.verifyNotification(ctx, raw(d))).rejects.toThrow(NotificationRejected);
      }
      expect(fake.verifyCalls).toBe(before);
    });

    it('rejects a stale transmission without asking PayPal; the tolerance is a setting', async () => {
      const ctx = ctxOf();
      const { orderId } = await open(ctx);
      const d = fake.sign(fake.approvedEvent(orderId), account.webhook_id, {
        time: new Date(Date.now() - 301_000),
      });
      const before = fake.verifyCalls;
      await expect(provider.verifyNotification(ctx, raw(d))).rejects.toThrow(/outside tolerance/);
      expect(fake.verifyCalls).toBe(before);
      const lenient = new PayPalProvider({ webhookToleranceSeconds: 3600 });
      await expect(lenient.verifyNotification(ctx, raw(d))).resolves.toMatchObject({ outcome: 'pending' });
    });

    it('sends PayPal the exact event bytes and the tenant’s webhook_id; FAILURE is rejected', async () => {
      const ctx = ctxOf();
      const { orderId } = await open(ctx);
      const d = fake.sign(fake.approvedEvent(orderId), account.webhook_id);
      const forged = { ...d, body: d.body.replace('"value":"49.99"', '"value":"0.01"') };
      expect(forged.body).not.toBe(d.body);
      await expect(provider.verifyNotification(ctx, raw(forged))).rejects.toThrow(/did not verify/);
      const [verify] = fake.requestsTo('POST', '/v1/notifications/verify-webhook-signature').slice(-1);
      expect(verify.body.endsWith(`,"webhook_event":${forged.body}}`)).toBe(true);
      expect(JSON.parse(verify.body)).toMatchObject({
        auth_algo: 'SHA256withRSA',
        cert_url: fake.certUrl,
        transmission_id: d.headers['paypal-transmission-id'],
        transmission_sig: d.headers['paypal-transmission-sig'],
        transmission_time: d.headers['paypal-transmission-time'],
        webhook_id: account.webhook_id,
      });
      // Signed for another webhook: PayPal says FAILURE.
      const other = fake.sign(fake.approvedEvent(orderId), 'OTHERWEBHOOK00000');
      await expect(provider.verifyNotification(ctx, raw(other))).rejects.toThrow(NotificationRejected);
      expect(fake.orders.get(orderId)?.status).toBe('PAYER_ACTION_REQUIRED');
    });

    it('captures an APPROVED order once; webhook, return and capture event share one event id', async () => {
      const ctx = ctxOf();
      const { orderId, paymentId } = await open(ctx);
      const payerId = fake.approve(orderId);
      const captures = fake.captureCount;
      const approved = fake.sign(fake.approvedEvent(orderId), account.webhook_id);
      const [byHook, byReturn] = await Promise.all([
        provider.verifyNotification(ctx, raw(approved)),
        provider.handleReturn(ctx, { payment_id: paymentId, token: orderId, PayerID: payerId }),
      ]);
      expect(fake.captureCount - captures).toBe(1);
      const captureId = fake.orders.get(orderId)?.captures[0].id;
      expect(byHook).toMatchObject({
        eventId: `capture:${captureId}`,
        outcome: 'succeeded',
        providerRef: orderId,
        amount: '49.99',
        currency: 'USD',
      });
      expect(byReturn?.eventId).toBe(byHook.eventId);
      const captureReqs = fake.requestsTo('POST', `/v2/checkout/orders/${orderId}/capture`);
      expect(captureReqs.map((r) => r.headers['paypal-request-id'])).toEqual(
        captureReqs.map(() => `capture-${orderId}`),
      );
      const completed = fake.sign(fake.captureEvent(orderId), account.webhook_id);
      await expect(provider.verifyNotification(ctx, raw(completed))).resolves.toMatchObject({
        eventId: `capture:${captureId}`,
        outcome: 'succeeded',
        providerRef: orderId,
      });
      // Asked again later (reconciliation), still no second capture.
      await expect(provider.queryPayment(ctx, ref(orderId))).resolves.toEqual({
        status: 'succeeded',
        amount: '49.99',
        currency: 'USD',
      });
      expect(fake.captureCount - captures).toBe(1);
    });

    it('reads the order when PayPal says ORDER_ALREADY_CAPTURED', async () => {
      const ctx = ctxOf();
      const { orderId } = await open(ctx);
      fake.approve(orderId);
      // Captured by someone else under another request id.
      await new PayPalClient(ctx).captureOrder(orderId, 'elsewhere');
      const d = fake.sign(fake.approvedEvent(orderId), account.webhook_id);
      const ev = await provider.verifyNotification(ctx, raw(d));
      expect(ev).toMatchObject({
        outcome: 'succeeded',
        eventId: `capture:${fake.orders.get(orderId)?.captures[0].id}`,
      });
      expect(fake.requestsTo('GET', `/v2/checkout/orders/${orderId}`).length).toBeGreaterThan(0);
    });

    it('maps DENIED to failed, a pending capture to pending with its own event id, unknown to pending', async () => {
      const ctx = ctxOf();
      const { orderId } = await open(ctx);
      fake.approve(orderId);
      fake.captureStatus = 'PENDING';
      const pending = await provider.verifyNotification(
        ctx,
        raw(fake.sign(fake.approvedEvent(orderId), account.webhook_id)),
      );
      const captureId = fake.orders.get(orderId)?.captures[0].id;
      expect(pending).toMatchObject({ outcome: 'pending', eventId: `capture:${captureId}:pending` });
      const denied = fake.captureEvent(orderId, 'PAYMENT.CAPTURE.DENIED', { status: 'DECLINED' });
      await expect(
        provider.verifyNotification(ctx, raw(fake.sign(denied, account.webhook_id))),
      ).resolves.toMatchObject({ outcome: 'failed', providerRef: orderId });
      const refunded = fake.event('PAYMENT.CAPTURE.REFUNDED', 'refund', { id: 'R1', status: 'COMPLETED' });
      await expect(
        provider.verifyNotification(ctx, raw(fake.sign(refunded, account.webhook_id))),
      ).resolves.toMatchObject({ outcome: 'pending', eventId: `paypal:${refunded.id as string}` });
    });

    it('never captures an order paymux did not open', async () => {
      const ctx = ctxOf();
      const foreign = await new PayPalClient(ctx).createOrder(
        {
          intent: 'CAPTURE',
          purchase_units: [
            {
              custom_id: 'shop-42',
              invoice_id: 'x',
              description: 'd',
              amount: { currency_code: 'USD', value: '5.00' },
            },
          ],
          payment_source: {
            paypal: {
              experience_context: {
                return_url: 'https://x',
                cancel_url: 'https://y',
                user_action: 'PAY_NOW',
              },
            },
          },
        },
        randomUUID(),
      );
      fake.approve(foreign.id);
      const captures = fake.captureCount;
      const ev = await provider.verifyNotification(
        ctx,
        raw(fake.sign(fake.approvedEvent(foreign.id), account.webhook_id)),
      );
      expect(ev.outcome).toBe('pending');
      expect(await provider.handleReturn(ctx, { token: foreign.id })).toBeNull();
      expect(fake.captureCount).toBe(captures);
    });

    it('a return whose payment_id is not the order’s captures nothing', async () => {
      const ctx = ctxOf();
      const { orderId } = await open(ctx);
      fake.approve(orderId);
      const captures = fake.captureCount;
      expect(await provider.handleReturn(ctx, { payment_id: randomUUID(), token: orderId })).toBeNull();
      expect(await provider.handleReturn(ctx, { token: '../../v1/oauth2/token' })).toBeNull();
      expect(fake.captureCount).toBe(captures);
    });

    it('acknowledges 200, rejects 400, and asks for a retry (503) when PayPal could not be asked', () => {
      expect(provider.acknowledge(new NotificationRejected('bad')).status).toBe(400);
      expect(provider.acknowledge(new ProviderError('timeout', 'slow')).status).toBe(503);
      expect(
        provider.acknowledge({ eventId: 'e', type: 't', outcome: 'pending', providerRef: 'r', payload: {} })
          .status,
      ).toBe(200);
    });
  });

  describe('queryPayment', () => {
    it('pending before approval, VOIDED failed', async () => {
      const ctx = ctxOf();
      const { orderId } = await open(ctx);
      await expect(provider.queryPayment(ctx, ref(orderId))).resolves.toEqual({ status: 'pending' });
      fake.orders.get(orderId)!.status = 'VOIDED';
      await expect(provider.queryPayment(ctx, ref(orderId))).resolves.toEqual({ status: 'failed' });
    });
  });

  describe('refunds', () => {
    it('refunds the capture idempotently by refund id and finds a refund by its invoice_id', async () => {
      const ctx = ctxOf();
      const { orderId } = await open(ctx);
      fake.approve(orderId);
      await provider.queryPayment(ctx, ref(orderId));
      const captureId = fake.orders.get(orderId)!.captures[0].id;
      const refundId = randomUUID();
      const input = { refundId, amount: '10.00', currency: 'USD', reason: 'asked' };
      const first = await provider.refund(ctx, ref(orderId), input);
      expect(first).toMatchObject({ status: 'succeeded', providerRefundId: expect.any(String) });
      const [req] = fake.requestsTo('POST', `/v2/payments/captures/${captureId}/refund`);
      expect(req.headers['paypal-request-id']).toBe(refundId);
      expect(JSON.parse(req.body)).toEqual({
        amount: { value: '10.00', currency_code: 'USD' },
        invoice_id: refundId,
        note_to_payer: 'asked',
      });
      const again = await provider.refund(ctx, ref(orderId), input);
      expect(again.providerRefundId).toBe(first.providerRefundId);
      expect(fake.orders.get(orderId)!.refunds).toHaveLength(1);
      await expect(provider.queryRefund(ctx, ref(orderId), { refundId })).resolves.toMatchObject({
        status: 'succeeded',
        providerRefundId: first.providerRefundId,
      });
    });

    it('reports PENDING as pending until PayPal completes it', async () => {
      const ctx = ctxOf();
      const { orderId } = await open(ctx);
      fake.approve(orderId);
      await provider.queryPayment(ctx, ref(orderId));
      fake.refundStatus = 'PENDING';
      const r = await provider.refund(ctx, ref(orderId), {
        refundId: randomUUID(),
        amount: '49.99',
        currency: 'USD',
        reason: 'asked',
      });
      expect(r.status).toBe('pending');
      const q = { refundId: 'x', providerRefundId: r.providerRefundId };
      await expect(provider.queryRefund(ctx, ref(orderId), q)).resolves.toMatchObject({ status: 'pending' });
      fake.settleRefund(r.providerRefundId!, 'COMPLETED');
      await expect(provider.queryRefund(ctx, ref(orderId), q)).resolves.toMatchObject({
        status: 'succeeded',
      });
      fake.settleRefund(r.providerRefundId!, 'FAILED');
      await expect(provider.queryRefund(ctx, ref(orderId), q)).resolves.toMatchObject({ status: 'failed' });
    });

    it('refuses to refund an order without a capture', async () => {
      const ctx = ctxOf();
      const { orderId } = await open(ctx);
      await expect(
        provider.refund(ctx, ref(orderId), {
          refundId: randomUUID(),
          amount: '1.00',
          currency: 'USD',
          reason: 'x',
        }),
      ).rejects.toMatchObject({ kind: 'rejected', providerCode: 'NO_CAPTURE' });
    });
  });
});
