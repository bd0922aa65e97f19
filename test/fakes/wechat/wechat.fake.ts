/**
 * An in-process fake of WeChat Pay API v3 (docs/providers.md "WeChat Pay v3") on a free port. It checks
 * every request's `WECHATPAY2-SHA256-RSA2048` Authorization the way WeChat does (the merchant's
 * serial, a fresh timestamp, the RSA-SHA256 signature over `METHOD\nURL\ntimestamp\nnonce\nbody\n`
 * verified with the merchant's PUBLIC key) and answers 401 SIGN_ERROR when it is wrong; it checks the
 * body fields, records every request, keeps transactions and refunds in memory, signs every answer
 * with its platform key (Wechatpay-Timestamp/-Nonce/-Serial/-Signature), and sends TRANSACTION.SUCCESS
 * callbacks encrypted with the APIv3 key and signed with the platform key to the notify_url it got.
 * The crypto here is written independently of the adapter's, on purpose.
 *
 * WeChat requires an https notify_url; tests run the app on http://127.0.0.1, so the fake accepts
 * http unless `requireHttpsNotifyUrl` is set (a query string is always refused).
 */
import {
  createCipheriv,
  createPublicKey,
  generateKeyPairSync,
  KeyObject,
  randomBytes,
  randomUUID,
  sign,
  verify,
} from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path and query, as sent (and signed). */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface WechatMerchant {
  mchid: string;
  appid: string;
  serialNo: string;
  /** The merchant's public key (WeChat keeps it from the merchant's API certificate). */
  publicKey: KeyObject;
  apiv3Key: string;
}

export interface FakeTransaction {
  mchid: string;
  appid: string;
  out_trade_no: string;
  transaction_id: string | null;
  trade_type: 'NATIVE' | 'JSAPI';
  /** What the open call answered: code_url (NATIVE) or prepay_id (JSAPI). */
  code_url?: string;
  prepay_id?: string;
  trade_state: 'NOTPAY' | 'SUCCESS' | 'CLOSED' | 'REFUND' | 'PAYERROR';
  total: number;
  currency: string;
  notify_url: string;
  attach?: string;
  openid?: string;
  description: string;
  time_expire?: string;
  success_time: string | null;
  closed_by_merchant: boolean;
  refunded: number;
}

export interface FakeRefund {
  refund_id: string;
  out_refund_no: string;
  out_trade_no: string;
  refund: number;
  total: number;
  status: 'SUCCESS' | 'PROCESSING' | 'CLOSED' | 'ABNORMAL';
}

export interface FakeCallback {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export type FakeMode = 'ok' | 'fail500' | 'hang' | 'badResponseSignature' | 'wrongResponseSerial';

export class WechatPayFake {
  readonly requests: RecordedRequest[] = [];
  readonly transactions = new Map<string, FakeTransaction>();
  readonly refunds = new Map<string, FakeRefund>();
  mode: FakeMode = 'ok';
  /** Close requests answer 500 SYSTEM_ERROR (and close nothing) while set; everything else works. */
  failClose = false;
  requireHttpsNotifyUrl = false;
  /** The status new refunds get. */
  refundStatus: FakeRefund['status'] = 'SUCCESS';
  /**
   * When set, a refund request is taken (the money goes back) but never answered, and the refund
   * query answers 404 for it until revealRefunds(): a refund call that timed out and is not yet
   * visible at WeChat.
   */
  refundsUnseen = false;
  /** Refunds taken while `refundsUnseen` was set, not yet shown by the query. */
  readonly unseenRefunds = new Map<string, FakeRefund>();
  /** Shift of the Wechatpay-Timestamp on answers (seconds), for the clock-skew check. */
  responseSkewSeconds = 0;
  url = '';
  readonly platformSerial = randomBytes(20).toString('hex').toUpperCase();
  private readonly platform = generateKeyPairSync('rsa', { modulusLength: 2048 });
  private readonly impostor = generateKeyPairSync('rsa', { modulusLength: 2048 });
  private readonly merchants = new Map<string, WechatMerchant>();
  private server: Server | undefined;

