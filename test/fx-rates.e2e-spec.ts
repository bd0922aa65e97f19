import type { RunningPaymux } from '../src/bootstrap';
import { FxService } from '../src/fx/fx.service';
import { Money } from '../src/common/money';
import { db, http, Merchant, newMerchant, startTestAppWithAdmin } from './helpers/app';

/** The admin-managed FX table: platform admins only, audited, and never guessed. */
describe('FX rates', () => {
  let app: RunningPaymux;
  let admin: { authorization: string };
  let merchant: Merchant;
  // A pair no other suite touches: the table is platform-wide.
  const base = 'HKD';
  const quote = 'THB';

  beforeAll(async () => {
    ({ app, admin } = await startTestAppWithAdmin());
    merchant = await newMerchant(app);
  });
  afterAll(() => app.close());

  it('lets only a platform admin set a rate', async () => {
    const denied = await http(app)
      .put(`/api/v1/admin/fx-rates/${base}/${quote}`)
      .set(merchant.auth)
      .send({ rate: '4.5' })
      .expect(403);
    expect(denied.body.code).toBe('forbidden');
    await http(app).put(`/api/v1/admin/fx-rates/${base}/${quote}`).send({ rate: '4.5' }).expect(401);
  });

  it('sets and lists a rate exactly, and audits every change with its old and new value', async () => {
    await http(app)
      .put(`/api/v1/admin/fx-rates/${base}/${quote}`)
      .set(admin)
      .send({ rate: '4.123456789012345678' })
      .expect(200);
    const res = await http(app)
      .put(`/api/v1/admin/fx-rates/${base.toLowerCase()}/${quote}`)
      .set(admin)
      .send({ rate: 4.5 })
      .expect(200);
    expect(res.body).toMatchObject({ base, quote, rate: '4.5' });
    const list = await http(app).get('/api/v1/admin/fx-rates').set(admin).expect(200);
    expect(list.body.data).toContainEqual(expect.objectContaining({ base, quote, rate: '4.5' }));
    const audit = await db(app).query<{ action: string; data: { from: string | null; to: string } }[]>(
      `SELECT action, data FROM audit_log WHERE target = $1 ORDER BY id DESC LIMIT 2`,
      [`fx_rate:${base}/${quote}`],
    );
    expect(audit[0]).toEqual({ action: 'fx_rate.set', data: { from: '4.123456789012345678', to: '4.5' } });
    expect(audit[1].data.to).toBe('4.123456789012345678');
  });

  it('refuses bad pairs and bad rates with a 400 naming the field', async () => {
    const cases: [string, string, unknown, string, string][] = [
      ['XXX', quote, '1', 'invalid_currency', 'base'],
      [base, base, '1', 'invalid_currency', 'quote'],
      [base, quote, '-1', 'invalid_rate', 'rate'],
      [base, quote, 0, 'invalid_rate', 'rate'],
      [base, quote, '0.0000000000000000001', 'invalid_rate', 'rate'],
    ];
    for (const [b, q, rate, code, field] of cases) {
      const res = await http(app)
        .put(`/api/v1/admin/fx-rates/${b}/${q}`)
        .set(admin)
        .send({ rate })
        .expect(400);
      expect(res.body).toMatchObject({ code, details: { field } });
    }
    const bad = await http(app)
      .put(`/api/v1/admin/fx-rates/${base}/${quote}`)
      .set(admin)
      .send({ rate: 'abc' })
      .expect(400);
    expect(bad.body.code).toBe('validation_failed');
  });

  it('converts exactly, rounding half up to the target scale, and refuses missing or stale rates', async () => {
    const fx = app.app.get(FxService);
    await http(app).put('/api/v1/admin/fx-rates/USD/JPY').set(admin).send({ rate: '151.235' }).expect(200);
    const yen = await fx.convert(new Money('49.99'), 'USD', 'JPY');
    expect(yen.amount.toFixed()).toBe('7560'); // 7560.23765 -> 7560 (JPY has no decimals)
    expect(yen.rate.toFixed()).toBe('151.235');
    const same = await fx.convert(new Money('10.00'), 'USD', 'USD');
    expect(same.rate.toFixed()).toBe('1');

    await expect(fx.convert(new Money(1), 'BTC', 'VND')).rejects.toMatchObject({
      code: 'fx_rate_missing',
      status: 422,
    });
    await db(app).query(
      `UPDATE fx_rates SET updated_at = now() - interval '2 days' WHERE base = $1 AND quote = $2`,
      [base, quote],
    );
    await expect(fx.convert(new Money(1), base, quote)).rejects.toMatchObject({
      code: 'fx_rate_stale',
      status: 422,
    });
  });
});
