import { createVerify, generateKeyPairSync, KeyObject } from 'node:crypto';
import type { RunningPaymux } from '../src/bootstrap';
import { OrderExpirySweeper } from '../src/payments/reconciliation/order-expiry.sweeper';
import { ReconciliationService } from '../src/payments/reconciliation/reconciliation.service';
import { AlipayFake, beijingTime, RecordedRequest, signedText } from './fakes/alipay/alipay.fake';
import {
  db,
  http,
  Merchant,
  newMerchant,
  startTestAppWithAdmin,
  orderStateOf,
  balanceOf,
  creditEntriesOf,
} from './helpers/app';
import { expectOneRefusal } from './helpers/webhook-refusal';
import { waitFor } from './helpers/wait';

/**
 * Alipay (OpenAPI gateway) against its fake over real HTTP on PostgreSQL: page pay as a signed gateway
 * URL charging CNY after FX (USD 10.00 x 7.1234 = 71.23 CNY), precreate QR, RSA2 async notifications
 * (valid, replayed, forged, tampered, other app, wrong amount), recovery through alipay.trade.query
 * (with the answer's signature checked), closing on expiry, refunds (sync and fund_change N), and
 * gateway failures. The FX pair USD/CNY is set to 7.1234 here (and left in place: the WeChat Pay suite
 * charges CNY too); THB/CNY is kept unset for the missing-rate case.
 */