  /** The platform public key as the merchant console hands it out (PEM). */
  get platformPublicKeyPem(): string {
    return this.platform.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  /** The same key as base64 DER (the other form the adapter must take). */
  get platformPublicKeyDer(): string {
    return this.platform.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  }

  /** A private key that is not the platform's, to forge callbacks with. */
  get impostorKey(): KeyObject {
    return this.impostor.privateKey;
  }

  addMerchant(m: Omit<WechatMerchant, 'publicKey'> & { publicKey: KeyObject | string }): void {
    const publicKey = typeof m.publicKey === 'string' ? createPublicKey(m.publicKey) : m.publicKey;
    this.merchants.set(m.mchid, { ...m, publicKey });
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** Requests whose path (without the query) is `path`, oldest first. */
  requestsTo(path: string, method?: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path.split('?')[0] === path && (!method || r.method === method));
  }

  transaction(outTradeNo: string): FakeTransaction {
    const t = this.transactions.get(outTradeNo);
    if (!t) throw new Error(`fake: no transaction ${outTradeNo}`);
    return t;
  }

  /** WeChat now shows the refunds it took unseen (see `refundsUnseen`). */
  revealRefunds(): void {
    for (const [no, r] of this.unseenRefunds) this.refunds.set(no, r);
    this.unseenRefunds.clear();
  }

  /** The payer paid (no callback sent). */
  pay(outTradeNo: string): FakeTransaction {
    const t = this.transaction(outTradeNo);
    t.trade_state = 'SUCCESS';
    t.transaction_id = `4200${Date.now()}${randomBytes(4).toString('hex')}`.slice(0, 28);
    t.success_time = rfc3339(new Date());
    return t;
  }

  /** Pay and send the TRANSACTION.SUCCESS callback to the notify_url; returns the app's answer. */
  async payAndNotify(outTradeNo: string): Promise<{ status: number; text: string }> {
    this.pay(outTradeNo);
    return this.send(this.callbackFor(outTradeNo));
  }

  /**
   * The callback WeChat sends for a transaction: `{id, create_time, event_type, resource_type,
   * summary, resource}` with the transaction encrypted AES-256-GCM under the APIv3 key, signed with
   * the platform key over `timestamp\nnonce\nbody\n`. Options forge or break it for the tests.
   */
  callbackFor(
    outTradeNo: string,
    opts: {
      id?: string;
      eventType?: string;
      /** Fields to override in the decrypted transaction (e.g. amount, mchid). */
      plaintext?: Record<string, unknown>;
      timestamp?: string;
      signWith?: KeyObject;
      serial?: string;
      apiv3Key?: string;
      tamper?: boolean;
    } = {},
  ): FakeCallback {
    const t = this.transaction(outTradeNo);
    const merchant = this.merchants.get(t.mchid)!;
    const detail = {
      appid: t.appid,
      mchid: t.mchid,
      out_trade_no: t.out_trade_no,
      transaction_id: t.transaction_id,
      trade_type: t.trade_type,
      trade_state: t.trade_state,
      trade_state_desc: t.trade_state === 'SUCCESS' ? '支付成功' : '未支付',
      bank_type: 'OTHERS',
      attach: t.attach ?? '',
      success_time: t.success_time,
      payer: { openid: t.openid ?? 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
      amount: { total: t.total, payer_total: t.total, currency: t.currency, payer_currency: t.currency },
      ...opts.plaintext,
    };
    const nonce = randomBytes(6).toString('hex');
    const aad = 'transaction';
    const cipher = createCipheriv(
      'aes-256-gcm',
      Buffer.from(opts.apiv3Key ?? merchant.apiv3Key, 'utf8'),
      Buffer.from(nonce, 'utf8'),
    );
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const sealed = Buffer.concat([
      cipher.update(JSON.stringify(detail), 'utf8'),
      cipher.final(),
      cipher.getAuthTag(),
    ]);
    if (opts.tamper) sealed[3] ^= 0x01;
    const body = JSON.stringify({
      id: opts.id ?? randomUUID(),
      create_time: rfc3339(new Date()),
      resource_type: 'encrypt-resource',
      event_type: opts.eventType ?? 'TRANSACTION.SUCCESS',
      summary: '支付成功',
      resource: {
        original_type: 'transaction',
        algorithm: 'AEAD_AES_256_GCM',
        ciphertext: sealed.toString('base64'),
        associated_data: aad,
        nonce,
      },
    });
    const timestamp = opts.timestamp ?? String(Math.floor(Date.now() / 1000));
    const signNonce = randomBytes(16).toString('hex');
    return {
      url: t.notify_url,
      headers: {
        'content-type': 'application/json',
        'wechatpay-timestamp': timestamp,
        'wechatpay-nonce': signNonce,
        'wechatpay-serial': opts.serial ?? this.platformSerial,
        'wechatpay-signature': rsa(
          opts.signWith ?? this.platform.privateKey,
          `${timestamp}\n${signNonce}\n${body}\n`,
        ),
        'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
      },
      body,
    };
  }

  /** POST a callback; returns WeChat's view of the answer. */
  async send(cb: FakeCallback): Promise<{ status: number; text: string }> {
    const res = await fetch(cb.url, { method: 'POST', headers: cb.headers, body: cb.body });
    return { status: res.status, text: await res.text() };
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const path = req.url ?? '/';
    const method = req.method ?? '';
    this.requests.push({ method, path, headers: { ...req.headers }, body });
    if (this.mode === 'hang') return; // never answers; the adapter's timeout must fire
    if (this.mode === 'fail500') return this.reply(res, 500, { code: 'SYSTEM_ERROR', message: '系统错误' });

    const merchant = this.authenticate(req, method, path, body);
    if (!merchant) return this.reply(res, 401, { code: 'SIGN_ERROR', message: '签名错误' });
    let json: Record<string, unknown> = {};
    if (method === 'POST') {
      try {
        json = JSON.parse(body) as Record<string, unknown>;
      } catch {
        return this.reply(res, 400, { code: 'PARAM_ERROR', message: '请求体不是JSON' });
      }
    }
    const url = new URL(path, 'http://fake');
    const p = url.pathname;
    let m: RegExpMatchArray | null;
    if (method === 'POST' && p === '/v3/pay/transactions/native')
      return this.open(res, merchant, json, 'NATIVE');
    if (method === 'POST' && p === '/v3/pay/transactions/jsapi')
      return this.open(res, merchant, json, 'JSAPI');
    if (method === 'GET' && (m = /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)$/.exec(p)))
      return this.query(res, merchant, decodeURIComponent(m[1]), url.searchParams.get('mchid'));
    if (method === 'POST' && (m = /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)\/close$/.exec(p)))
      return this.close(res, merchant, decodeURIComponent(m[1]), json);
    if (method === 'POST' && p === '/v3/refund/domestic/refunds') return this.refund(res, merchant, json);
    if (method === 'GET' && (m = /^\/v3\/refund\/domestic\/refunds\/([^/]+)$/.exec(p)))
      return this.queryRefund(res, decodeURIComponent(m[1]));
    return this.reply(res, 404, { code: 'NOT_FOUND', message: '接口不存在' });
  }

