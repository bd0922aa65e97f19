import type { RunningPaymux } from '../src/bootstrap';
import { db, http, Merchant, newMerchant, startTestApp } from './helpers/app';

/**
 * Adding a provider is one folder and one line: the fixture provider in test/fixtures/acme-provider
 * is appended to the list below (the line a real provider adds to src/payments/providers/index.ts),
 * and the app started on it takes it into its pay ways, settings, credential validation and routing.
 */
jest.mock('../src/payments/providers', () => {
  const actual = jest.requireActual<typeof import('../src/payments/providers')>('../src/payments/providers');
  const { acmeDefinition } = jest.requireActual<typeof import('./fixtures/acme-provider/acme.definition')>(
    './fixtures/acme-provider/acme.definition',
  );
  return {
    ...actual,
    PROVIDERS: [...actual.PROVIDERS, acmeDefinition],
    PROVIDER_IDS: [...actual.PROVIDER_IDS, 'acme'],
  };
});

describe('a provider added by one folder and one line (test/fixtures/acme-provider)', () => {
  let app: RunningPaymux;
  let m: Merchant;
  const base = 'http://127.0.0.1:9/acme';

  beforeAll(async () => {
    app = await startTestApp({ PAYMUX_ACME_BASE_URL: `${base}/` });
    m = await newMerchant(app, { price: 20, currency: 'EUR' });
  });
  afterAll(() => app.close());

  it('has its PAYMUX_ACME_BASE_URL setting checked at start', async () => {
    await expect(startTestApp({ PAYMUX_ACME_BASE_URL: 'ftp://acme.example' })).rejects.toThrow(
      /PAYMUX_ACME_BASE_URL="ftp:\/\/acme.example\/?": PAYMUX_ACME_BASE_URL must be an http:\/\/ or https:\/\/ URL/,
    );
  });

  it('checks a provider account by its credential schema: 400 naming the field, then stored masked', async () => {
    const refusals: [Record<string, string>, string][] = [
      [{ merchant_no: 'M-1', api_key: 'k_live_1', settle_to: '0x123' }, 'credentials.settle_to'],
      [{ merchant_no: 'M-1' }, 'credentials.api_key'],
    ];
    for (const [credentials, field] of refusals) {
      const res = await http(app).put('/api/v1/providers/acme').set(m.auth).send({ credentials }).expect(400);
      expect(res.body).toMatchObject({ code: 'invalid_provider_credentials', details: { field } });
    }
    const good = await http(app)
      .put('/api/v1/providers/acme')
      .set(m.auth)
      .send({ credentials: { merchant_no: 'M-1', api_key: 'k_live_1' } })
      .expect(200);
    expect(good.body).toMatchObject({
      provider: 'acme',
      credentials: { merchant_no: 'M-1', api_key: '••••' },
    });
  });

  it('opens an order with pay_way acme (any case) at its base URL', async () => {
    const res = await http(app)
      .post('/api/v1/orders/')
      .set(m.auth)
      .send({ application_id: m.applicationId, package_id: m.packageId, pay_way: 'ACME' })
      .expect(201);
    expect(res.body).toMatchObject({ pay_way: 'AcmePay', price: 20, currency: 'EUR' });
    expect(res.body.pay_url).toMatch(new RegExp(`^${base}/pay/[0-9a-f-]+\\?merchant=M-1$`));
  });

  it('is in the routing list: a default choice after the ranked ones, and accepted in a priority', async () => {
    const routing = await http(app).get('/api/v1/routing').set(m.auth).expect(200);
    expect(routing.body.priority).toEqual(['tokenpay', 'alchemy', 'x402', 'sandbox', 'acme']);
    // No other provider account and the Sandbox does not take USDT: routing falls to acme.
    const routed = await http(app)
      .post('/api/v1/orders/')
      .set(m.auth)
      .send({
        application_id: m.applicationId,
        package_id: m.packageId,
        pay_way: 'Crypto',
        pay_currency: 'USDT',
        chain: 'TRON',
      })
      .expect(201);
    expect(routed.body).toMatchObject({ pay_way: 'AcmePay' });
    const rows = await db(app).query<{ provider: string }[]>(
      'SELECT provider FROM payments WHERE order_id = $1',
      [routed.body.id],
    );
    expect(rows.map((r) => r.provider)).toEqual(['acme']);
    await http(app)
      .put('/api/v1/routing')
      .set(m.auth)
      .send({ priority: ['acme', 'sandbox'] })
      .expect(200);
  });
});
