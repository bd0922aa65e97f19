import { generateKeyPairSync, randomUUID, verify } from 'node:crypto';
import type { RunningPaymux } from '../src/bootstrap';
import { Money } from '../src/common/money';
import { OrderExpirySweeper } from '../src/payments/reconciliation/order-expiry.sweeper';
import { ProviderRegistry } from '../src/payments/provider-registry';
import { WechatProvider } from '../src/payments/providers/wechat/wechat.provider';
import { ReconciliationService } from '../src/payments/reconciliation/reconciliation.service';
import { RecordedRequest, WechatPayFake } from './fakes/wechat/wechat.fake';
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
import { waitFor } from './helpers/wait';

/**
 * WeChat Pay v3 against its fake over real HTTP on PostgreSQL: the exact RSA-signed requests (native
 * QR and mini-program), amounts in fen after FX, answers verified with the platform key, callbacks
 * signed and AES-GCM encrypted (valid, replayed, forged, stale, wrong key, tampered, wrong amount),
 * refunds, recovery through the query API, closing on expiry, and provider failures.
 */
describe('WeChat Pay v3', () => {
  const fake = new WechatPayFake();
  let app: RunningPaymux;
  let admin: { authorization: string };
  let adminId: string;
  let m: Merchant;
  const merchantKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const account = {
    mchid: '1230000109',
    appid: 'wxd678efh567hg6787',
    serial_no: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1',
    private_key: merchantKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    apiv3_key: 'abcdefghijABCDEFGHIJ0123456789zz',
  };
  const credentials = (extra: Record<string, string> = {}): Record<string, string> => ({
    ...account,
    platform_serial: fake.platformSerial,
    platform_public_key: fake.platformPublicKeyPem,
    ...extra,
  });
  const configure = async (who: Merchant, creds: Record<string, string>): Promise<void> => {
    await http(app)
      .put('/api/v1/providers/wechat')
      .set(who.auth)
      .send({ enabled: true, mode: 'test', credentials: creds })
      .expect(200);
  };

  beforeAll(async () => {
    await fake.start();
    fake.addMerchant({
      mchid: account.mchid,
      appid: account.appid,
      serialNo: account.serial_no,
      publicKey: merchantKeys.publicKey,
      apiv3Key: account.apiv3_key,
    });
    const email = `admin-${randomUUID()}@example.test`;
    app = await startTestApp({
      ADMIN_EMAIL: email,
      ADMIN_PASSWORD: 'admin-password-1',
      LOGIN_RATE_LIMIT: '1000',
      PAYMUX_WECHAT_BASE_URL: fake.url,
      // Not 500 ms: a busy machine missed that on plain calls to the fake (502). Only hangs wait it out.
      PROVIDER_TIMEOUT_MS: '5000',
      RECONCILE_INTERVAL_MS: '0',
      RECONCILE_DELAY_SECONDS: '0',
      EXPIRY_SWEEP_INTERVAL_MS: '0',
    });
    const login = await http(app)
      .post('/api/v1/auth/login')
      .send({ email, password: 'admin-password-1' })
      .expect(200);
    admin = { authorization: `Bearer ${login.body.access_token as string}` };
    adminId = (await http(app).get('/api/v1/auth/me').set(admin).expect(200)).body.user.id as string;
    // A CNY package: WeChat charges it as is (the FX path has its own test).
    m = await newMerchant(app, { currency: 'CNY' });
    await configure(m, credentials());
  });
  afterAll(async () => {
    // USD/CNY is shared with other CNY providers' suites: remove it only if this suite wrote it last.
    await db(app).query(`DELETE FROM fx_rates WHERE base = 'USD' AND quote = 'CNY' AND updated_by = $1`, [
      adminId,
    ]);
    await app.close();
    await fake.stop();
  });
  /** When the running test began: what paymux signs during it is stamped between then and now. */
  let testStarted = 0;
  const stampedDuringTest = (seconds: number): void => {
    expect(seconds).toBeGreaterThanOrEqual(Math.floor(testStarted / 1000));
    expect(seconds).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
  };
  beforeEach(() => {
    testStarted = Date.now();
    fake.mode = 'ok';
    fake.failClose = false;
    fake.refundStatus = 'SUCCESS';
    fake.refundsUnseen = false;
    fake.responseSkewSeconds = 0;
  });

  const createOrder = (who: Merchant = m, extra: Record<string, unknown> = {}) =>
    http(app)
      .post('/api/v1/orders')
      .set(who.auth)
      .send({ application_id: who.applicationId, package_id: who.packageId, pay_way: 'WechatPay', ...extra });
  const newWechatOrder = async (who: Merchant = m): Promise<Record<string, unknown>> =>
    (await createOrder(who).expect(201)).body as Record<string, unknown>;
  const orderState = (id: unknown, who: Merchant = m): Promise<string> => orderStateOf(app, who, id);
  const balance = (who: Merchant = m): Promise<number> => balanceOf(app, who);
  const credits = (orderId: unknown): Promise<number> => creditEntriesOf(app, orderId);
  const paymentOf = async (orderId: unknown) =>
    (
      await db(app).query<
        {
          id: string;
          status: string;
          flag_reason: string | null;
          amount: string;
          currency: string;
          provider_ref: string;
          action: Record<string, unknown>;
        }[]
      >(
        `SELECT id, status, flag_reason, trim_scale(amount)::text AS amount, currency, provider_ref, action FROM payments
          WHERE order_id = $1 AND provider = 'wechat' ORDER BY created_at DESC`,
        [orderId],
      )
    )[0];
  const orderCount = async (who: Merchant = m): Promise<number> =>
    (
      await db(app).query<{ n: number }[]>('SELECT count(*)::int AS n FROM orders WHERE tenant_id = $1', [
        who.tenantId,
      ])
    )[0].n;
  const eventsOf = async (paymentId: string): Promise<number> =>
    (
      await db(app).query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM provider_events WHERE provider = 'wechat' AND payment_id = $1`,
        [paymentId],
      )
    )[0].n;
  const last = (path: string): RecordedRequest => {
    const all = fake.requestsTo(path);
    return all[all.length - 1];
  };
  const outTradeNo = (paymentId: string): string => paymentId.replace(/-/g, '');
  /** The Authorization header's fields, its signature checked independently with the merchant PUBLIC key. */
  const checkAuthorization = (req: RecordedRequest) => {
    const header = req.headers.authorization as string;
    expect(header.startsWith('WECHATPAY2-SHA256-RSA2048 ')).toBe(true);
    const fields = Object.fromEntries(
      [...header.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]] as [string, string]),
    );
    expect(fields).toEqual({
      mchid: account.mchid,
      nonce_str: expect.stringMatching(/^[A-Z0-9]{32}$/),
      signature: expect.any(String),
      timestamp: expect.stringMatching(/^\d{10}$/),
      serial_no: account.serial_no,
    });
    stampedDuringTest(Number(fields.timestamp));
    const message = `${req.method}\n${req.path}\n${fields.timestamp}\n${fields.nonce_str}\n${req.body}\n`;
    expect(
      verify('sha256', Buffer.from(message), merchantKeys.publicKey, Buffer.from(fields.signature, 'base64')),
    ).toBe(true);
    return fields;
  };
  const beijing = (iso: string): string =>
    `${new Date(Math.floor(Date.parse(iso) / 1000) * 1000 + 8 * 3600_000).toISOString().slice(0, 19)}+08:00`;

  describe('creating a payment', () => {
    it('opens a native payment with the exact signed request in fen, and shows its QR code', async () => {
      const order = await newWechatOrder();
      const payment = await paymentOf(order.id);
      const no = outTradeNo(payment.id);
      const req = last('/v3/pay/transactions/native');
      expect(req.method).toBe('POST');
      expect(req.headers.accept).toBe('application/json');
      expect(req.headers['content-type']).toBe('application/json');
      checkAuthorization(req);
      expect(JSON.parse(req.body)).toEqual({
        appid: account.appid,
        mchid: account.mchid,
        description: `Order ${order.id as string}`,
        out_trade_no: no,
        time_expire: beijing(order.expires_at as string),
        attach: payment.id,
        notify_url: `${app.url}/api/v1/webhooks/wechat/${m.tenantId}`,
        amount: { total: 4999, currency: 'CNY' },
      });
      // fen as a JSON integer, never "4999" or 49.99.
      expect(req.body).toContain('"amount":{"total":4999,"currency":"CNY"}');
      expect(no).toMatch(/^[0-9a-f]{32}$/);

      const t = fake.transaction(no);
      expect(order).toMatchObject({
        pay_way: 'WechatPay',
        pay_id: no,
        pay_url: expect.stringMatching(new RegExp(`/checkout/${order.id as string}$`)),
        price: 49.99,
        charge_amount: null,
        state: 'Pending',
      });
      expect(payment).toMatchObject({
        provider_ref: no,
        amount: '49.99',
        currency: 'CNY',
        action: { kind: 'qr', codeUrl: t.code_url },
      });
      expect(t.code_url).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);

      // The order payment API's `wechat` answers the same QR code without opening another payment.
      const opened = fake.requestsTo('/v3/pay/transactions/native').length;
      const seed = await http(app)
        .post('/api/order/payment')
        .set(m.auth)
        .send({ order_id: order.id, pay_way: 'wechat' })
        .expect(200);
      expect(seed.body).toEqual({ code: 0, msg: '', data: { pay_way: 'wechat', code_url: t.code_url } });
      expect(fake.requestsTo('/v3/pay/transactions/native')).toHaveLength(opened);
    });

    it('charges an HKD package in CNY at the FX rate: HKD 10.00 at 0.9137 is 9.14 CNY, 914 fen', async () => {
      const hkd = await newMerchant(app, { price: 10, currency: 'HKD' });
      await configure(hkd, credentials());
      // HKD/CNY: the FX table is platform-wide, and other suites running beside this one set USD/CNY.
      await http(app).put('/api/v1/admin/fx-rates/HKD/CNY').set(admin).send({ rate: '0.9137' }).expect(200);
      const order = await newWechatOrder(hkd);
      const body = JSON.parse(last('/v3/pay/transactions/native').body);
      expect(body.amount).toEqual({ total: 914, currency: 'CNY' });
      expect(order).toMatchObject({
        price: 10,
        currency: 'HKD',
        charge_amount: 9.14,
        charge_currency: 'CNY',
        fx_rate: 0.9137,
      });
      const payment = await paymentOf(order.id);
      expect(payment).toMatchObject({ amount: '9.14', currency: 'CNY' });
      expect(body.out_trade_no).toBe(outTradeNo(payment.id));

      // The callback reports 914 fen CNY: it matches the charge, and the order is paid.
      const before = await balance(hkd);
      const ack = await fake.payAndNotify(body.out_trade_no as string);
      expect(ack).toEqual({ status: 200, text: '' });
      expect(await orderState(order.id, hkd)).toBe('Finished');
      expect(await balance(hkd)).toBe(before + 500);
    });

    it('answers weapp (order payment API) with mini-program parameters whose paySign verifies', async () => {
      const order = await newOrder(app, m); // a Sandbox order, paid from the mini-program
      const res = await http(app)
        .post('/api/order/payment')
        .set(m.auth)
        .send({ order_id: order.id, pay_way: 'weapp', openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' })
        .expect(200);
      const payment = await paymentOf(order.id);
      const t = fake.transaction(outTradeNo(payment.id));
      expect(res.body).toEqual({
        code: 0,
        msg: '',
        data: {
          pay_way: 'weapp',
          appId: account.appid,
          timeStamp: expect.stringMatching(/^\d{10}$/),
          nonceStr: expect.stringMatching(/^[A-Z0-9]{32}$/),
          package: `prepay_id=${t.prepay_id as string}`,
          signType: 'RSA',
          paySign: expect.any(String),
        },
      });
      const d = res.body.data as Record<string, string>;
      stampedDuringTest(Number(d.timeStamp));
      const signed = `${d.appId}\n${d.timeStamp}\n${d.nonceStr}\n${d.package}\n`;
      expect(
        verify('sha256', Buffer.from(signed), merchantKeys.publicKey, Buffer.from(d.paySign, 'base64')),
      ).toBe(true);
      expect(
        verify('sha256', Buffer.from(`${signed}x`), merchantKeys.publicKey, Buffer.from(d.paySign, 'base64')),
      ).toBe(false);

      const req = last('/v3/pay/transactions/jsapi');
      checkAuthorization(req);
      expect(JSON.parse(req.body)).toMatchObject({
        appid: account.appid,
        mchid: account.mchid,
        out_trade_no: outTradeNo(payment.id),
        payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
        amount: { total: 4999, currency: 'CNY' },
      });
      expect(t.trade_type).toBe('JSAPI');
      expect(payment.provider_ref).toBe(outTradeNo(payment.id));
    });

    it('opens nothing when the answer is not signed by the configured platform key', async () => {
      const before = await orderCount();
      const cases: [string, () => void][] = [
        ['signed with another key', () => (fake.mode = 'badResponseSignature')],
        ['signed under another serial', () => (fake.mode = 'wrongResponseSerial')],
        ['a stale answer', () => (fake.responseSkewSeconds = -400)],
      ];
      for (const [label, set] of cases) {
        set();
        const res = await createOrder();
        expect({ label, status: res.status, code: res.body.code }).toEqual({
          label,
          status: 502,
          code: 'provider_unavailable',
        });
        expect(res.body.message).toMatch(/not trusted/);
        fake.mode = 'ok';
        fake.responseSkewSeconds = 0;
      }
      expect(await orderCount()).toBe(before);
      // WeChat did open these orders, but no payment row points at any of them.
      const opened = fake.requestsTo('/v3/pay/transactions/native').slice(-3);
      for (const r of opened) {
        const rows = await db(app).query('SELECT 1 FROM payments WHERE provider_ref = $1', [
          JSON.parse(r.body).out_trade_no,
        ]);
        expect(rows).toHaveLength(0);
      }
      await createOrder().expect(201);
    });
  });

  describe('callbacks', () => {
    it('finishes the order and credits once on a valid callback; a replay changes nothing', async () => {
      const order = await newWechatOrder();
      const before = await balance();
      const { id } = await paymentOf(order.id);
      fake.pay(outTradeNo(id));
      const cb = fake.callbackFor(outTradeNo(id));
      expect(await fake.send(cb)).toEqual({ status: 200, text: '' });
      expect(await orderState(order.id)).toBe('Finished');
      expect(await balance()).toBe(before + 500);
      expect(await credits(order.id)).toBe(1);
      expect((await paymentOf(order.id)).status).toBe('succeeded');

      expect(await fake.send(cb)).toEqual({ status: 200, text: '' });
      expect(await balance()).toBe(before + 500);
      expect(await credits(order.id)).toBe(1);
      expect(await eventsOf(id)).toBe(1);
    });

    it('takes the platform public key as base64 DER as well', async () => {
      const other = await newMerchant(app, { currency: 'CNY' });
      await configure(other, credentials({ platform_public_key: fake.platformPublicKeyDer }));
      const order = await newWechatOrder(other);
      const { id } = await paymentOf(order.id);
      expect(await fake.payAndNotify(outTradeNo(id))).toEqual({ status: 200, text: '' });
      expect(await orderState(order.id, other)).toBe('Finished');
    });

    it('rejects forged, stale, foreign, undecryptable and tampered callbacks without any change', async () => {
      const order = await newWechatOrder();
      const before = await balance();
      const { id } = await paymentOf(order.id);
      const no = outTradeNo(id);
      fake.pay(no);
      const now = Math.floor(Date.now() / 1000);
      const cases: [string, Parameters<WechatPayFake['callbackFor']>[1], number][] = [
        ['signed with another key', { signWith: fake.impostorKey }, 401],
        ['stale (330 s old)', { timestamp: String(now - 330) }, 401],
        ['from the future (330 s)', { timestamp: String(now + 330) }, 401],
        ['another platform serial', { serial: 'ABCDEF0123456789' }, 401],
        ['encrypted with another APIv3 key', { apiv3Key: 'zzzzzzzzzzABCDEFGHIJ0123456789zz' }, 400],
        ['tampered ciphertext (validly signed)', { tamper: true }, 400],
        ['another merchant id', { plaintext: { mchid: '1900000109' } }, 400],
        ['another appid', { plaintext: { appid: 'wx0000000000000000' } }, 400],
      ];
      for (const [label, opts, status] of cases) {
        const res = await fake.send(fake.callbackFor(no, opts));
        expect({ label, status: res.status }).toEqual({ label, status });
        expect(JSON.parse(res.text)).toEqual({ code: 'FAIL', message: expect.any(String) });
      }
      // A body changed after signing, and a callback without signature headers.
      const cb = fake.callbackFor(no);
      const altered = await fake.send({ ...cb, body: cb.body.replace('"summary"', '"summary" ') });
      expect(altered.status).toBe(401);
      const unsigned = await fake.send({ ...cb, headers: { 'content-type': 'application/json' } });
      expect(unsigned.status).toBe(401);
      // The same reply (a bad signature's 401) for an unknown tenant or one without WeChat Pay.
      expect(await expectOneRefusal(app, 'wechat', m.tenantId)).toMatchObject({
        status: 401,
        body: JSON.stringify({ code: 'FAIL', message: 'notification rejected' }),
      });

      expect(await orderState(order.id)).toBe('Pending');
      expect((await paymentOf(order.id)).status).toBe('pending');
      expect(await credits(order.id)).toBe(0);
      expect(await balance()).toBe(before);
      expect(await eventsOf(id)).toBe(0);

      // The genuine callback still goes through afterwards.
      expect((await fake.send(cb)).status).toBe(200);
      expect(await orderState(order.id)).toBe('Finished');
    });

    it('flags a validly signed callback whose amount differs, and does not credit it', async () => {
      const order = await newWechatOrder();
      const { id } = await paymentOf(order.id);
      fake.pay(outTradeNo(id));
      const res = await fake.send(
        fake.callbackFor(outTradeNo(id), {
          plaintext: { amount: { total: 1, payer_total: 1, currency: 'CNY', payer_currency: 'CNY' } },
        }),
      );
      expect(res.status).toBe(200);
      const payment = await paymentOf(order.id);
      expect(payment.flag_reason).toBe('amount mismatch: expected 49.99, got 0.01');
      expect(payment.status).toBe('pending');
      expect(await orderState(order.id)).toBe('Pending');
      expect(await credits(order.id)).toBe(0);
    });
  });

  describe('refunds', () => {
    const paidOrder = async (): Promise<{ orderId: string; no: string }> => {
      const order = await newWechatOrder();
      const no = outTradeNo((await paymentOf(order.id)).id);
      expect((await fake.payAndNotify(no)).status).toBe(200);
      expect(await orderState(order.id)).toBe('Finished');
      return { orderId: order.id as string, no };
    };

    it('refunds through WeChat in fen, idempotent by out_refund_no; the order is Refunded and debited', async () => {
      const { orderId, no } = await paidOrder();
      const before = await balance();
      const res = await http(app)
        .post(`/api/v1/orders/${orderId}/refunds`)
        .set(m.auth)
        .send({ reason: 'customer asked' })
        .expect(201);
      const req = last('/v3/refund/domestic/refunds');
      checkAuthorization(req);
      expect(JSON.parse(req.body)).toEqual({
        out_trade_no: no,
        out_refund_no: (res.body.id as string).replace(/-/g, ''),
        reason: 'customer asked',
        amount: { refund: 4999, total: 4999, currency: 'CNY' },
      });
      const refund = fake.refunds.get((res.body.id as string).replace(/-/g, ''))!;
      expect(res.body).toMatchObject({
        status: 'succeeded',
        amount: 49.99,
        currency: 'CNY',
        provider: 'wechat',
        provider_refund_id: refund.refund_id,
      });
      expect(await orderState(orderId)).toBe('Refunded');
      expect(await balance()).toBe(before - 500);

      // A retry of the same refund (same out_refund_no) is the same refund at WeChat, not a second one.
      const provider = app.app.get(WechatProvider);
      const ctx = (await app.app.get(ProviderRegistry).contextFor(m.tenantId, 'wechat'))!;
      const again = await provider.refund(
        ctx,
        { paymentId: randomUUID(), providerRef: no, amount: '49.99', currency: 'CNY' },
        { refundId: res.body.id as string, amount: '49.99', currency: 'CNY', reason: 'customer asked' },
      );
      expect(again).toEqual({ status: 'succeeded', providerRefundId: refund.refund_id });
      expect(fake.transaction(no).refunded).toBe(4999);
      const debits = await db(app).query<{ amount: string }[]>(
        `SELECT amount::text FROM ledger_entries WHERE order_id = $1 AND kind = 'refund'`,
        [orderId],
      );
      expect(debits).toEqual([{ amount: '-500.000000' }]);
    });

    it('settles a PROCESSING refund through queryRefund on reconciliation', async () => {
      const { orderId } = await paidOrder();
      fake.refundStatus = 'PROCESSING';
      const res = await http(app)
        .post(`/api/v1/orders/${orderId}/refunds`)
        .set(m.auth)
        .send({ amount: '9.99', reason: 'part' })
        .expect(202);
      expect(res.body.status).toBe('pending');
      const no = (res.body.id as string).replace(/-/g, '');
      expect(JSON.parse(last('/v3/refund/domestic/refunds').body).amount).toEqual({
        refund: 999,
        total: 4999,
        currency: 'CNY',
      });
      fake.refunds.get(no)!.status = 'SUCCESS';
      await db(app).query(`UPDATE refunds SET updated_at = now() - interval '1 hour' WHERE id = $1`, [
        res.body.id,
      ]);
      await app.app.get(ReconciliationService).runOnce({ tenantId: m.tenantId });
      const query = last(`/v3/refund/domestic/refunds/${no}`);
      expect(query.method).toBe('GET');
      expect(query.body).toBe('');
      checkAuthorization(query);
      const [row] = await db(app).query<{ status: string; provider_refund_id: string }[]>(
        'SELECT status, provider_refund_id FROM refunds WHERE id = $1',
        [res.body.id],
      );
      expect(row).toEqual({ status: 'succeeded', provider_refund_id: fake.refunds.get(no)!.refund_id });
      expect(await orderState(orderId)).toBe('PartiallyRefunded');
    });

    /** The balance as exact decimal text (the shared merchant's balance has decimals by now). */
    const exactBalance = async (): Promise<Money> =>
      new Money(
        (
          await db(app).query<{ b: string }[]>('SELECT balance::text AS b FROM applications WHERE id = $1', [
            m.applicationId,
          ])
        )[0].b,
      );
    const refundRow = async (id: unknown) =>
      (
        await db(app).query<{ status: string; failure_message: string | null; provider_refund_id: string }[]>(
          'SELECT status, failure_message, provider_refund_id FROM refunds WHERE id = $1',
          [id],
        )
      )[0];
    /** Reconcile as if the refund had been asked for `createdAgo` ago and last checked long enough ago. */
    const reconcileRefund = async (id: unknown, createdAgo = '1 minute'): Promise<void> => {
      await db(app).query(
        `UPDATE refunds SET created_at = now() - $2::interval, updated_at = now() - interval '2 hours' WHERE id = $1`,
        [id, createdAgo],
      );
      await app.app.get(ReconciliationService).runOnce({ tenantId: m.tenantId });
    };

    it('keeps a timed-out refund WeChat does not show yet (404) pending and reserved, so it is never given twice', async () => {
      const { orderId, no } = await paidOrder();
      const before = await exactBalance();
      fake.refundsUnseen = true; // WeChat takes the refund, the answer is lost, the query does not show it yet
      const res = await http(app)
        .post(`/api/v1/orders/${orderId}/refunds`)
        .set(m.auth)
        .send({ reason: 'answer lost' })
        .expect(202);
      expect(res.body.status).toBe('pending');
      const outRefundNo = (res.body.id as string).replace(/-/g, '');
      expect(fake.transaction(no).refunded).toBe(4999); // the money went back at WeChat
      fake.refundsUnseen = false;

      // Reconciliation asks; WeChat answers 404 (not yet visible): still pending, not failed.
      await reconcileRefund(res.body.id);
      const query = last(`/v3/refund/domestic/refunds/${outRefundNo}`);
      expect(query.method).toBe('GET');
      expect(await refundRow(res.body.id)).toEqual({
        status: 'pending',
        failure_message: null,
        provider_refund_id: null,
      });
      // Still reserved: nothing more can be refunded, so it cannot be given back twice.
      const twice = await http(app)
        .post(`/api/v1/orders/${orderId}/refunds`)
        .set(m.auth)
        .send({ reason: 'again' })
        .expect(422);
      expect(twice.body.code).toBe('refund_exceeds_payment');
      expect(await orderState(orderId)).toBe('Finished');
      expect((await exactBalance()).eq(before)).toBe(true);

      // Hours later, still unknown: still pending.
      await reconcileRefund(res.body.id, '23 hours');
      expect((await refundRow(res.body.id)).status).toBe('pending');

      // WeChat shows it: settled once, debited once.
      fake.revealRefunds();
      await reconcileRefund(res.body.id);
      expect(await refundRow(res.body.id)).toEqual({
        status: 'succeeded',
        failure_message: null,
        provider_refund_id: fake.refunds.get(outRefundNo)!.refund_id,
      });
      expect(await orderState(orderId)).toBe('Refunded');
      expect((await exactBalance()).toFixed()).toBe(before.minus(500).toFixed());
      expect(fake.transaction(no).refunded).toBe(4999);
    });

    it('fails a refund WeChat still does not know a day after it was asked for, releasing its amount', async () => {
      const { orderId, no } = await paidOrder();
      const before = await exactBalance();
      fake.mode = 'hang'; // the refund request never reaches WeChat
      const res = await http(app)
        .post(`/api/v1/orders/${orderId}/refunds`)
        .set(m.auth)
        .send({ reason: 'lost request' })
        .expect(202);
      expect(res.body.status).toBe('pending');
      fake.mode = 'ok';
      expect(fake.transaction(no).refunded).toBe(0);

      await reconcileRefund(res.body.id, '23 hours 59 minutes');
      expect((await refundRow(res.body.id)).status).toBe('pending');

      await reconcileRefund(res.body.id, '24 hours 1 minute');
      const row = await refundRow(res.body.id);
      expect(row.status).toBe('failed');
      expect(row.failure_message).toMatch(/WeChat Pay has no such refund/);
      expect(await orderState(orderId)).toBe('Finished');
      expect((await exactBalance()).eq(before)).toBe(true);

      // The amount is released: a new refund goes through, once.
      await http(app)
        .post(`/api/v1/orders/${orderId}/refunds`)
        .set(m.auth)
        .send({ reason: 'again' })
        .expect(201);
      expect(fake.transaction(no).refunded).toBe(4999);
      expect(await orderState(orderId)).toBe('Refunded');
    });
  });

  it('recovers a lost callback through the query API', async () => {
    const order = await newWechatOrder();
    const { id } = await paymentOf(order.id);
    fake.pay(outTradeNo(id)); // paid, but the callback never arrives
    await app.app.get(ReconciliationService).runOnce({ tenantId: m.tenantId });
    expect(await orderState(order.id)).toBe('Finished');
    expect(await credits(order.id)).toBe(1);
    const query = last(`/v3/pay/transactions/out-trade-no/${outTradeNo(id)}`);
    expect(query.method).toBe('GET');
    expect(query.path).toBe(`/v3/pay/transactions/out-trade-no/${outTradeNo(id)}?mchid=${account.mchid}`);
    expect(query.body).toBe('');
    checkAuthorization(query); // signed with an empty body line
  });

  it('closes the order at WeChat when it expires; closing an unknown or closed order is done', async () => {
    const order = await newWechatOrder();
    const { id } = await paymentOf(order.id);
    const t = fake.transaction(outTradeNo(id));
    // Due before anything else: the sweep takes the database's 100 longest-due orders first.
    await db(app).query(`UPDATE orders SET expires_at = now() - interval '10 years' WHERE id = $1`, [
      order.id,
    ]);
    await app.app.get(OrderExpirySweeper).sweepOnce();
    expect(await orderState(order.id)).toBe('Expired');
    expect(t.trade_state).toBe('CLOSED');
    expect(t.closed_by_merchant).toBe(true);
    const close = last(`/v3/pay/transactions/out-trade-no/${outTradeNo(id)}/close`);
    expect(JSON.parse(close.body)).toEqual({ mchid: account.mchid });
    checkAuthorization(close);

    const provider = app.app.get(WechatProvider);
    const ctx = (await app.app.get(ProviderRegistry).contextFor(m.tenantId, 'wechat'))!;
    const ref = { paymentId: id, providerRef: outTradeNo(id), amount: '49.99', currency: 'CNY' };
    await expect(provider.close(ctx, ref)).resolves.toBeUndefined(); // ORDER_CLOSED
    await expect(
      provider.close(ctx, { ...ref, providerRef: outTradeNo(randomUUID()) }), // ORDER_NOT_EXIST
    ).resolves.toBeUndefined();
    expect(await provider.queryPayment(ctx, ref)).toEqual({ status: 'expired' });
    expect(await provider.queryPayment(ctx, { ...ref, providerRef: outTradeNo(randomUUID()) })).toEqual({
      status: 'pending',
    });
  });

  describe('reopening a payment closes the earlier attempt', () => {
    const OPENID = 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o';
    const reopen = (orderId: unknown, payWay: string) =>
      http(app)
        .post('/api/order/payment')
        .set(m.auth)
        .send({ order_id: orderId, pay_way: payWay, ...(payWay === 'weapp' ? { openid: OPENID } : {}) })
        .expect(200);
    const attempts = (orderId: unknown) =>
      db(app).query<{ id: string; method: string; status: string }[]>(
        `SELECT id, method, status FROM payments WHERE order_id = $1 ORDER BY created_at`,
        [orderId],
      );
    const closesOf = (paymentId: string): number =>
      fake.requestsTo(`/v3/pay/transactions/out-trade-no/${outTradeNo(paymentId)}/close`, 'POST').length;
    const statusOf = async (paymentId: string): Promise<string> =>
      (await db(app).query<{ status: string }[]>('SELECT status FROM payments WHERE id = $1', [paymentId]))[0]
        .status;

    it('closes the Native out_trade_no when the order is reopened as weapp, and the rest when weapp is paid', async () => {
      const order = await newWechatOrder(); // Native
      const [native] = await attempts(order.id);
      expect(native.method).toBe('wechat_native');

      // Reopened in the mini-program: the Native code is closed at WeChat, so it cannot be paid too.
      await reopen(order.id, 'weapp');
      const [, weapp1] = await attempts(order.id);
      expect(weapp1.method).toBe('wechat_jsapi');
      await waitFor(
        'the Native attempt to be cancelled',
        async () => (await statusOf(native.id)) === 'cancelled',
      );
      expect(closesOf(native.id)).toBe(1);
      expect(fake.transaction(outTradeNo(native.id)).trade_state).toBe('CLOSED');
      expect(closesOf(weapp1.id)).toBe(0);

      // Reopened again while WeChat's close fails: the new attempt opens anyway, the old one stays open.
      fake.failClose = true;
      await reopen(order.id, 'weapp');
      const [, , weapp2] = await attempts(order.id);
      await waitFor('a close of the first weapp attempt', () => closesOf(weapp1.id) === 1);
      expect(await statusOf(weapp1.id)).toBe('pending');
      expect(fake.transaction(outTradeNo(weapp1.id)).trade_state).toBe('NOTPAY');
      fake.failClose = false;

      // The payer pays the newest: the order is Finished once, and every other open attempt is closed.
      expect(await fake.payAndNotify(outTradeNo(weapp2.id))).toEqual({ status: 200, text: '' });
      await waitFor(
        'the first weapp attempt to be cancelled',
        async () => (await statusOf(weapp1.id)) === 'cancelled',
      );
      expect(fake.transaction(outTradeNo(weapp1.id)).trade_state).toBe('CLOSED');
      expect(await attempts(order.id)).toEqual([
        { id: native.id, method: 'wechat_native', status: 'cancelled' },
        { id: weapp1.id, method: 'wechat_jsapi', status: 'cancelled' },
        { id: weapp2.id, method: 'wechat_jsapi', status: 'succeeded' },
      ]);
      expect(closesOf(weapp2.id)).toBe(0);
      expect(await orderState(order.id)).toBe('Finished');
      expect(await credits(order.id)).toBe(1);
    });

    it('leaves an attempt WeChat could not close to reconciliation, which closes it later', async () => {
      const order = await newWechatOrder();
      const [native] = await attempts(order.id);
      fake.failClose = true;
      await reopen(order.id, 'weapp');
      await waitFor('a close of the Native attempt', () => closesOf(native.id) === 1);
      expect(await statusOf(native.id)).toBe('pending');
      fake.failClose = false;

      await app.app.get(ReconciliationService).runOnce({ tenantId: m.tenantId });
      expect(closesOf(native.id)).toBe(2);
      expect(await statusOf(native.id)).toBe('cancelled');
      expect(fake.transaction(outTradeNo(native.id)).trade_state).toBe('CLOSED');
      // The newest attempt is left open and payable.
      const [, weapp] = await attempts(order.id);
      expect(weapp.status).toBe('pending');
      expect(fake.transaction(outTradeNo(weapp.id)).trade_state).toBe('NOTPAY');
      expect(await orderState(order.id)).toBe('Pending');
    });
  });

  describe('provider failures', () => {
    it('answers 502 provider_unavailable on a 500 and provider_timeout on a hang, writing no order', async () => {
      const before = await orderCount();
      fake.mode = 'fail500';
      const down = await createOrder().expect(502);
      expect(down.body).toMatchObject({
        code: 'provider_unavailable',
        message: expect.stringContaining('系统错误'),
        details: { provider_code: 'SYSTEM_ERROR' },
      });
      fake.mode = 'hang';
      const slow = await createOrder().expect(502);
      expect(slow.body).toMatchObject({ code: 'provider_timeout' });
      expect(await orderCount()).toBe(before);
      fake.mode = 'ok';
      await createOrder().expect(201);
      expect(await orderCount()).toBe(before + 1);
    });

    it('answers 422 provider_credentials_rejected when WeChat refuses the signature', async () => {
      const other = await newMerchant(app, { currency: 'CNY' });
      const wrongKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString();
      await configure(other, credentials({ private_key: wrongKey }));
      const res = await createOrder(other).expect(422);
      expect(res.body).toMatchObject({
        code: 'provider_credentials_rejected',
        message: expect.stringContaining('签名错误'),
        details: { provider_code: 'SIGN_ERROR' },
      });
      expect(await orderCount(other)).toBe(0);
    });

    it('leaves an order Pending with no payment row when paying it fails, and lets it be paid again', async () => {
      const order = await newOrder(app, m); // a Sandbox order, paid with WeChat (order payment API)
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
        .send({ order_id: order.id, pay_way: 'wechat' })
        .expect(502);
      expect(failed.body).toMatchObject({ code: -1, data: null });
      fake.mode = 'badResponseSignature';
      await http(app)
        .post('/api/order/payment')
        .set(m.auth)
        .send({ order_id: order.id, pay_way: 'wechat' })
        .expect(502);
      expect(await rows()).toEqual(['sandbox']);
      expect(await orderState(order.id)).toBe('Pending');

      fake.mode = 'ok';
      const paid = await http(app)
        .post('/api/order/payment')
        .set(m.auth)
        .send({ order_id: order.id, pay_way: 'wechat' })
        .expect(200);
      expect(paid.body.data).toEqual({
        pay_way: 'wechat',
        code_url: expect.stringMatching(/^weixin:\/\/wxpay\/bizpayurl\?pr=/),
      });
      expect((await rows()).sort()).toEqual(['sandbox', 'wechat']);
      const no = outTradeNo((await paymentOf(order.id)).id);
      expect((await fake.payAndNotify(no)).status).toBe(200);
      expect(await orderState(order.id)).toBe('Finished');
    });
  });
});