  /** WeChat's request check: the scheme, a known mchid and its serial, a fresh timestamp, a valid signature. */
  private authenticate(
    req: IncomingMessage,
    method: string,
    path: string,
    body: string,
  ): WechatMerchant | null {
    const header = req.headers.authorization ?? '';
    const scheme = 'WECHATPAY2-SHA256-RSA2048 ';
    if (!header.startsWith(scheme)) return null;
    const params = new Map<string, string>();
    for (const m of header.slice(scheme.length).matchAll(/(\w+)="([^"]*)"/g)) params.set(m[1], m[2]);
    const merchant = this.merchants.get(params.get('mchid') ?? '');
    if (!merchant || params.get('serial_no') !== merchant.serialNo) return null;
    const timestamp = params.get('timestamp') ?? '';
    const nonce = params.get('nonce_str') ?? '';
    if (!/^\d{10}$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return null;
    if (nonce.length === 0 || nonce.length > 32) return null;
    const message = `${method}\n${path}\n${timestamp}\n${nonce}\n${body}\n`;
    try {
      const ok = verify(
        'sha256',
        Buffer.from(message, 'utf8'),
        merchant.publicKey,
        Buffer.from(params.get('signature') ?? '', 'base64'),
      );
      return ok ? merchant : null;
    } catch {
      return null;
    }
  }

  private open(
    res: ServerResponse,
    merchant: WechatMerchant,
    b: Record<string, unknown>,
    type: 'NATIVE' | 'JSAPI',
  ): void {
    const bad = (message: string): void => this.reply(res, 400, { code: 'PARAM_ERROR', message });
    if (b.mchid !== merchant.mchid) return bad('mchid与请求头不一致');
    if (b.appid !== merchant.appid)
      return this.reply(res, 400, { code: 'APPID_MCHID_NOT_MATCH', message: 'appid和mch_id不匹配' });
    const description = typeof b.description === 'string' ? b.description : '';
    if (Array.from(description).length < 1 || Array.from(description).length > 127)
      return bad('description长度应在1-127之间');
    const outTradeNo = typeof b.out_trade_no === 'string' ? b.out_trade_no : '';
    if (!/^[0-9A-Za-z_\-*]{6,32}$/.test(outTradeNo)) return bad('out_trade_no格式错误');
    const notifyUrl = typeof b.notify_url === 'string' ? b.notify_url : '';
    const scheme = this.requireHttpsNotifyUrl ? /^https:\/\/[^?]+$/ : /^https?:\/\/[^?]+$/;
    if (!scheme.test(notifyUrl)) return bad('notify_url格式错误');
    const amount = b.amount as { total?: unknown; currency?: unknown } | undefined;
    if (!amount || !Number.isInteger(amount.total) || (amount.total as number) < 1)
      return bad('amount.total必须为正整数(单位:分)');
    if (amount.currency !== undefined && amount.currency !== 'CNY') return bad('amount.currency只支持CNY');
    if (
      b.time_expire !== undefined &&
      (typeof b.time_expire !== 'string' ||
        !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)$/.test(b.time_expire))
    )
      return bad('time_expire格式错误');
    if (b.attach !== undefined && (typeof b.attach !== 'string' || b.attach.length > 128))
      return bad('attach长度不能超过128');
    const payer = b.payer as { openid?: unknown } | undefined;
    if (type === 'JSAPI' && (typeof payer?.openid !== 'string' || payer.openid.length === 0))
      return bad('payer.openid不能为空');
    if (this.transactions.has(outTradeNo))
      return this.reply(res, 400, { code: 'INVALID_REQUEST', message: '201 商户订单号重复' });
    this.transactions.set(outTradeNo, {
      mchid: merchant.mchid,
      appid: merchant.appid,
      out_trade_no: outTradeNo,
      transaction_id: null,
      trade_type: type,
      trade_state: 'NOTPAY',
      total: amount.total as number,
      currency: 'CNY',
      notify_url: notifyUrl,
      attach: b.attach,
      openid: payer?.openid as string | undefined,
      description,
      time_expire: b.time_expire,
      success_time: null,
      closed_by_merchant: false,
      refunded: 0,
    });
    const t = this.transactions.get(outTradeNo)!;
    if (type === 'NATIVE') {
      t.code_url = `weixin://wxpay/bizpayurl?pr=${randomBytes(6).toString('base64url')}`;
      return this.reply(res, 200, { code_url: t.code_url });
    }
    t.prepay_id = `wx${Date.now()}${randomBytes(8).toString('hex')}`;
    return this.reply(res, 200, { prepay_id: t.prepay_id });
  }

