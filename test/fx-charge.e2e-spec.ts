import type { RunningPaymux } from '../src/bootstrap';
import { SandboxProvider } from '../src/payments/providers/sandbox/sandbox.provider';
import { db, http, Merchant, newMerchant, startTestAppWithAdmin } from './helpers/app';

/**
 * Paying in another currency than the package's (what WeChat Pay and Alipay do with CNY), on the
 * Sandbox told to charge EUR: the FX table's rate converts exactly, the rate and the charged amount
 * are stored on the payment and shown on the order and the checkout; a missing or stale rate is a
 * 422 and nothing is written.
 */
describe('charging in the provider currency (FX)', () => {
  let app: RunningPaymux;
  let admin: { authorization: string };
  let m: Merchant;
  // A pair no other suite touches: the FX table is platform-wide.
  const base = 'JPY';
  const quote = 'EUR';

  beforeAll(async () => {
    ({ app, admin } = await startTestAppWithAdmin());
    m = await newMerchant(app, { price: 5001, currency: base, amount: 100 });
    const sandbox: { chargeCurrency?: () => string } = app.app.get(SandboxProvider);
    sandbox.chargeCurrency = () => quote;
  });
  afterAll(async () => {
    const sandbox: { chargeCurrency?: () => string } = app.app.get(SandboxProvider);
    delete sandbox.chargeCurrency;
    await db(app).query('DELETE FROM fx_rates WHERE base = $1 AND quote = $2', [base, quote]);
    await app.close();
  });

  const create = () =>
    http(app)
      .post('/api/v1/orders')
      .set(m.auth)
      .send({ application_id: m.applicationId, package_id: m.packageId, pay_way: 'Sandbox' });
  const orderCount = async (): Promise<number> =>
    (
      await db(app).query<{ n: number }[]>('SELECT count(*)::int AS n FROM orders WHERE tenant_id = $1', [
        m.tenantId,
      ])
    )[0].n;

  it('refuses with 422 fx_rate_missing, writing nothing, when the table has no rate', async () => {
    const res = await create().expect(422);
    expect(res.body).toMatchObject({ code: 'fx_rate_missing', details: { base, quote } });
    expect(await orderCount()).toBe(0);
  });

  it('converts exactly, half up to the charge currency, and shows the charge on the order and checkout', async () => {
    await http(app)
      .put(`/api/v1/admin/fx-rates/${base}/${quote}`)
      .set(admin)
      .send({ rate: '0.0061' })
      .expect(200);
    const res = await create().expect(201);
    // 5001 JPY * 0.0061 = 30.5061 EUR -> 30.51
    expect(res.body).toMatchObject({
      price: 5001,
      currency: base,
      charge_amount: 30.51,
      charge_currency: quote,
      fx_rate: 0.0061,
    });
    const [payment] = await db(app).query<{ amount: string; currency: string; fx_rate: string }[]>(
      'SELECT amount::text, currency, fx_rate::text FROM payments WHERE order_id = $1',
      [res.body.id],
    );
    expect(payment).toEqual({
      amount: '30.510000000000000000',
      currency: quote,
      fx_rate: '0.006100000000000000',
    });
    const page = await http(app)
      .get(`/checkout/${res.body.id as string}`)
      .expect(200);
    expect(page.text).toContain('Charged as 30.51 EUR (1 JPY = 0.0061 EUR)');

    // The confirmation must carry the charged amount and currency: the order's own is a mismatch.
    const wrong = await http(app)
      .post(`/api/v1/sandbox/payments/${res.body.pay_id as string}/complete`)
      .send({ outcome: 'succeeded', amount: '5001', currency: base });
    expect(wrong.status).toBeLessThan(500);
    const [flagged] = await db(app).query<{ status: string; flag_reason: string }[]>(
      'SELECT status, flag_reason FROM payments WHERE order_id = $1',
      [res.body.id],
    );
    expect(flagged.status).toBe('pending');
    expect(flagged.flag_reason).toMatch(/mismatch/);
  });

  it('refuses a rate older than FX_RATE_MAX_AGE_SECONDS with 422 fx_rate_stale', async () => {
    await db(app).query(
      `UPDATE fx_rates SET updated_at = now() - interval '2 days' WHERE base = $1 AND quote = $2`,
      [base, quote],
    );
    const before = await orderCount();
    const res = await create().expect(422);
    expect(res.body.code).toBe('fx_rate_stale');
    expect(await orderCount()).toBe(before);
  });
});