describe('Alipay', () => {
  const fake = new AlipayFake();
  let app: RunningPaymux;
  let admin: { authorization: string };
  let m: Merchant;

  interface AppAccount {
    appId: string;
    privateKey: string;
    publicKey: KeyObject;
  }
  /** A fresh app key pair; the fake knows the public half when `register`. */
  const newApp = (format: 'pkcs8' | 'pkcs1', register = true): AppAccount => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const account = {
      appId: `2021${Math.floor(Math.random() * 1e12)
        .toString()
        .padStart(12, '0')}`,
      privateKey: pair.privateKey.export({ type: format, format: 'pem' }).toString(),
      publicKey: pair.publicKey,
    };
    if (register) fake.addApp(account.appId, account.publicKey);
    return account;
  };
  let account: AppAccount;

  const configure = async (
    who: Merchant,
    a: AppAccount,
    alipayPublicKey = fake.alipayPublicKeyBase64,
  ): Promise<void> => {
    await http(app)
      .put('/api/v1/providers/alipay')
      .set(who.auth)
      .send({
        enabled: true,
        mode: 'test',
        credentials: { app_id: a.appId, private_key: a.privateKey, alipay_public_key: alipayPublicKey },
      })
      .expect(200);
  };
  const setUsdCny = () =>
    http(app).put('/api/v1/admin/fx-rates/USD/CNY').set(admin).send({ rate: '7.1234' }).expect(200);

  beforeAll(async () => {
    await fake.start();
    ({ app, admin } = await startTestAppWithAdmin({
      PAYMUX_ALIPAY_BASE_URL: fake.url,
      // Not 500 ms: a busy machine missed that on plain calls to the fake (502). Only hangs wait it out.
      PROVIDER_TIMEOUT_MS: '5000',
      RECONCILE_INTERVAL_MS: '0',
      RECONCILE_DELAY_SECONDS: '0',
      EXPIRY_SWEEP_INTERVAL_MS: '0',
    }));
    await setUsdCny();
    m = await newMerchant(app, { name: '100 credits', amount: 100, price: '10.00', currency: 'USD' });
    account = newApp('pkcs8');
    // The Alipay public key as the console shows it: bare base64 DER.
    await configure(m, account);
  });
  afterAll(async () => {
    await app.close();
    await fake.stop();
  });
  beforeEach(() => {
    fake.mode = 'ok';
    fake.failClose = false;
    fake.refundMode = 'sync';
    fake.rewrite = undefined;
  });

  /** pay_way `AliPay` is page pay; `alipay_qr` the precreate QR. */
  const createOrder = (who: Merchant = m, payWay = 'AliPay') =>
    http(app)
      .post('/api/v1/orders')
      .set(who.auth)
      .send({ application_id: who.applicationId, package_id: who.packageId, pay_way: payWay });
  const newAlipayOrder = async (who: Merchant = m, payWay = 'AliPay'): Promise<Record<string, unknown>> =>
    (await createOrder(who, payWay).expect(201)).body as Record<string, unknown>;
  const orderState = (id: unknown, who: Merchant = m): Promise<string> => orderStateOf(app, who, id);
  const balance = (who: Merchant = m): Promise<number> => balanceOf(app, who);
  const credits = (orderId: unknown): Promise<number> => creditEntriesOf(app, orderId);
  const paymentsOf = (orderId: unknown) =>
    db(app).query<
      {
        id: string;
        status: string;
        flag_reason: string | null;
        amount: string;
        currency: string;
        fx_rate: string | null;
        method: string;
        provider_ref: string;
        action: { kind: string; url?: string; codeUrl?: string };
      }[]
    >(
      `SELECT id, status, flag_reason, amount::text, currency, fx_rate::text, method, provider_ref, action
         FROM payments WHERE order_id = $1 ORDER BY created_at`,
      [orderId],
    );
  const paymentOf = async (orderId: unknown) => (await paymentsOf(orderId))[0];
  const orderCount = async (who: Merchant): Promise<number> =>
    (
      await db(app).query<{ n: number }[]>('SELECT count(*)::int AS n FROM orders WHERE tenant_id = $1', [
        who.tenantId,
      ])
    )[0].n;
  const eventsOf = (paymentId: string) =>
    db(app).query<{ event_id: string; outcome: string }[]>(
      'SELECT event_id, outcome FROM provider_events WHERE payment_id = $1 ORDER BY received_at',
      [paymentId],
    );
  /** An order opened by page pay, and the payer at Alipay's cashier (so the fake knows the trade). */
  const visitedOrder = async (who: Merchant = m) => {
    const order = await newAlipayOrder(who);
    const visit = await fake.visit(order.pay_url as string);
    expect(visit.status).toBe(200);
    return { order, outTradeNo: order.pay_id as string };
  };
  /** Check an app request's RSA2 signature independently (sorted non-empty params but sign). */
  const expectSignedByApp = (params: Record<string, string>, key: KeyObject = account.publicKey): void => {
    const ok = createVerify('RSA-SHA256')
      .update(signedText(params, ['sign']), 'utf8')
      .verify(key, params.sign, 'base64');
    expect(ok).toBe(true);
  };
  const expectCommonParams = (r: RecordedRequest, method: string): void => {
    expect(r.signatureValid).toBe(true);
    expect(r.params).toMatchObject({
      app_id: account.appId,
      method,
      format: 'JSON',
      charset: 'utf-8',
      sign_type: 'RSA2',
      version: '1.0',
    });
    expectSignedByApp(r.params);
  };

  describe('creating a payment', () => {
    it('charges CNY after FX with a signed page-pay gateway URL and no server call', async () => {
      await setUsdCny();
      const before = fake.requests.length;
      const calledFrom = Date.now();
      const order = await newAlipayOrder();
      const calledBy = Date.now();
      expect(fake.requests.length).toBe(before);
      const payment = await paymentOf(order.id);
      const outTradeNo = payment.id.replace(/-/g, '');
      expect(order).toMatchObject({
        pay_way: 'AliPay',
        pay_id: outTradeNo,
        price: 10,
        currency: 'USD',
        charge_amount: 71.23,
        charge_currency: 'CNY',
        fx_rate: 7.1234,
        state: 'Pending',
      });
      expect(payment).toMatchObject({
        status: 'pending',
        amount: '71.230000000000000000',
        currency: 'CNY',
        fx_rate: '7.123400000000000000',
        method: 'alipay_page',
        provider_ref: outTradeNo,
        action: { kind: 'redirect', url: order.pay_url },
      });

      const url = new URL(order.pay_url as string);
      expect(`${url.origin}${url.pathname}`).toBe(fake.url);
      const params = Object.fromEntries(url.searchParams);
      expect(url.searchParams.getAll('sign')).toHaveLength(1);
      expectSignedByApp(params);
      expect(params).toMatchObject({
        app_id: account.appId,
        method: 'alipay.trade.page.pay',
        charset: 'utf-8',
        sign_type: 'RSA2',
        version: '1.0',
        notify_url: `${app.config.baseUrl()}/api/v1/webhooks/alipay/${m.tenantId}`,
        return_url: `${app.config.baseUrl()}/checkout/${order.id as string}`,
      });
      // The timestamp is Beijing time (GMT+8), whatever the zone this server runs in.
      const stamped = Date.parse(`${params.timestamp.replace(' ', 'T')}+08:00`);
      // Stamped (to the second) while the order was being created, however long that took.
      expect(stamped).toBeGreaterThanOrEqual(Math.floor(calledFrom / 1000) * 1000);
      expect(stamped).toBeLessThanOrEqual(calledBy);
      const biz = JSON.parse(params.biz_content);
      expect(biz).toEqual({
        out_trade_no: outTradeNo,
        product_code: 'FAST_INSTANT_TRADE_PAY',
        total_amount: '71.23',
        subject: `Order ${order.id as string}`,
        timeout_express: expect.stringMatching(/^\d+m$/),
      });
      // ORDER_TTL is 30 min: the trade closes at Alipay no later than the order expires.
      // Whole minutes left when the call was made, somewhere between calledFrom and calledBy.
      const minutesLeftAt = (t: number): number =>
        Math.floor((Date.parse(order.expires_at as string) - t) / 60_000);
      expect(parseInt(biz.timeout_express, 10)).toBeLessThanOrEqual(minutesLeftAt(calledFrom));
      expect(parseInt(biz.timeout_express, 10)).toBeGreaterThanOrEqual(minutesLeftAt(calledBy));

      // The payer opens it: the gateway checks the signature and shows its cashier for 71.23 yuan.
      const visit = await fake.visit(order.pay_url as string);
      expect(visit.status).toBe(200);
      expect(fake.lastRequest('alipay.trade.page.pay')!.signatureValid).toBe(true);
      expect(fake.trade(outTradeNo)).toMatchObject({ totalAmount: '71.23', notifyUrl: params.notify_url });
    });

    it('refuses with 422 fx_rate_missing and writes no order when no rate to CNY is set', async () => {
      await db(app).query(`DELETE FROM fx_rates WHERE base = 'THB' AND quote = 'CNY'`);
      const thb = await newMerchant(app, { price: 500, currency: 'THB', amount: 10 });
      await configure(thb, account);
      const res = await createOrder(thb).expect(422);
      expect(res.body).toMatchObject({ code: 'fx_rate_missing', details: { base: 'THB', quote: 'CNY' } });
      expect(await orderCount(thb)).toBe(0);
    });

    it('accepts a PKCS#1 private key and a PEM Alipay public key; the order payment API answers the jump_url', async () => {
      const other = await newMerchant(app, { price: '1.00', currency: 'USD', amount: 1 });
      const pkcs1 = newApp('pkcs1');
      await configure(other, pkcs1, fake.alipayPublicKeyPem);
      const order = await newAlipayOrder(other);
      expectSignedByApp(Object.fromEntries(new URL(order.pay_url as string).searchParams), pkcs1.publicKey);
      expect((await fake.visit(order.pay_url as string)).status).toBe(200);
      const pay = await http(app)
        .post('/api/order/payment')
        .set(other.auth)
        .send({ order_id: order.id, pay_way: 'alipay' })
        .expect(200);
      expect(pay.body).toEqual({ code: 0, msg: '', data: { pay_way: 'alipay', jump_url: order.pay_url } });
      // 1.00 USD x 7.1234 = 7.1234 -> 7.12 CNY, half up.
      expect(fake.trade(order.pay_id as string).totalAmount).toBe('7.12');
    });

    it('opens alipay.trade.precreate for the QR method, signed, and shows the qr_code', async () => {
      const order = await newAlipayOrder(m, 'alipay_qr');
      const payment = await paymentOf(order.id);
      const req = fake.lastRequest('alipay.trade.precreate')!;
      expect(req.httpMethod).toBe('POST');
      expect(req.path).toBe('/gateway.do');
      expect(req.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
      expectCommonParams(req, 'alipay.trade.precreate');
      // Common params in the query string, biz_content in the form body (as alipay-sdk's exec does).
      expect(new URLSearchParams(req.query).get('sign')).toBe(req.params.sign);
      expect(new URLSearchParams(req.body).get('biz_content')).toBe(req.params.biz_content);
      expect(req.params.notify_url).toBe(`${app.config.baseUrl()}/api/v1/webhooks/alipay/${m.tenantId}`);
      expect(req.biz).toEqual({
        out_trade_no: payment.id.replace(/-/g, ''),
        total_amount: '71.23',
        subject: `Order ${order.id as string}`,
        timeout_express: expect.stringMatching(/^\d+m$/),
      });
      const qr = fake.trade(payment.provider_ref).qrCode!;
      // The answer carried `https:\/\/...` and verified over that exact text.
      expect(payment.action).toEqual({ kind: 'qr', codeUrl: qr });
      expect(qr).toMatch(/^https:\/\/qr\.alipay\.com\//);
      expect(order.pay_url).toBe(`${app.config.baseUrl()}/checkout/${order.id as string}`);
      expect(order.pay_way).toBe('AliPay');
    });
  });

  describe('notifications', () => {
    it('finishes the order on a valid notify, answers `success`, and ignores its replay', async () => {
      const { order, outTradeNo } = await visitedOrder();
      const before = await balance();
      const sent = (await fake.pay(outTradeNo))!;
      expect([sent.status, sent.text]).toEqual([200, 'success']);
      expect(await orderState(order.id)).toBe('Finished');
      expect(await balance()).toBe(before + 100);
      expect(await credits(order.id)).toBe(1);
      const payment = await paymentOf(order.id);
      expect(payment.status).toBe('succeeded');
      const notifyId = new URLSearchParams(sent.body).get('notify_id');
      expect(await eventsOf(payment.id)).toEqual([{ event_id: `notify:${notifyId}`, outcome: 'applied' }]);

      // Alipay re-sends the very same notify: acknowledged, nothing changes.
      const replay = await fake.post(sent.url, sent.body);
      expect([replay.status, replay.text]).toEqual([200, 'success']);
      // TRADE_FINISHED later (another notify_id): paid already, nothing changes.
      fake.trade(outTradeNo).status = 'TRADE_FINISHED';
      const finished = await fake.notify(outTradeNo);
      expect([finished.status, finished.text]).toEqual([200, 'success']);
      expect(await balance()).toBe(before + 100);
      expect(await credits(order.id)).toBe(1);
      expect((await eventsOf(payment.id)).map((e) => e.outcome)).toEqual(['applied', 'ignored']);
    });

    it('accepts an old notify_time (Alipay re-sends for ~25 h) and dedupes it by notify_id', async () => {
      const { order, outTradeNo } = await visitedOrder();
      const before = await balance();
      const old = beijingTime(new Date(Date.now() - 24 * 3600_000));
      const sent = (await fake.pay(outTradeNo, { overrides: { notify_time: old } }))!;
      expect(sent.text).toBe('success');
      expect(await orderState(order.id)).toBe('Finished');
      await fake.post(sent.url, sent.body);
      expect(await balance()).toBe(before + 100);
    });

    it('rejects forged, tampered, foreign and malformed notifications with `fail`, changing nothing', async () => {
      const { order, outTradeNo } = await visitedOrder();
      const before = await balance();
      fake.trade(outTradeNo).status = 'TRADE_SUCCESS';
      const url = fake.trade(outTradeNo).notifyUrl!;
      const forger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
      const valid = fake.signNotify(fake.notifyFields(outTradeNo));
      const otherApp = newApp('pkcs8');
      const attempts = [
        // Signed with a key that is not Alipay's.
        fake.signNotify(fake.notifyFields(outTradeNo), forger),
        // Altered after signing.
        valid.replace('total_amount=71.23', 'total_amount=0.01'),
        valid.replace(/&sign=[^&]*/, ''),
        valid.replace('sign_type=RSA2', 'sign_type=RSA'),
        // Signed by Alipay, but for another app.
        fake.signNotify(
          fake.notifyFields(outTradeNo, { app_id: otherApp.appId, auth_app_id: otherApp.appId }),
        ),
        '',
        '{"trade_status":"TRADE_SUCCESS"}',
      ];
      for (const body of attempts) {
        const res = await fake.post(url, body);
        expect([res.status, res.text]).toEqual([400, 'fail']);
      }
      // The same reply for an unknown tenant or one without Alipay: nobody learns who uses Alipay.
      expect(await expectOneRefusal(app, 'alipay', m.tenantId)).toMatchObject({ status: 400, body: 'fail' });
      expect(await orderState(order.id)).toBe('Pending');
      expect(await credits(order.id)).toBe(0);
      expect(await balance()).toBe(before);
      const payment = await paymentOf(order.id);
      expect(payment.status).toBe('pending');
      expect(await eventsOf(payment.id)).toEqual([]);
      // Another tenant's webhook URL does not take this tenant's notify either (its app_id differs).
      const stranger = await newMerchant(app);
      await configure(stranger, otherApp);
      const crossed = await fake.post(
        `${app.config.baseUrl()}/api/v1/webhooks/alipay/${stranger.tenantId}`,
        valid,
      );
      expect(crossed.text).toBe('fail');
      expect(await orderState(order.id)).toBe('Pending');
    });

    it('flags a validly signed notify whose amount differs, and credits nothing', async () => {
      const { order, outTradeNo } = await visitedOrder();
      const before = await balance();
      const sent = (await fake.pay(outTradeNo, { overrides: { total_amount: '71.22' } }))!;
      expect(sent.text).toBe('success');
      const payment = await paymentOf(order.id);
      expect(payment.status).toBe('pending');
      expect(payment.flag_reason).toMatch(/amount mismatch: expected 71\.23, got 71\.22/);
      expect(await orderState(order.id)).toBe('Pending');
      expect(await credits(order.id)).toBe(0);
      expect(await balance()).toBe(before);
    });

    it('takes WAIT_BUYER_PAY as not final', async () => {
      const { order, outTradeNo } = await visitedOrder();
      fake.scan(outTradeNo);
      const sent = await fake.notify(outTradeNo);
      expect(sent.text).toBe('success');
      expect(await orderState(order.id)).toBe('Pending');
      expect((await eventsOf((await paymentOf(order.id)).id)).map((e) => e.outcome)).toEqual(['ignored']);
    });
  });

  describe('reconciliation and expiry', () => {
    // A tenant of its own: reconciliation is scoped to it, so other tests' trades stay out of the way.
    let r: Merchant;
    beforeAll(async () => {
      r = await newMerchant(app, { name: '100 credits', amount: 100, price: '10.00', currency: 'USD' });
      await configure(r, account);
    });
    const reconcile = () => app.app.get(ReconciliationService).runOnce({ tenantId: r.tenantId });

    it('recovers a lost notify through alipay.trade.query', async () => {
      const { order, outTradeNo } = await visitedOrder(r);
      const before = await balance(r);
      await fake.pay(outTradeNo, { notify: false });
      const pass = await reconcile();
      expect(pass.paid).toBe(1);
      expect(await orderState(order.id, r)).toBe('Finished');
      expect(await balance(r)).toBe(before + 100);
      const queries = fake.requestsFor('alipay.trade.query').filter((q) => q.biz.out_trade_no === outTradeNo);
      expect(queries).toHaveLength(1);
      expectCommonParams(queries[0], 'alipay.trade.query');
      expect(queries[0].biz).toEqual({ out_trade_no: outTradeNo });
      await reconcile();
      expect(await credits(order.id)).toBe(1);
      expect(await balance(r)).toBe(before + 100);
    });

    it('keeps a never-opened page pay (ACQ.TRADE_NOT_EXIST) pending', async () => {
      const order = await newAlipayOrder(r);
      const pass = await reconcile();
      expect(pass.paid).toBe(0);
      expect(await orderState(order.id, r)).toBe('Pending');
      expect((await paymentOf(order.id)).status).toBe('pending');
      expect(fake.requestsFor('alipay.trade.query').some((q) => q.biz.out_trade_no === order.pay_id)).toBe(
        true,
      );
    });

    it('does not believe an answer whose signature does not cover what it says', async () => {
      const { order, outTradeNo } = await visitedOrder(r);
      fake.scan(outTradeNo);
      // A man in the middle turns WAIT_BUYER_PAY into TRADE_SUCCESS after Alipay signed it.
      fake.rewrite = (method, text) =>
        method === 'alipay.trade.query' ? text.replace('WAIT_BUYER_PAY', 'TRADE_SUCCESS') : text;
      const pass = await reconcile();
      expect(pass.paid).toBe(0);
      expect(fake.requestsFor('alipay.trade.query').some((q) => q.biz.out_trade_no === outTradeNo)).toBe(
        true,
      );
      expect(await orderState(order.id, r)).toBe('Pending');
      expect(await credits(order.id)).toBe(0);
      // Untouched answers are believed: once the trade is really paid, the next pass finishes the order.
      fake.rewrite = undefined;
      fake.trade(outTradeNo).status = 'TRADE_SUCCESS';
      await db(app).query('UPDATE payments SET next_check_at = NULL WHERE order_id = $1', [order.id]);
      expect((await reconcile()).paid).toBe(1);
      expect(await orderState(order.id, r)).toBe('Finished');
    });

    it('closes unpaid trades when the order expires (unknown to Alipay, and waiting)', async () => {
      const never = await newAlipayOrder(r);
      const waiting = await visitedOrder(r);
      fake.scan(waiting.outTradeNo);
      // Due before anything else: the sweep takes the database's 100 longest-due orders first.
      await db(app).query(`UPDATE orders SET expires_at = now() - interval '10 years' WHERE id = ANY($1)`, [
        [never.id, waiting.order.id],
      ]);
      await app.app.get(OrderExpirySweeper).sweepOnce();
      expect(await orderState(never.id, r)).toBe('Expired');
      expect(await orderState(waiting.order.id, r)).toBe('Expired');
      const closes = fake.requestsFor('alipay.trade.close');
      expect(closes.map((q) => q.biz.out_trade_no)).toEqual(
        expect.arrayContaining([never.pay_id, waiting.outTradeNo]),
      );
      expectCommonParams(closes[closes.length - 1], 'alipay.trade.close');
      expect(fake.trade(waiting.outTradeNo).status).toBe('TRADE_CLOSED');
      expect((await paymentOf(never.id)).status).toBe('expired');
    });
  });

  it('closes the page-pay trade at Alipay once the order is paid by QR, when closing it on reopen failed', async () => {
    const { order, outTradeNo: page } = await visitedOrder();
    fake.scan(page); // the payer is at Alipay's cashier: the page trade can be paid
    const closesOf = (no: string): number =>
      fake.requestsFor('alipay.trade.close').filter((r) => r.biz.out_trade_no === no).length;

    fake.failClose = true;
    await http(app)
      .post('/api/order/payment')
      .set(m.auth)
      .send({ order_id: order.id, pay_way: 'alipay_qr' })
      .expect(200);
    await waitFor('a close of the page-pay trade', () => closesOf(page) === 1);
    expect(fake.trade(page).status).toBe('WAIT_BUYER_PAY');
    expect((await paymentOf(order.id)).status).toBe('pending');
    fake.failClose = false;

    const qr = (await paymentsOf(order.id))[1];
    expect(qr.method).toBe('alipay_qr');
    const sent = (await fake.pay(qr.provider_ref))!;
    expect([sent.status, sent.text]).toEqual([200, 'success']);
    await waitFor(
      'the page-pay attempt to be cancelled',
      async () => (await paymentOf(order.id)).status === 'cancelled',
    );
    expect(closesOf(page)).toBe(2);
    expect(fake.trade(page).status).toBe('TRADE_CLOSED');
    expect((await paymentsOf(order.id)).map((p) => [p.method, p.status])).toEqual([
      ['alipay_page', 'cancelled'],
      ['alipay_qr', 'succeeded'],
    ]);
    expect(closesOf(qr.provider_ref)).toBe(0);
    expect(await orderState(order.id)).toBe('Finished');
    expect(await credits(order.id)).toBe(1);
  });

  describe('refunds', () => {
    // A tenant of its own: the reconciliation pass that settles refunds is scoped to it.
    let f: Merchant;
    beforeAll(async () => {
      f = await newMerchant(app, { name: '100 credits', amount: 100, price: '10.00', currency: 'USD' });
      await configure(f, account);
    });
    const paidOrder = async () => {
      const { order, outTradeNo } = await visitedOrder(f);
      await fake.pay(outTradeNo);
      expect(await orderState(order.id, f)).toBe('Finished');
      return { order, outTradeNo };
    };

    it('refunds the whole CNY charge: 201, order Refunded, credits taken back', async () => {
      const { order, outTradeNo } = await paidOrder();
      const before = await balance(f);
      const res = await http(app)
        .post(`/api/v1/orders/${order.id as string}/refunds`)
        .set(f.auth)
        .send({ reason: 'customer asked' })
        .expect(201);
      expect(res.body).toMatchObject({ status: 'succeeded', charge_amount: 71.23, charge_currency: 'CNY' });
      const req = fake.lastRequest('alipay.trade.refund')!;
      expectCommonParams(req, 'alipay.trade.refund');
      expect(req.biz).toEqual({
        out_trade_no: outTradeNo,
        refund_amount: '71.23',
        out_request_no: res.body.id,
        refund_reason: 'customer asked',
      });
      expect(await orderState(order.id, f)).toBe('Refunded');
      expect(await balance(f)).toBe(before - 100);
      const [row] = await db(app).query<{ provider_refund_id: string }[]>(
        'SELECT provider_refund_id FROM refunds WHERE id = $1',
        [res.body.id],
      );
      expect(row.provider_refund_id).toBe(`${fake.trade(outTradeNo).tradeNo}:${res.body.id as string}`);
      expect(fake.trade(outTradeNo).status).toBe('TRADE_CLOSED');
    });

    it('asks alipay.trade.fastpay.refund.query when fund_change is N, and settles later', async () => {
      const { order, outTradeNo } = await paidOrder();
      const before = await balance(f);
      fake.refundMode = 'async';
      const res = await http(app)
        .post(`/api/v1/orders/${order.id as string}/refunds`)
        .set(f.auth)
        .send({ amount: '4.00', reason: 'partial' })
        .expect(202);
      expect(res.body.status).toBe('pending');
      // 4.00 of 10.00 USD -> 4/10 of 71.23 CNY = 28.492 -> 28.49.
      expect(fake.lastRequest('alipay.trade.refund')!.biz.refund_amount).toBe('28.49');
      const q = fake.lastRequest('alipay.trade.fastpay.refund.query')!;
      expectCommonParams(q, 'alipay.trade.fastpay.refund.query');
      expect(q.biz).toEqual({ out_trade_no: outTradeNo, out_request_no: res.body.id });
      expect(await balance(f)).toBe(before);

      fake.settleRefunds();
      await db(app).query(`UPDATE refunds SET updated_at = now() - interval '5 minutes' WHERE id = $1`, [
        res.body.id,
      ]);
      await app.app.get(ReconciliationService).runOnce({ tenantId: f.tenantId });
      const [row] = await db(app).query<{ status: string }[]>('SELECT status FROM refunds WHERE id = $1', [
        res.body.id,
      ]);
      expect(row.status).toBe('succeeded');
      expect(await orderState(order.id, f)).toBe('PartiallyRefunded');
      expect(await balance(f)).toBe(before - 40);
    });

    it('keeps a refund pending when Alipay does not answer, and fails one Alipay refuses', async () => {
      const { order } = await paidOrder();
      fake.mode = 'http500';
      const pending = await http(app)
        .post(`/api/v1/orders/${order.id as string}/refunds`)
        .set(f.auth)
        .send({ amount: '1.00', reason: 'outage' })
        .expect(202);
      expect(pending.body.status).toBe('pending');
      fake.mode = 'ok';
      // More than was paid is Alipay's business refusal: 422 provider_rejected with its sub_msg.
      const trade = fake.trade(order.pay_id as string);
      trade.refunds.set('someone-else', { amount: '71.00', settled: true });
      const refused = await http(app)
        .post(`/api/v1/orders/${order.id as string}/refunds`)
        .set(f.auth)
        .send({ amount: '2.00', reason: 'too much' })
        .expect(422);
      expect(refused.body).toMatchObject({
        code: 'provider_rejected',
        details: { provider_code: 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL' },
      });
    });
  });

  describe('provider failures', () => {
    it.each([
      ['http500', 502, 'provider_unavailable'],
      ['hang', 502, 'provider_timeout'],
      ['http401', 422, 'provider_credentials_rejected'],
    ] as const)('a gateway answering %s gives %d %s and writes no order', async (mode, status, code) => {
      const before = await orderCount(m);
      fake.mode = mode;
      const res = await createOrder(m, 'alipay_qr').expect(status);
      expect(res.body.code).toBe(code);
      expect(await orderCount(m)).toBe(before);
    });

    it('maps isv.invalid-signature and isv.invalid-app-id to 422 provider_credentials_rejected', async () => {
      const who = await newMerchant(app, { price: '10.00', currency: 'USD', amount: 100 });
      const unknownKey = { ...newApp('pkcs8', false) };
      // The app id is known to Alipay, but with another public key: the signature does not verify.
      fake.addApp(unknownKey.appId, newApp('pkcs8', false).publicKey);
      await configure(who, unknownKey);
      const bad = await createOrder(who, 'alipay_qr').expect(422);
      expect(bad.body).toMatchObject({
        code: 'provider_credentials_rejected',
        details: { provider_code: 'isv.invalid-signature' },
      });
      expect(fake.lastRequest('alipay.trade.precreate')!.signatureValid).toBe(false);
      await configure(who, newApp('pkcs8', false));
      const unknown = await createOrder(who, 'alipay_qr').expect(422);
      expect(unknown.body).toMatchObject({
        code: 'provider_credentials_rejected',
        details: { provider_code: 'isv.invalid-app-id' },
      });
      expect(await orderCount(who)).toBe(0);
    });

    it('leaves the order Pending with no new attempt when paying fails, and pays on a retry', async () => {
      const order = await newAlipayOrder();
      const pay = () =>
        http(app).post('/api/order/payment').set(m.auth).send({ order_id: order.id, pay_way: 'alipay_qr' });
      fake.mode = 'http500';
      const failed = await pay();
      expect(failed.status).toBe(502);
      expect(failed.body).toMatchObject({ code: -1, data: null });
      expect(await orderState(order.id)).toBe('Pending');
      expect(await paymentsOf(order.id)).toHaveLength(1);
      fake.mode = 'ok';
      const ok = await pay();
      expect(ok.status).toBe(200);
      const attempts = await paymentsOf(order.id);
      expect(attempts).toHaveLength(2);
      expect(ok.body.data).toEqual({
        pay_way: 'alipay_qr',
        code_url: fake.trade(attempts[1].provider_ref).qrCode,
      });
    });
  });
});