  private query(
    res: ServerResponse,
    merchant: WechatMerchant,
    outTradeNo: string,
    mchid: string | null,
  ): void {
    if (mchid !== merchant.mchid)
      return this.reply(res, 400, { code: 'PARAM_ERROR', message: 'mchid参数错误' });
    const t = this.transactions.get(outTradeNo);
    if (!t || t.mchid !== merchant.mchid)
      return this.reply(res, 404, { code: 'ORDER_NOT_EXIST', message: '订单不存在' });
    const paid = t.trade_state === 'SUCCESS' || t.trade_state === 'REFUND';
    this.reply(res, 200, {
      appid: t.appid,
      mchid: t.mchid,
      out_trade_no: t.out_trade_no,
      trade_state: t.trade_state,
      trade_state_desc: paid ? '支付成功' : '订单未支付',
      attach: t.attach ?? '',
      amount: paid
        ? { total: t.total, payer_total: t.total, currency: t.currency, payer_currency: t.currency }
        : { payer_currency: 'CNY' },
      ...(paid
        ? {
            transaction_id: t.transaction_id,
            trade_type: t.trade_type,
            bank_type: 'OTHERS',
            success_time: t.success_time,
            payer: { openid: t.openid ?? 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
          }
        : {}),
    });
  }

  private close(
    res: ServerResponse,
    merchant: WechatMerchant,
    outTradeNo: string,
    b: Record<string, unknown>,
  ): void {
    if (this.failClose) return this.reply(res, 500, { code: 'SYSTEM_ERROR', message: '系统错误' });
    if (b.mchid !== merchant.mchid)
      return this.reply(res, 400, { code: 'PARAM_ERROR', message: 'mchid参数错误' });
    const t = this.transactions.get(outTradeNo);
    if (!t) return this.reply(res, 404, { code: 'ORDER_NOT_EXIST', message: '订单不存在' });
    if (t.trade_state === 'CLOSED')
      return this.reply(res, 400, { code: 'ORDER_CLOSED', message: '订单已关闭' });
    if (t.trade_state !== 'NOTPAY') return this.reply(res, 400, { code: 'ORDERPAID', message: '订单已支付' });
    t.trade_state = 'CLOSED';
    t.closed_by_merchant = true;
    this.reply(res, 204, null);
  }

  private refund(res: ServerResponse, merchant: WechatMerchant, b: Record<string, unknown>): void {
    const bad = (message: string): void => this.reply(res, 400, { code: 'PARAM_ERROR', message });
    const outRefundNo = typeof b.out_refund_no === 'string' ? b.out_refund_no : '';
    if (!/^[0-9A-Za-z_\-*|@]{1,64}$/.test(outRefundNo)) return bad('out_refund_no格式错误');
    if (this.unseenRefunds.has(outRefundNo)) return; // still unseen: no answer again
    const existing = this.refunds.get(outRefundNo);
    if (existing) return this.reply(res, 200, this.refundView(existing));
    const t = this.transactions.get(typeof b.out_trade_no === 'string' ? b.out_trade_no : '');
    if (!t || t.mchid !== merchant.mchid)
      return this.reply(res, 404, { code: 'RESOURCE_NOT_EXISTS', message: '订单不存在' });
    if (t.trade_state !== 'SUCCESS' && t.trade_state !== 'REFUND')
      return this.reply(res, 403, { code: 'NOT_ENOUGH', message: '订单未支付' });
    const amount = b.amount as { refund?: unknown; total?: unknown; currency?: unknown } | undefined;
    if (
      !amount ||
      !Number.isInteger(amount.refund) ||
      !Number.isInteger(amount.total) ||
      amount.currency !== 'CNY'
    )
      return bad('amount.refund/total必须为整数(分), currency为CNY');
    if (amount.total !== t.total) return bad('amount.total与原订单金额不一致');
    const refund = amount.refund as number;
    if (refund < 1 || t.refunded + refund > t.total)
      return this.reply(res, 403, { code: 'NOT_ENOUGH', message: '申请退款金额超过订单可退金额' });
    t.refunded += refund;
    t.trade_state = 'REFUND';
    const r: FakeRefund = {
      refund_id: `50000${Date.now()}${randomBytes(4).toString('hex')}`.slice(0, 32),
      out_refund_no: outRefundNo,
      out_trade_no: t.out_trade_no,
      refund,
      total: t.total,
      status: this.refundStatus,
    };
    if (this.refundsUnseen) {
      this.unseenRefunds.set(outRefundNo, r);
      return; // taken, but the answer is lost: the caller's timeout fires
    }
    this.refunds.set(outRefundNo, r);
    this.reply(res, 200, this.refundView(r));
  }

  private queryRefund(res: ServerResponse, outRefundNo: string): void {
    const r = this.refunds.get(outRefundNo);
    if (!r) return this.reply(res, 404, { code: 'RESOURCE_NOT_EXISTS', message: '退款单不存在' });
    this.reply(res, 200, this.refundView(r));
  }

  private refundView(r: FakeRefund): Record<string, unknown> {
    return {
      refund_id: r.refund_id,
      out_refund_no: r.out_refund_no,
      transaction_id: this.transactions.get(r.out_trade_no)?.transaction_id,
      out_trade_no: r.out_trade_no,
      channel: 'ORIGINAL',
      user_received_account: '支付用户零钱',
      create_time: rfc3339(new Date()),
      status: r.status,
      amount: {
        total: r.total,
        refund: r.refund,
        payer_total: r.total,
        payer_refund: r.refund,
        settlement_refund: r.refund,
        settlement_total: r.total,
        discount_refund: 0,
        currency: 'CNY',
      },
    };
  }

  /** Every answer is signed with the platform key, as WeChat signs its answers (errors included). */
  private reply(res: ServerResponse, status: number, body: unknown): void {
    const text = body === null ? '' : JSON.stringify(body);
    const timestamp = String(Math.floor(Date.now() / 1000) + this.responseSkewSeconds);
    const nonce = randomBytes(16).toString('hex');
    const key = this.mode === 'badResponseSignature' ? this.impostor.privateKey : this.platform.privateKey;
    const headers: Record<string, string> = {
      'request-id': randomUUID(),
      'wechatpay-timestamp': timestamp,
      'wechatpay-nonce': nonce,
      'wechatpay-serial': this.mode === 'wrongResponseSerial' ? 'FFFF0000' : this.platformSerial,
      'wechatpay-signature': rsa(key, `${timestamp}\n${nonce}\n${text}\n`),
    };
    if (text) headers['content-type'] = 'application/json; charset=utf-8';
    res.writeHead(status, headers).end(text);
  }
}

function rsa(key: KeyObject, message: string): string {
  return sign('sha256', Buffer.from(message, 'utf8'), key).toString('base64');
}

function rfc3339(at: Date): string {
  return `${new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 19)}+08:00`;
}
