import type { RunningPaymux } from '../src/bootstrap';
import { http, newMerchant, startTestApp } from './helpers/app';

/** GET /api/v1/providers/catalog: what the console builds its provider-account forms from. */
describe('provider catalog API', () => {
  let app: RunningPaymux;

  beforeAll(async () => {
    app = await startTestApp();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('lists the providers that take an account with their credential fields, to any signed-in role', async () => {
    const m = await newMerchant(app);
    const res = await http(app).get('/api/v1/providers/catalog').set(m.auth).expect(200);
    const ids = (res.body.data as { provider: string }[]).map((p) => p.provider);
    expect(ids).toEqual(expect.arrayContaining(['stripe', 'wechat', 'tokenpay', 'x402']));
    expect(ids).not.toContain('sandbox');
    expect(res.body.data).toContainEqual({
      provider: 'tokenpay',
      display_name: 'TokenPay',
      pay_ways: expect.any(Array),
      fields: expect.arrayContaining([
        { name: 'app_secret', required: true, secret: true, kind: 'aes256_key', description: '32-byte key' },
      ]),
    });
  });

  it('needs a signed-in caller', async () => {
    const res = await http(app).get('/api/v1/providers/catalog').expect(401);
    expect(res.body.code).toBeDefined();
  });
});
