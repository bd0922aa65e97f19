import { createHash } from 'node:crypto';
import type { RunningPaymux } from '../src/bootstrap';
import { ReconciliationService } from '../src/payments/reconciliation/reconciliation.service';
import { AlchemyFake } from './fakes/alchemy/alchemy.fake';
import {
  db,
  http,
  Merchant,
  newMerchant,
  newOrder,
  startTestApp,
  orderStateOf,
  balanceOf,
  creditEntriesOf,
} from './helpers/app';
import { expectOneRefusal } from './helpers/webhook-refusal';

/**
 * Alchemy Pay against its fake over real HTTP on PostgreSQL: the exact signed order
 * request (digits-only merchantOrderNo, the payCurrency amount rules in both unit settings, tokens and
 * networks from the route or the account), SHA-512 signed callbacks (valid, replayed, forged,
 * tampered, delayed success, close, wrong amount), recovery through the query API, and every
 * documented error code.
 */
describe('Alchemy Pay', () => {
  const fake = new AlchemyFake();
  let app: RunningPaymux;
  let m: Merchant;
  const account = { appId: 'qmamnbodyqzbdr0w', appSecret: '6fdbaac29eb94bc6b36547ad705e9298' };
  const CREATE = '/open/api/payment';
  const QUERY = '/open/api/payment/query';

  const configure = async (who: Merchant, credentials: Record<string, string>): Promise<void> => {
    await http(app)
      .put('/api/v1/providers/alchemy')
      .set(who.auth)
      .send({ enabled: true, mode: 'test', credentials })
      .expect(200);
  };

  beforeAll(async () => {
    await fake.start();
    fake.addAccount(account.appId, account.appSecret);
    app = await startTestApp({
      PAYMUX_ALCHEMY_BASE_URL: fake.url,
      // Not 500 ms: a busy machine missed that on plain calls to the fake (502). Only hangs wait it out.
      PROVIDER_TIMEOUT_MS: '5000',
      RECONCILE_INTERVAL_MS: '0',
      RECONCILE_DELAY_SECONDS: '0',
      EXPIRY_SWEEP_INTERVAL_MS: '0',
    });
    m = await newMerchant(app);
    await configure(m, { app_id: account.appId, app_secret: account.appSecret, payment_tokens: 'usdt, eth' });
  });
  afterAll(async () => {
    await app.close();
    await fake.stop();
  });
  beforeEach(() => {
    fake.mode = 'ok';
    fake.amountUnit = 'decimal';
    delete process.env.PAYMUX_ALCHEMY_AMOUNT_UNIT;
  });
  afterAll(() => {
    delete process.env.PAYMUX_ALCHEMY_AMOUNT_UNIT;
  });

  const createOrder = (who: Merchant = m, extra: Record<string, unknown> = {}) =>
    http(app)
      .post('/api/v1/orders')
      .set(who.auth)
      .send({ application_id: who.applicationId, package_id: who.packageId, pay_way: 'Alchemy', ...extra });
  const newAlchemyOrder = async (who: Merchant = m): Promise<Record<string, unknown>> =>
    (await createOrder(who).expect(201)).body as Record<string, unknown>;
  const orderState = (id: unknown, who: Merchant = m): Promise<string> => orderStateOf(app, who, id);
  const balance = (who: Merchant = m): Promise<number> => balanceOf(app, who);
  const credits = (orderId: unknown): Promise<number> => creditEntriesOf(app, orderId);
  const paymentOf = async (orderId: unknown) =>
    (
      await db(app).query<
        { id: string; status: string; flag_reason: string | null; provider_ref: string; currency: string }[]
      >('SELECT id, status, flag_reason, provider_ref, currency FROM payments WHERE order_id = $1', [orderId])
    )[0];
  const eventsOf = async (paymentId: string): Promise<number> =>
    (
      await db(app).query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM provider_events WHERE provider = 'alchemy' AND payment_id = $1`,
        [paymentId],
      )
    )[0].n;
  const orderCount = async (who: Merchant): Promise<number> =>
    (
      await db(app).query<{ n: number }[]>('SELECT count(*)::int AS n FROM orders WHERE tenant_id = $1', [
        who.tenantId,
      ])
    )[0].n;
  /** The merchantOrderNo Alchemy must receive for a payment id: its 128 bits in decimal. */
  const digitsOf = (paymentId: string): string => BigInt(`0x${paymentId.replace(/-/g, '')}`).toString();
  /** Alchemy Pay's documented rule, written out by hand here: SHA-512 of the sorted Sign=Y pairs + &key=secret. */
  const sha512Upper = (text: string): string => createHash('sha512').update(text).digest('hex').toUpperCase();

  describe('creating a payment', () => {
    it('sends the documented fields exactly, signed with SHA-512 over the Sign=Y fields', async () => {
      const before = Date.now();
      const order = await newAlchemyOrder();
      const after = Date.now();
      const payment = await paymentOf(order.id);
      const req = fake.lastTo(CREATE);
      expect(req.method).toBe('POST');
      expect(req.headers['content-type']).toBe('application/json');
      const body = JSON.parse(req.body) as Record<string, string>;
      const merchantOrderNo = digitsOf(payment.id);
      expect(merchantOrderNo).toMatch(/^\d{1,64}$/);
      expect(body).toEqual({
        appId: account.appId,
        merchantOrderNo,
        orderAmount: '49.99',
        payCurrency: 'USD',
        userId: order.id,
        // No route: the account's payment_tokens, normalised.
        paymentTokens: 'USDT,ETH',
        orderModel: 'ORDER',
        expiredTime: expect.stringMatching(/^\d+$/),
        callbackURL: expect.stringMatching(new RegExp(`^http.+/api/v1/webhooks/alchemy/${m.tenantId}$`)),
        redirectURL: expect.stringMatching(new RegExp(`/checkout/${order.id as string}$`)),
        sign: expect.stringMatching(/^[0-9A-F]{128}$/),
      });
      expect(body.sign).toBe(
        sha512Upper(
          `appId=${account.appId}&merchantOrderNo=${merchantOrderNo}&orderAmount=49.99&payCurrency=USD` +
            `&paymentTokens=USDT,ETH&userId=${order.id as string}&key=${account.appSecret}`,
        ),
      );
      // expiredTime: what is left of the order's life (seconds) when the call was made.
      const left = (Date.parse(order.expires_at as string) - before) / 1000;
      expect(Number(body.expiredTime)).toBeLessThanOrEqual(Math.ceil(left));
      // ... however long the call took to be made on a busy machine.
      expect(Number(body.expiredTime)).toBeGreaterThanOrEqual(
        Math.floor((Date.parse(order.expires_at as string) - after) / 1000),
      );

      // pay_url is model.webUrl; model.orderNo is kept as the payment's reference (pay_id).
      const kept = fake.order(payment.provider_ref);
      expect(kept.merchantOrderNo).toBe(merchantOrderNo);
      expect(order).toMatchObject({
        pay_way: 'Alchemy',
        pay_id: kept.orderNo,
        pay_url: kept.webUrl,
        state: 'Pending',
        charge_currency: null,
      });
      expect(payment.currency).toBe('USD');
    });

    it('takes paymentTokens and paymentNetworks from the route, in Alchemy network names', async () => {
      await createOrder(m, { pay_currency: 'USDT', chain: 'TRC20' }).expect(201);
      expect(JSON.parse(fake.lastTo(CREATE).body)).toMatchObject({
        paymentTokens: 'USDT',
        paymentNetworks: 'TRX',
        payCurrency: 'USD',
        orderAmount: '49.99',
      });
      // Routing by token and chain picks Alchemy (the only provider this tenant has for it).
      const routed = await createOrder(m, { pay_way: 'Crypto', pay_currency: 'ETH', chain: 'BSC' }).expect(
        201,
      );
      expect(routed.body).toMatchObject({ pay_way: 'Alchemy', pay_currency: 'ETH', chain: 'BSC' });
      const body = JSON.parse(fake.lastTo(CREATE).body) as Record<string, string>;
      expect(body).toMatchObject({ paymentTokens: 'ETH', paymentNetworks: 'BSC' });
      expect(body.sign).toBe(
        sha512Upper(
          `appId=${account.appId}&merchantOrderNo=${body.merchantOrderNo}&orderAmount=49.99&payCurrency=USD` +
            `&paymentTokens=ETH&userId=${routed.body.id as string}&key=${account.appSecret}`,
        ),
      );
      // A pair outside Alchemy Pay's token table is refused before Alchemy is called.
      const calls = fake.requestsTo(CREATE).length;
      const res = await createOrder(m, { pay_currency: 'USDC', chain: 'BASE' }).expect(422);
      expect(res.body).toMatchObject({ code: 'route_unsupported' });
      expect(fake.requestsTo(CREATE)).toHaveLength(calls);
    });

    it('sends an IDR package as an integer amount', async () => {
      const idr = await newMerchant(app, { price: 150000, currency: 'IDR' });
      await configure(idr, { app_id: account.appId, app_secret: account.appSecret });
      const order = await newAlchemyOrder(idr);
      const body = JSON.parse(fake.lastTo(CREATE).body) as Record<string, string>;
      expect(body).toMatchObject({ orderAmount: '150000', payCurrency: 'IDR' });
      expect(body).not.toHaveProperty('paymentTokens');
      expect(order.state).toBe('Pending');
    });

    it('sends orderAmount in cents when PAYMUX_ALCHEMY_AMOUNT_UNIT=cent, and reads callbacks the same way', async () => {
      process.env.PAYMUX_ALCHEMY_AMOUNT_UNIT = 'cent';
      fake.amountUnit = 'cent';
      const before = await balance();
      const order = await newAlchemyOrder();
      const body = JSON.parse(fake.lastTo(CREATE).body) as Record<string, string>;
      expect(body.orderAmount).toBe('4999');
      expect(body.sign).toBe(
        sha512Upper(
          `appId=${account.appId}&merchantOrderNo=${body.merchantOrderNo}&orderAmount=4999&payCurrency=USD` +
            `&paymentTokens=USDT,ETH&userId=${order.id as string}&key=${account.appSecret}`,
        ),
      );
      // Alchemy echoes "4999": 49.99 USD, the amount charged.
      const { provider_ref } = await paymentOf(order.id);
      const res = await fake.send(fake.callbackFor(provider_ref, { status: 'COMPLETED' }));
      expect(res.status).toBe(200);
      expect(await orderState(order.id)).toBe('Finished');
      expect(await balance()).toBe(before + 500);
    });

    it('refuses an order currency Alchemy does not charge, without calling it', async () => {
      const cny = await newMerchant(app, { price: 10, currency: 'CNY' });
      await configure(cny, { app_id: account.appId, app_secret: account.appSecret });
      const calls = fake.requestsTo(CREATE).length;
      const res = await createOrder(cny).expect(422);
      expect(res.body).toMatchObject({
        code: 'provider_rejected',
        details: { provider_code: 'unsupported_currency' },
      });
      expect(fake.requestsTo(CREATE)).toHaveLength(calls);
      expect(await orderCount(cny)).toBe(0);
    });
  });

  describe('callbacks', () => {
    it('finishes the order and credits once on a valid callback; a replay changes nothing', async () => {
      const order = await newAlchemyOrder();
      const before = await balance();
      const { id, provider_ref } = await paymentOf(order.id);
      const cb = fake.callbackFor(provider_ref, { status: 'COMPLETED' });
      // The callback carries both numbers; some fields are empty (left out of the signature).
      expect(JSON.parse(cb.body)).toMatchObject({ merchantOrderNo: digitsOf(id), failReason: '' });
      const res = await fake.send(cb);
      expect(res).toEqual({
        status: 200,
        contentType: expect.stringMatching(/^text\/plain/),
        text: 'success',
      });
      expect(await orderState(order.id)).toBe('Finished');
      expect((await paymentOf(order.id)).status).toBe('succeeded');
      expect(await balance()).toBe(before + 500);
      expect(await credits(order.id)).toBe(1);

      const replay = await fake.send(cb);
      expect([replay.status, replay.text]).toEqual([200, 'success']);
      expect(await balance()).toBe(before + 500);
      expect(await credits(order.id)).toBe(1);
      expect(await eventsOf(id)).toBe(1);
    });

    it('credits a delayed success (paid after the order timed out at Alchemy)', async () => {
      const order = await newAlchemyOrder();
      const before = await balance();
      const { provider_ref } = await paymentOf(order.id);
      expect((await fake.send(fake.callbackFor(provider_ref, { status: 'TIMEOUT' }))).status).toBe(200);
      expect((await paymentOf(order.id)).status).toBe('expired');
      const res = await fake.send(fake.callbackFor(provider_ref, { status: 'DELAY_SUCCESS' }));
      expect(res.text).toBe('success');
      expect(await orderState(order.id)).toBe('Finished');
      expect(await balance()).toBe(before + 500);
      expect(await credits(order.id)).toBe(1);
    });

    it('expires the payment on CLOSE, fails it on FAILED, and leaves the order Pending', async () => {
      const closed = await newAlchemyOrder();
      const a = await paymentOf(closed.id);
      expect((await fake.send(fake.callbackFor(a.provider_ref, { status: 'CLOSE' }))).text).toBe('success');
      expect((await paymentOf(closed.id)).status).toBe('expired');
      expect(await orderState(closed.id)).toBe('Pending');

      const failed = await newAlchemyOrder();
      const b = await paymentOf(failed.id);
      expect((await fake.send(fake.callbackFor(b.provider_ref, { status: 'DELAY_FAILED' }))).text).toBe(
        'success',
      );
      expect((await paymentOf(failed.id)).status).toBe('failed');
      expect(await orderState(failed.id)).toBe('Pending');
      expect(await credits(closed.id)).toBe(0);
      expect(await credits(failed.id)).toBe(0);
    });

    it('rejects forged, tampered, foreign and malformed callbacks without any change', async () => {
      const order = await newAlchemyOrder();
      const before = await balance();
      const { id, provider_ref } = await paymentOf(order.id);
      const rejected = async (cb: { url: string; headers: Record<string, string>; body: string }) => {
        const res = await fake.send(cb);
        expect(res).toEqual({
          status: 400,
          contentType: expect.stringMatching(/^text\/plain/),
          text: 'fail',
        });
      };
      // Signed with another secret.
      await rejected(fake.callbackFor(provider_ref, { status: 'COMPLETED', signWith: 'not-the-app-secret' }));
      // The same reply for an unknown tenant or one without Alchemy Pay: nobody learns who uses it.
      expect(await expectOneRefusal(app, 'alchemy', m.tenantId)).toMatchObject({ status: 400, body: 'fail' });
      // A field changed after signing (the amount), or added after signing.
      await rejected(
        fake.callbackFor(provider_ref, { status: 'COMPLETED', after: { orderAmount: '4999.00' } }),
      );
      await rejected(
        fake.callbackFor(provider_ref, { status: 'COMPLETED', after: { orderStatus: 'COMPLETED', x: '1' } }),
      );
      // Validly signed with this secret but naming another app.
      await rejected(
        fake.callbackFor(provider_ref, { status: 'COMPLETED', fields: { appId: 'someoneelse' } }),
      );
      // No sign, a sign that is not SHA-512 hex, or not a JSON object.
      const cb = fake.callbackFor(provider_ref, { status: 'COMPLETED' });
      const { sign, ...unsigned } = JSON.parse(cb.body) as Record<string, string>;
      await rejected({ ...cb, body: JSON.stringify(unsigned) });
      await rejected({ ...cb, body: JSON.stringify({ ...unsigned, sign: sign.slice(0, 64) }) });
      await rejected({ ...cb, body: JSON.stringify([unsigned]) });

      expect(await orderState(order.id)).toBe('Pending');
      expect((await paymentOf(order.id)).status).toBe('pending');
      expect(await credits(order.id)).toBe(0);
      expect(await balance()).toBe(before);
      expect(await eventsOf(id)).toBe(0);
    });

    it('flags a validly signed success whose amount differs, and does not credit it', async () => {
      const order = await newAlchemyOrder();
      const { provider_ref } = await paymentOf(order.id);
      const res = await fake.send(
        fake.callbackFor(provider_ref, { status: 'COMPLETED', fields: { orderAmount: '1.99' } }),
      );
      expect(res.status).toBe(200);
      const payment = await paymentOf(order.id);
      expect(payment.flag_reason).toMatch(/amount mismatch: expected 49\.99, got 1\.99$/);
      expect(payment.status).toBe('pending');
      expect(await orderState(order.id)).toBe('Pending');
      expect(await credits(order.id)).toBe(0);
    });
  });

  it('recovers a lost callback through the query API (merchantOrderNo, signed)', async () => {
    const order = await newAlchemyOrder();
    const { id, provider_ref } = await paymentOf(order.id);
    const reconcile = () => app.app.get(ReconciliationService).runOnce({ tenantId: m.tenantId });
    // Not paid yet: the query answers PROCESSING and the payment stays pending.
    await reconcile();
    expect((await paymentOf(order.id)).status).toBe('pending');

    fake.setStatus(provider_ref, 'COMPLETED'); // paid, but the callback never arrives
    await db(app).query('UPDATE payments SET next_check_at = NULL WHERE id = $1', [id]);
    const queriesBefore = fake.requestsTo(QUERY).length;
    await reconcile();
    expect(await orderState(order.id)).toBe('Finished');
    expect(await credits(order.id)).toBe(1);
    const mine = fake
      .requestsTo(QUERY)
      .slice(queriesBefore)
      .map((q) => JSON.parse(q.body) as Record<string, string>)
      .find((q) => q.merchantOrderNo === digitsOf(id))!;
    expect(mine).toEqual({
      appId: account.appId,
      merchantOrderNo: digitsOf(id),
      sign: sha512Upper(`appId=${account.appId}&merchantOrderNo=${digitsOf(id)}&key=${account.appSecret}`),
    });
  });

  it('has no refund at Alchemy: a refund request is refused and changes nothing', async () => {
    const order = await newAlchemyOrder();
    const { provider_ref } = await paymentOf(order.id);
    await fake.send(fake.callbackFor(provider_ref, { status: 'COMPLETED' }));
    const before = await balance();
    const res = await http(app)
      .post(`/api/v1/orders/${order.id as string}/refunds`)
      .set(m.auth)
      .send({ reason: 'customer asked' })
      .expect(422);
    expect(res.body).toMatchObject({ code: 'refund_unsupported' });
    expect(await orderState(order.id)).toBe('Finished');
    expect(await balance()).toBe(before);
  });

  describe('provider failures', () => {
    it.each([
      ['code8000', 'provider_rejected', 'validation', 'Parameter validation error'],
      ['code8011', 'provider_rejected', 'duplicate_order', 'Repeat merchantOrderNo'],
      ['code8012', 'provider_credentials_rejected', 'ip_not_allowed', 'Illegal IP'],
      ['code8013', 'provider_rejected', 'unsupported_crypto', 'Unsupported Crypto'],
    ] as const)('maps %s to 422 %s (%s) and writes no order', async (mode, code, providerCode, msg) => {
      const before = await orderCount(m);
      fake.mode = mode;
      const res = await createOrder().expect(422);
      expect(res.body).toMatchObject({
        code,
        message: expect.stringContaining(msg),
        details: { provider_code: providerCode },
      });
      expect(await orderCount(m)).toBe(before);
    });

    it('maps a refused signature (8007) to 422 provider_credentials_rejected', async () => {
      const other = await newMerchant(app);
      await configure(other, { app_id: account.appId, app_secret: 'ffffffffffffffffffffffffffffffff' });
      const res = await createOrder(other).expect(422);
      expect(res.body).toMatchObject({
        code: 'provider_credentials_rejected',
        message: expect.stringContaining('sign error'),
        details: { provider_code: 'signature' },
      });
      expect(await orderCount(other)).toBe(0);
    });

    it('maps a token Alchemy does not take (8013 from its own check) to 422', async () => {
      const other = await newMerchant(app);
      await configure(other, {
        app_id: account.appId,
        app_secret: account.appSecret,
        payment_tokens: 'DOGE',
      });
      const res = await createOrder(other).expect(422);
      expect(res.body).toMatchObject({
        code: 'provider_rejected',
        details: { provider_code: 'unsupported_crypto' },
      });
      expect(await orderCount(other)).toBe(0);
    });

    it('answers 502 provider_unavailable on a 500 and 502 provider_timeout on a hang, writing no order', async () => {
      const before = await orderCount(m);
      fake.mode = 'fail500';
      const down = await createOrder().expect(502);
      expect(down.body).toMatchObject({
        code: 'provider_unavailable',
        message: expect.stringContaining('500'),
      });
      fake.mode = 'hang';
      const slow = await createOrder().expect(502);
      expect(slow.body).toMatchObject({ code: 'provider_timeout' });
      expect(await orderCount(m)).toBe(before);
      fake.mode = 'ok';
      await createOrder().expect(201);
      expect(await orderCount(m)).toBe(before + 1);
    });

    it('leaves an order Pending with no Alchemy payment row when paying it fails, and lets it be paid again', async () => {
      const order = await newOrder(app, m); // a Sandbox order, paid with Alchemy (order payment API)
      const rows = async () =>
        (
          await db(app).query<{ provider: string }[]>('SELECT provider FROM payments WHERE order_id = $1', [
            order.id,
          ])
        ).map((r) => r.provider);
      fake.mode = 'code8012';
      await http(app)
        .post('/api/order/payment')
        .set(m.auth)
        .send({ order_id: order.id, pay_way: 'alchemy' })
        .expect(422);
      expect(await rows()).toEqual(['sandbox']);
      expect(await orderState(order.id)).toBe('Pending');

      fake.mode = 'ok';
      const paid = await http(app)
        .post('/api/order/payment')
        .set(m.auth)
        .send({ order_id: order.id, pay_way: 'alchemy' })
        .expect(200);
      expect(paid.body.data).toEqual({
        pay_way: 'alchemy',
        jump_url: expect.stringMatching(/^https:\/\/crypto-payment\.alchemypay\.test\?orderNum=\d+$/),
      });
      expect((await rows()).sort()).toEqual(['alchemy', 'sandbox']);
    });
  });
});
