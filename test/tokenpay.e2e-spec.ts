import { createDecipheriv, randomUUID } from 'node:crypto';
import type { RunningPaymux } from '../src/bootstrap';
import { OrderExpirySweeper } from '../src/payments/reconciliation/order-expiry.sweeper';
import { ProviderRegistry } from '../src/payments/provider-registry';
import { TokenPayProvider } from '../src/payments/providers/tokenpay/tokenpay.provider';
import { ReconciliationService } from '../src/payments/reconciliation/reconciliation.service';
import { TokenPayFake } from './fakes/tokenpay/tokenpay.fake';
import {
  db,
  http,
  Merchant,
  newMerchant,
  newOrder,
  startTestAppWithAdmin,
  orderStateOf,
  balanceOf,
  creditEntriesOf,
} from './helpers/app';
import { expectOneRefusal } from './helpers/webhook-refusal';

/**
 * TokenPay against its fake over real HTTP on PostgreSQL: the exact signed prepayment
 * request, pay_url resolution, AES-signed and AES-GCM-encrypted callbacks (valid, replayed, forged,
 * stale, tampered, wrong amount), recovery through query, closing on expiry, and provider failures.
 * The FX pair USD/USDT belongs to this suite only.
 */
describe('TokenPay', () => {
  const fake = new TokenPayFake();
  let app: RunningPaymux;
  let admin: { authorization: string };
  let m: Merchant;
  const account = {
    appId: 'tp-app-main',
    mchId: '1234567890',
    appSecret: '0123456789abcdef0123456789abcdef',
  };

  const configure = async (who: Merchant, credentials: Record<string, string>): Promise<void> => {
    await http(app)
      .put('/api/v1/providers/tokenpay')
      .set(who.auth)
      .send({ enabled: true, mode: 'test', credentials })
      .expect(200);
  };
  const credsOf = (a: typeof account): Record<string, string> => ({
    app_id: a.appId,
    mch_id: a.mchId,
    app_secret: a.appSecret,
  });

  beforeAll(async () => {
    await fake.start();
    fake.addAccount(account);
    ({ app, admin } = await startTestAppWithAdmin({
      PAYMUX_TOKENPAY_BASE_URL: fake.url,
      // Not 500 ms: a busy machine missed that on plain calls to the fake (502). Only hangs wait it out.
      PROVIDER_TIMEOUT_MS: '5000',
      RECONCILE_INTERVAL_MS: '0',
      RECONCILE_DELAY_SECONDS: '0',
      EXPIRY_SWEEP_INTERVAL_MS: '0',
    }));
    await http(app).put('/api/v1/admin/fx-rates/USD/USDT').set(admin).send({ rate: '1.0' }).expect(200);
    m = await newMerchant(app);
    await configure(m, credsOf(account));
  });
  afterAll(async () => {
    await db(app).query(`DELETE FROM fx_rates WHERE base = 'USD' AND quote = 'USDT'`);
    await app.close();
    await fake.stop();
  });
  beforeEach(() => {
    fake.mode = 'ok';
    fake.paymentUrlStyle = 'relative';
  });

  const createOrder = (who: Merchant = m, extra: Record<string, unknown> = {}) =>
    http(app)
      .post('/api/v1/orders')
      .set(who.auth)
      .send({ application_id: who.applicationId, package_id: who.packageId, pay_way: 'TokenPay', ...extra });
  const newTokenPayOrder = async (who: Merchant = m): Promise<Record<string, unknown>> =>
    (await createOrder(who).expect(201)).body as Record<string, unknown>;
  const orderState = (id: unknown, who: Merchant = m): Promise<string> => orderStateOf(app, who, id);
  const balance = (who: Merchant = m): Promise<number> => balanceOf(app, who);
  const credits = (orderId: unknown): Promise<number> => creditEntriesOf(app, orderId);
  const paymentOf = async (orderId: unknown) =>
    (
      await db(app).query<{ id: string; status: string; flag_reason: string | null; amount: string }[]>(
        'SELECT id, status, flag_reason, amount::text FROM payments WHERE order_id = $1',
        [orderId],
      )
    )[0];
  const orderCount = async (who: Merchant): Promise<number> =>
    (
      await db(app).query<{ n: number }[]>('SELECT count(*)::int AS n FROM orders WHERE tenant_id = $1', [
        who.tenantId,
      ])
    )[0].n;
  const lastPrepayment = () => {
    const all = fake.requestsTo('/v1/transaction/prepayment');
    return all[all.length - 1];
  };
  /** The Authorization header's fields, and its signature decrypted with the app secret (independently). */
  const openAuthorization = (header: string, secret: string) => {
    expect(header.startsWith('TTPAY-AES-256-ECB ')).toBe(true);
    const fields = Object.fromEntries(
      header
        .slice('TTPAY-AES-256-ECB '.length)
        .split(',')
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
    const d = createDecipheriv('aes-256-ecb', Buffer.from(secret, 'utf8'), null);
    const plaintext = Buffer.concat([d.update(Buffer.from(fields.signature, 'base64')), d.final()]).toString(
      'utf8',
    );
    return { fields, plaintext };
  };

  describe('creating a payment', () => {
    it('sends the documented fields, atomic amount and defaults TRON/USDT, signed with AES-256-ECB', async () => {
      const before = Date.now();
      const order = await newTokenPayOrder();
      const after = Date.now();
      const payment = await paymentOf(order.id);
      const req = lastPrepayment();
      expect(req.method).toBe('POST');
      expect(req.headers['content-type']).toBe('application/json');
      const body = JSON.parse(req.body);
      // 49.99 USD at 1.0 -> 49.990000 USDT -> 49990000 atomic units (USDT on TRON has 6 decimals).
      expect(body).toEqual({
        app_id: account.appId,
        mch_id: account.mchId,
        description: `Order ${order.id as string}`,
        out_trade_no: payment.id,
        expire_second: expect.any(Number),
        amount: 49990000,
        chain: 'TRON',
        currency: 'USDT',
        attach: payment.id,
        notify_url: expect.stringMatching(new RegExp(`^http.+/api/v1/webhooks/tokenpay/${m.tenantId}$`)),
        return_url: expect.stringMatching(new RegExp(`/checkout/${order.id as string}$`)),
        order_type: 'platform_order',
      });
      expect(req.body).toContain('"amount":49990000,');
      expect(body).not.toHaveProperty('to_address');
      // expire_second is what is left of the order's life (ORDER_TTL_SECONDS 1800) when the call is made.
      const left = (Date.parse(order.expires_at as string) - before) / 1000;
      expect(body.expire_second).toBeLessThanOrEqual(Math.ceil(left));
      // ... however long the call took to be made on a busy machine.
      expect(body.expire_second).toBeGreaterThanOrEqual(
        Math.floor((Date.parse(order.expires_at as string) - after) / 1000),
      );

      const { fields, plaintext } = openAuthorization(req.headers.authorization as string, account.appSecret);
      expect(fields).toEqual({
        app_id: account.appId,
        mch_id: account.mchId,
        nonce_str: expect.stringMatching(/^[0-9a-f]{32}$/),
        timestamp: expect.stringMatching(/^\d{13}$/),
        signature: expect.any(String),
      });
      expect(Number(fields.timestamp)).toBeGreaterThanOrEqual(before);
      expect(Number(fields.timestamp)).toBeLessThanOrEqual(after);
      expect(plaintext).toBe(
        `/v1/transaction/prepayment\n${fields.timestamp}\n${fields.nonce_str}\n${req.body}`,
      );

      // The relative payment_url is resolved against the API base; the payment is ours, in USDT.
      const t = fake.byOutTradeNo(payment.id)!;
      expect(order).toMatchObject({
        pay_way: 'TokenPay',
        pay_id: payment.id,
        pay_url: `${fake.url}/pay/order?prepay_id=${t.prepay_id}`,
        charge_amount: 49.99,
        charge_currency: 'USDT',
        fx_rate: 1,
        state: 'Pending',
      });
      expect(payment.amount).toBe('49.990000000000000000');
    });

    it('keeps an absolute payment_url as it is', async () => {
      fake.paymentUrlStyle = 'absolute';
      const order = await newTokenPayOrder();
      const t = fake.byOutTradeNo((await paymentOf(order.id)).id)!;
      expect(order.pay_url).toBe(`https://cashier.tokenpay.test/pay/order?prepay_id=${t.prepay_id}`);
    });

    it('uses the account chain and to_address, and the route when one is asked for', async () => {
      const other = await newMerchant(app);
      const acct = {
        appId: 'tp-app-bsc',
        mchId: '2222222222',
        appSecret: 'abcdefghijklmnopqrstuvwxyz012345',
      };
      fake.addAccount(acct);
      const toAddress = 'TQjxEW2Z3p9wjo1111111gJUrWXBun91w';
      await configure(other, { ...credsOf(acct), to_address: toAddress, chain: 'BSC' });

      await newTokenPayOrder(other);
      let req = lastPrepayment();
      let body = JSON.parse(req.body);
      expect(body).toMatchObject({
        app_id: acct.appId,
        chain: 'BSC',
        currency: 'USDT',
        to_address: toAddress,
      });
      // USDT is an 18-decimal token on BSC; the exact integer is written, not a float.
      expect(req.body).toContain('"amount":49990000000000000000,');
      expect(openAuthorization(req.headers.authorization as string, acct.appSecret).plaintext).toContain(
        req.body,
      );

      // A route wins over the account's defaults (paymux ETH is TokenPay's ETHEREUM).
      const routed = await createOrder(other, { pay_currency: 'usdt', chain: 'erc20' }).expect(201);
      body = JSON.parse(lastPrepayment().body);
      expect(body).toMatchObject({
        chain: 'ETHEREUM',
        currency: 'USDT',
        amount: 49990000,
        to_address: toAddress,
      });
      expect(routed.body).toMatchObject({ pay_currency: 'USDT', chain: 'ETH', charge_currency: 'USDT' });

      // Routing by token and chain picks TokenPay for USDT on TRON.
      const crypto = await createOrder(other, {
        pay_way: 'Crypto',
        pay_currency: 'USDT',
        chain: 'TRC20',
      }).expect(201);
      expect(crypto.body.pay_way).toBe('TokenPay');
      req = lastPrepayment();
      expect(JSON.parse(req.body)).toMatchObject({ chain: 'TRON', currency: 'USDT', amount: 49990000 });
    });
  });

  describe('callbacks', () => {
    it('finishes the order and credits once on a valid callback; a replay changes nothing', async () => {
      const order = await newTokenPayOrder();
      const before = await balance();
      const { id } = await paymentOf(order.id);
      fake.markPaid(id);
      const cb = fake.callbackFor(id);
      const res = await fake.send(cb);
      expect(res).toEqual({
        status: 200,
        contentType: expect.stringMatching(/^text\/plain/),
        text: 'success',
      });
      expect(await orderState(order.id)).toBe('Finished');
      expect(await balance()).toBe(before + 500);
      expect(await credits(order.id)).toBe(1);
      expect((await paymentOf(order.id)).status).toBe('succeeded');

      const replay = await fake.send(cb);
      expect(replay.status).toBe(200);
      expect(replay.text).toBe('success');
      expect(await balance()).toBe(before + 500);
      expect(await credits(order.id)).toBe(1);
      const events = await db(app).query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM provider_events WHERE provider = 'tokenpay' AND payment_id = $1`,
        [id],
      );
      expect(events[0].n).toBe(1);
    });

    it('accepts a callback timestamp in seconds', async () => {
      const order = await newTokenPayOrder();
      const { id } = await paymentOf(order.id);
      fake.markPaid(id);
      const res = await fake.send(fake.callbackFor(id, { timestamp: String(Math.floor(Date.now() / 1000)) }));
      expect(res.status).toBe(200);
      expect(await orderState(order.id)).toBe('Finished');
    });

    it('rejects forged, stale, tampered and foreign callbacks without any change', async () => {
      const order = await newTokenPayOrder();
      const before = await balance();
      const { id } = await paymentOf(order.id);
      fake.markPaid(id);
      const cases: [string, Parameters<TokenPayFake['callbackFor']>[1]][] = [
        ['signed with another secret', { signWith: 'ffffffffffffffffffffffffffffffff' }],
        ['stale (301 s old, ms)', { timestamp: String(Date.now() - 301_000) }],
        ['stale (301 s old, seconds)', { timestamp: String(Math.floor(Date.now() / 1000) - 301) }],
        ['tampered ciphertext (validly signed)', { tamper: true }],
        ['another merchant id', { mchId: '9999999999' }],
      ];
      for (const [label, opts] of cases) {
        const res = await fake.send(fake.callbackFor(id, opts));
        expect({ label, status: res.status }).toEqual({ label, status: 400 });
        expect(JSON.parse(res.text)).toMatchObject({ code: 'FAIL' });
      }
      // The same reply for an unknown tenant or one without TokenPay: nobody learns who uses it.
      expect(await expectOneRefusal(app, 'tokenpay', m.tenantId)).toMatchObject({
        status: 400,
        body: JSON.stringify({ code: 'FAIL', message: 'notification rejected' }),
      });
      // A body changed after signing.
      const cb = fake.callbackFor(id);
      const res = await fake.send({
        ...cb,
        body: cb.body.replace('TRANSACTION.SUCCESS', 'TRANSACTION.SUCCESS '),
      });
      expect(res.status).toBe(400);

      expect(await orderState(order.id)).toBe('Pending');
      expect((await paymentOf(order.id)).status).toBe('pending');
      expect(await credits(order.id)).toBe(0);
      expect(await balance()).toBe(before);
      const events = await db(app).query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM provider_events WHERE provider = 'tokenpay' AND payment_id = $1`,
        [id],
      );
      expect(events[0].n).toBe(0);
    });

    it('flags a validly signed callback whose amount differs, and does not credit it', async () => {
      const order = await newTokenPayOrder();
      const { id } = await paymentOf(order.id);
      fake.markPaid(id);
      // 1 USDT (1000000 atomic units, decimals 6) for a 49.99 USDT payment.
      const res = await fake.send(fake.callbackFor(id, { amount: '1000000' }));
      expect(res.status).toBe(200);
      const payment = await paymentOf(order.id);
      expect(payment.flag_reason).toMatch(/amount mismatch: expected 49\.990000, got 1$/);
      expect(payment.status).toBe('pending');
      expect(await orderState(order.id)).toBe('Pending');
      expect(await credits(order.id)).toBe(0);
    });
  });

  it('recovers a lost callback through the query API', async () => {
    const order = await newTokenPayOrder();
    const { id } = await paymentOf(order.id);
    fake.markPaid(id); // paid, but the callback never arrives
    const queriesBefore = fake.requestsTo('/v1/transaction/query').length;
    await app.app.get(ReconciliationService).runOnce({ tenantId: m.tenantId });
    expect(await orderState(order.id)).toBe('Finished');
    expect(await credits(order.id)).toBe(1);
    const queries = fake.requestsTo('/v1/transaction/query').slice(queriesBefore);
    const mine = queries.find((q) => JSON.parse(q.body).out_trade_no === id)!;
    expect(JSON.parse(mine.body)).toEqual({ mch_id: account.mchId, out_trade_no: id });
    expect(openAuthorization(mine.headers.authorization as string, account.appSecret).plaintext).toMatch(
      new RegExp(`^/v1/transaction/query\\n\\d{13}\\n[0-9a-f]{32}\\n${mine.body.replace(/[{}]/g, '\\$&')}$`),
    );
  });

  it('closes the transaction at TokenPay when the order expires', async () => {
    const order = await newTokenPayOrder();
    const { id } = await paymentOf(order.id);
    const t = fake.byOutTradeNo(id)!;
    // Due before anything else: the sweep takes the database's 100 longest-due orders first.
    await db(app).query(`UPDATE orders SET expires_at = now() - interval '10 years' WHERE id = $1`, [
      order.id,
    ]);
    await app.app.get(OrderExpirySweeper).sweepOnce();
    expect(await orderState(order.id)).toBe('Expired');
    expect((await paymentOf(order.id)).status).toBe('expired');
    expect(t.trade_state).toBe('CLOSED');
    expect(t.closed_by_merchant).toBe(true);
    const close = fake
      .requestsTo('/v1/transaction/close')
      .find((r) => JSON.parse(r.body).transaction_id === t.transaction_id)!;
    expect(JSON.parse(close.body)).toEqual({
      app_id: account.appId,
      mch_id: account.mchId,
      transaction_id: t.transaction_id,
    });

    // A transaction TokenPay never saw, or one already closed, closes without error.
    const provider = app.app.get(TokenPayProvider);
    const ctx = (await app.app.get(ProviderRegistry).contextFor(m.tenantId, 'tokenpay'))!;
    const ref = { paymentId: randomUUID(), providerRef: randomUUID(), amount: '1.000000', currency: 'USDT' };
    await expect(provider.close(ctx, ref)).resolves.toBeUndefined();
    const closes = fake.requestsTo('/v1/transaction/close').length;
    await expect(provider.close(ctx, { ...ref, providerRef: id })).resolves.toBeUndefined();
    expect(fake.requestsTo('/v1/transaction/close')).toHaveLength(closes);
  });

  describe('provider failures', () => {
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

    it('answers 422 provider_credentials_rejected when TokenPay refuses the signature', async () => {
      const other = await newMerchant(app);
      // The app is known to TokenPay, but the secret configured here is not its secret.
      await configure(other, { ...credsOf(account), app_secret: 'ffffffffffffffffffffffffffffffff' });
      const before = await orderCount(other);
      const res = await createOrder(other).expect(422);
      expect(res.body).toMatchObject({
        code: 'provider_credentials_rejected',
        message: expect.stringContaining('Invalid signature'),
        details: { provider_code: '103' },
      });
      expect(await orderCount(other)).toBe(before);
    });

    it('leaves an order Pending with no payment row when paying it fails, and lets it be paid again', async () => {
      const order = await newOrder(app, m); // a Sandbox order, paid with TokenPay (order payment API)
      const rows = async () =>
        (
          await db(app).query<{ provider: string }[]>('SELECT provider FROM payments WHERE order_id = $1', [
            order.id,
          ])
        ).map((r) => r.provider);
      fake.mode = 'fail500';
      const failed = await http(app)
        .post('/api/order/payment')
        .set(m.auth)
        .send({ order_id: order.id, pay_way: 'tokenpay' })
        .expect(502);
      expect(failed.body).toMatchObject({ code: -1, data: null });
      expect(await rows()).toEqual(['sandbox']);
      expect(await orderState(order.id)).toBe('Pending');

      fake.mode = 'ok';
      const paid = await http(app)
        .post('/api/order/payment')
        .set(m.auth)
        .send({ order_id: order.id, pay_way: 'tokenpay' })
        .expect(200);
      expect(paid.body.data).toEqual({
        pay_way: 'tokenpay',
        jump_url: expect.stringMatching(new RegExp(`^${fake.url}/pay/order\\?prepay_id=[0-9a-f]{64}$`)),
      });
      expect((await rows()).sort()).toEqual(['sandbox', 'tokenpay']);
    });
  });
});
