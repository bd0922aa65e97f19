import type { RunningPaymux } from '../src/bootstrap';
import type { PaymentProvider, ProviderContext } from '../src/payments/contract/payment-provider';
import { AlchemyProvider } from '../src/payments/providers/alchemy/alchemy.provider';
import { TokenPayProvider } from '../src/payments/providers/tokenpay/tokenpay.provider';
import { http, Merchant, newMerchant, startTestAppWithAdmin } from './helpers/app';

/**
 * Routing reads the tenant's priority and its provider accounts in one statement, uncached: the
 * credentials a provider gets are the tenant's own as they are now (a change or a disabling is seen by
 * the very next order), and one tenant's accounts never route another's orders.
 */
describe('routing reads the accounts as they are now', () => {
  let app: RunningPaymux;
  let a: Merchant;
  let b: Merchant;
  let tokenpay: PaymentProvider;
  let alchemy: PaymentProvider;

  const tokenpayAccount = (appId: string, enabled = true) => ({
    enabled,
    mode: 'test',
    credentials: { app_id: appId, mch_id: '1234567890', app_secret: '0123456789abcdef0123456789abcdef' },
  });
  const alchemyAccount = (appId: string) => ({
    enabled: true,
    mode: 'test',
    credentials: { app_id: appId, app_secret: 'al-secret-value-123456' },
  });

  beforeAll(async () => {
    ({ app } = await startTestAppWithAdmin());
    // Priced in USDT: no FX rate needed (the FX table is platform-wide, shared by the suites).
    a = await newMerchant(app, { price: 20, currency: 'USDT', amount: 100 });
    b = await newMerchant(app, { price: 20, currency: 'USDT', amount: 100 });
    tokenpay = app.app.get(TokenPayProvider);
    alchemy = app.app.get(AlchemyProvider);
    await http(app)
      .put('/api/v1/providers/tokenpay')
      .set(a.auth)
      .send(tokenpayAccount('tp-first'))
      .expect(200);
    await http(app).put('/api/v1/providers/alchemy').set(a.auth).send(alchemyAccount('al-a')).expect(200);
    await http(app).put('/api/v1/providers/alchemy').set(b.auth).send(alchemyAccount('al-b')).expect(200);
    for (const m of [a, b])
      await http(app)
        .put('/api/v1/routing')
        .set(m.auth)
        .send({ priority: ['tokenpay', 'alchemy'] })
        .expect(200);
  });
  afterAll(async () => {
    await app.close();
  });
  beforeEach(() => {
    for (const p of [tokenpay, alchemy]) {
      jest.spyOn(p, 'supports').mockImplementation((q) => q.currency === 'USDT' && q.network === 'TRON');
      const spy = jest.spyOn(p, 'createPayment').mockImplementation((_ctx, req) =>
        Promise.resolve({
          providerRef: `${p.id}_${req.paymentId}`,
          action: { kind: 'redirect' as const, url: `https://pay.example/${req.paymentId}` },
        }),
      );
      calls.set(p, spy);
    }
  });
  afterEach(() => jest.restoreAllMocks());

  const create = (m: Merchant) =>
    http(app).post('/api/v1/orders').set(m.auth).send({
      application_id: m.applicationId,
      package_id: m.packageId,
      pay_way: 'Crypto',
      pay_currency: 'USDT',
      chain: 'TRON',
    });
  const calls = new Map<PaymentProvider, jest.SpyInstance>();
  const contextOf = (p: PaymentProvider): ProviderContext =>
    calls.get(p)?.mock.calls[0][0] as ProviderContext;

  it('hands the provider the tenant’s current credentials, and sees a change at the next order', async () => {
    expect((await create(a).expect(201)).body.pay_way).toBe('TokenPay');
    expect(contextOf(tokenpay)).toMatchObject({ tenantId: a.tenantId, credentials: { app_id: 'tp-first' } });
    await http(app)
      .put('/api/v1/providers/tokenpay')
      .set(a.auth)
      .send(tokenpayAccount('tp-second'))
      .expect(200);
    calls.get(tokenpay)?.mockClear();
    expect((await create(a).expect(201)).body.pay_way).toBe('TokenPay');
    expect(contextOf(tokenpay)).toMatchObject({ credentials: { app_id: 'tp-second' } });
  });

  it('skips an account disabled a moment ago, and takes it again once enabled', async () => {
    await http(app)
      .put('/api/v1/providers/tokenpay')
      .set(a.auth)
      .send(tokenpayAccount('tp-second', false))
      .expect(200);
    expect((await create(a).expect(201)).body.pay_way).not.toBe('TokenPay');
    expect(calls.get(tokenpay)).not.toHaveBeenCalled();
    expect(contextOf(alchemy)).toMatchObject({ tenantId: a.tenantId, credentials: { app_id: 'al-a' } });
    await http(app)
      .put('/api/v1/providers/tokenpay')
      .set(a.auth)
      .send(tokenpayAccount('tp-second'))
      .expect(200);
    expect((await create(a).expect(201)).body.pay_way).toBe('TokenPay');
  });

  it('routes each tenant with its own accounts only', async () => {
    // b has no TokenPay account: its order goes to its own Alchemy Pay account, never a's.
    await create(b).expect(201);
    expect(calls.get(tokenpay)).not.toHaveBeenCalled();
    expect(contextOf(alchemy)).toMatchObject({ tenantId: b.tenantId, credentials: { app_id: 'al-b' } });
  });
});
