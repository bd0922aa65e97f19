import { createHmac, randomUUID } from 'node:crypto';
import type { RunningPaymux } from '../src/bootstrap';
import { PAYMENT_PROVIDERS, PaymentProvider } from '../src/payments/contract/payment-provider';
import { ProviderRegistry } from '../src/payments/provider-registry';
import { http, Merchant, newMerchant, newOrder, startTestApp } from './helpers/app';
import { expectOneRefusal, postCallback } from './helpers/webhook-refusal';

/**
 * Provider callbacks tell a stranger nothing about a tenant's providers (one reply for an unknown
 * tenant, a provider not enabled and a failed signature), and are rate-limited per tenant and provider
 * before anything is verified (WEBHOOK_RATE_LIMIT), so they cannot drive calls out with a tenant's
 * credentials (PayPal's OAuth).
 */
describe('provider callbacks: refusals and rate limit', () => {
  let app: RunningPaymux;
  let m: Merchant;
  const LIMIT = 5;

  beforeAll(async () => {
    app = await startTestApp({ WEBHOOK_RATE_LIMIT: String(LIMIT) });
    m = await newMerchant(app);
  });
  afterAll(() => app.close());

  it('answers a bad signature, an unknown tenant and a provider not enabled alike, for every provider', async () => {
    const sandbox = await expectOneRefusal(app, 'sandbox', m.tenantId);
    expect(sandbox).toEqual({
      status: 400,
      contentType: 'application/json; charset=utf-8',
      body: JSON.stringify({ received: false, error: 'notification rejected' }),
    });
    // No tenant here has enabled the others: an unknown tenant and this one must look the same.
    const expected: Record<string, [number, string]> = {
      stripe: [400, JSON.stringify({ received: false, error: 'notification rejected' })],
      paypal: [400, JSON.stringify({ received: false, error: 'notification rejected' })],
      alipay: [400, 'fail'],
      wechat: [401, JSON.stringify({ code: 'FAIL', message: 'notification rejected' })],
      alchemy: [400, 'fail'],
      tokenpay: [400, JSON.stringify({ code: 'FAIL', message: 'notification rejected' })],
      x402: [400, JSON.stringify({ received: false, error: 'notification rejected' })],
    };
    for (const [provider, [status, body]] of Object.entries(expected)) {
      const mine = await postCallback(app, provider, m.tenantId);
      expect([provider, mine.status, mine.body]).toEqual([provider, status, body]);
      expect([provider, await postCallback(app, provider, randomUUID())]).toEqual([provider, mine]);
      expect([provider, await postCallback(app, provider, 'x')]).toEqual([provider, mine]);
    }
    // Every provider is in the table (the list of providers is public: an unknown name is a 404).
    const providers = app.app.get<symbol, PaymentProvider[]>(PAYMENT_PROVIDERS);
    expect(new Set(providers.map((p) => p.id))).toEqual(new Set(['sandbox', ...Object.keys(expected)]));
    const unknown = await postCallback(app, 'nosuchpay', m.tenantId);
    expect([unknown.status, JSON.parse(unknown.body)]).toEqual([
      404,
      { code: 'webhook_not_found', message: 'no such webhook endpoint' },
    ]);
  });

  it('answers 429 with Retry-After past WEBHOOK_RATE_LIMIT a minute per tenant and provider, and not before', async () => {
    const t = await newMerchant(app);
    const registry = app.app.get(ProviderRegistry);
    const order = await newOrder(app, t);
    const now = Math.floor(Date.now() / 1000);
    const genuine = JSON.stringify({
      id: `evt_${randomUUID()}`,
      type: 'payment.succeeded',
      pay_id: order.pay_id,
      amount: '49.99',
      currency: 'USD',
      created: now,
    });
    const signature = `t=${now},v1=${createHmac('sha256', registry.sandboxSecret(t.tenantId)).update(`${now}.${genuine}`).digest('hex')}`;
    // LIMIT - 1 forged callbacks, then the provider's genuine one: all inside the limit, all answered.
    for (let i = 0; i < LIMIT - 1; i++)
      expect((await postCallback(app, 'sandbox', t.tenantId)).status).toBe(400);
    const ok = await http(app)
      .post(`/api/v1/webhooks/sandbox/${t.tenantId}`)
      .set('content-type', 'application/json')
      .set('paymux-sandbox-signature', signature)
      .send(genuine);
    expect(ok.status).toBe(200);
    // Over the limit: 429, Retry-After, nothing verified (the genuine one is refused too).
    const over = await http(app)
      .post(`/api/v1/webhooks/sandbox/${t.tenantId}`)
      .set('content-type', 'application/json')
      .set('paymux-sandbox-signature', signature)
      .send(genuine);
    expect(over.status).toBe(429);
    expect(over.body).toEqual({ code: 'rate_limited', message: 'too many callbacks; slow down' });
    const retryAfter = Number(over.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // The Sandbox's own completion route hands its event over in-process (it calls nobody): not counted.
    const second = await newOrder(app, t);
    const completed = await http(app)
      .post(`/api/v1/sandbox/payments/${second.pay_id as string}/complete`)
      .send({ outcome: 'succeeded' })
      .expect(200);
    expect(completed.body).toMatchObject({ delivered: true, result: 'applied' });
    // Counted per tenant and provider: another provider of this tenant, and another tenant, go on.
    expect((await postCallback(app, 'stripe', t.tenantId)).status).toBe(400);
    expect((await postCallback(app, 'sandbox', m.tenantId)).status).toBe(400);
    // An unknown tenant id is counted like a known one (the limit says nothing about existence).
    const stranger = randomUUID();
    for (let i = 0; i < LIMIT; i++) expect((await postCallback(app, 'sandbox', stranger)).status).toBe(400);
    expect((await postCallback(app, 'sandbox', stranger)).status).toBe(429);
  });

  it('counts a return link that makes the adapter call the provider (PayPal) against the same limit', async () => {
    const tenantId = randomUUID();
    const registry = app.app.get(ProviderRegistry);
    const paypal = app.app
      .get<symbol, PaymentProvider[]>(PAYMENT_PROVIDERS)
      .find((p) => p.id === 'paypal') as PaymentProvider;
    // A tenant with PayPal enabled, without a real PayPal: the adapter's call out is what is counted.
    const ctx = await registry.contextFor(m.tenantId, 'sandbox');
    const contextFor = jest.spyOn(registry, 'contextFor').mockResolvedValue(ctx);
    const handleReturn = jest.spyOn(paypal, 'handleReturn').mockResolvedValue(null);
    try {
      const answers: number[] = [];
      for (let i = 0; i < LIMIT + 3; i++)
        answers.push((await http(app).get(`/api/v1/return/paypal/${tenantId}`).query({ token: 'X' })).status);
      // The payer is answered the same every time; PayPal is asked only LIMIT times.
      expect(answers).toEqual(Array<number>(LIMIT + 3).fill(404));
      expect(handleReturn).toHaveBeenCalledTimes(LIMIT);
      // And the callbacks of that tenant and provider are over the limit too.
      expect((await postCallback(app, 'paypal', tenantId)).status).toBe(429);
    } finally {
      contextFor.mockRestore();
      handleReturn.mockRestore();
    }
  });
});
