/**
 * An in-process fake of the Alipay OpenAPI gateway (`/gateway.do`, docs/providers.md "Alipay (OpenAPI
 * gateway)") on a free port. Like the real gateway it takes GET and POST, with the parameters in the
 * query string and/or a form body; it checks `app_id`, `sign_type=RSA2`, the `timestamp` (GMT+8) and
 * the RSA2 request signature with the app's public key, answering the gateway's signed
 * `error_response` (40002 isv.invalid-signature / isv.invalid-app-id ...) when they are wrong. It
 * dispatches by `method`, keeps trades and refunds in memory, signs every answer with the Alipay
 * private key over the exact `<method>_response` JSON text (with Alipay's `\/` escapes), records every
 * request, and sends async notifications (form-urlencoded, RSA2-signed) to the notify_url it was given.
 * The signing code here is written independently of the adapter's, on purpose.
 */
import { createSign, createVerify, generateKeyPairSync, KeyObject, randomInt } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  httpMethod: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The raw query string and body, as received. */
  query: string;
  body: string;
  /** Query and form fields merged (what the gateway reads). */
  params: Record<string, string>;
  /** `biz_content`, parsed. */
  biz: Record<string, string>;
  /** Whether the request signature verified with the app's public key. */
  signatureValid: boolean;
}

export type TradeStatus = 'WAIT_BUYER_PAY' | 'TRADE_SUCCESS' | 'TRADE_FINISHED' | 'TRADE_CLOSED';

export interface FakeTrade {
  appId: string;
  outTradeNo: string;
  tradeNo: string;
  totalAmount: string;
  subject: string;
  /** `null` until the payer opens the cashier or scans: alipay.trade.query says ACQ.TRADE_NOT_EXIST. */
  status: TradeStatus | null;
  notifyUrl?: string;
  returnUrl?: string;
  qrCode?: string;
  gmtPayment?: string;
  refunds: Map<string, { amount: string; settled: boolean }>;
}

export interface SentNotify {
  url: string;
  body: string;
  status: number;
  text: string;
}

export type FakeMode = 'ok' | 'http500' | 'http401' | 'hang';

/** `yyyy-MM-dd HH:mm:ss` in GMT+8. */
export function beijingTime(at: Date = new Date()): string {
  const t = new Date(at.getTime() + 8 * 3600_000).toISOString();
  return `${t.slice(0, 10)} ${t.slice(11, 19)}`;
}

/** Sorted `k=v&...` of the non-empty fields but those in `omit`. */
export function signedText(fields: Record<string, string>, omit: string[]): string {
  return Object.keys(fields)
    .filter((k) => !omit.includes(k) && fields[k] !== '')
    .sort()
    .map((k) => `${k}=${fields[k]}`)
    .join('&');
}

export const rsa2 = (text: string, key: KeyObject): string =>
  createSign('RSA-SHA256').update(text, 'utf8').sign(key, 'base64');

export function rsa2Ok(text: string, sig: string, key: KeyObject): boolean {
  try {
    return createVerify('RSA-SHA256').update(text, 'utf8').verify(key, sig, 'base64');
  } catch {
    return false;
  }
}

/** cents of a yuan amount ("71.23" -> 7123n). */
const cents = (yuan: string): bigint => {
  const [i, f = ''] = yuan.split('.');
  return BigInt(i) * 100n + BigInt((f + '00').slice(0, 2));
};
const yuanOf = (c: bigint): string => `${c / 100n}.${(c % 100n).toString().padStart(2, '0')}`;
const YUAN = /^(?:0|[1-9]\d{0,9})(?:\.\d{1,2})?$/;

export class AlipayFake {
  readonly requests: RecordedRequest[] = [];
  readonly trades = new Map<string, FakeTrade>();
  readonly notifies: SentNotify[] = [];
  mode: FakeMode = 'ok';
  /** alipay.trade.close answers HTTP 500 (and closes nothing) while set; everything else works. */
  failClose = false;
  /** `async`: alipay.trade.refund answers fund_change N and the refund settles on settleRefunds(). */
  refundMode: 'sync' | 'async' = 'sync';
  /** Rewrites an answer's `<method>_response` text AFTER it was signed (a tampered answer). */
  rewrite: ((method: string, text: string) => string) | undefined;
  /** The gateway URL (`http://127.0.0.1:<port>/gateway.do`). */
  url = '';
  readonly alipayKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  private readonly apps = new Map<string, KeyObject>();
  private server: Server | undefined;

  /** The Alipay public key as Alipay's console shows it: bare base64 DER. */
  get alipayPublicKeyBase64(): string {
    return this.alipayKeys.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  }

  get alipayPublicKeyPem(): string {
    return this.alipayKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  /** An app the gateway knows, with the app public key uploaded to it. */
  addApp(appId: string, appPublicKey: KeyObject): void {
    this.apps.set(appId, appPublicKey);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/gateway.do`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  requestsFor(method: string): RecordedRequest[] {
    return this.requests.filter((r) => r.params.method === method);
  }

  lastRequest(method: string): RecordedRequest | undefined {
    const all = this.requestsFor(method);
    return all[all.length - 1];
  }

  /** The payer opens a page-pay URL (GET on the gateway): the fake checks it and opens the cashier. */
  async visit(pageUrl: string): Promise<{ status: number; text: string }> {
    const res = await fetch(pageUrl);
    return { status: res.status, text: await res.text() };
  }

  /** The payer logged in / scanned: the trade exists and waits for payment. */
  scan(outTradeNo: string): FakeTrade {
    const t = this.trade(outTradeNo);
    t.status ??= 'WAIT_BUYER_PAY';
    return t;
  }

  /**
   * The payer pays: TRADE_SUCCESS, and (unless `notify: false`) the async notify is sent to the
   * notify_url with `overrides` applied to its fields before signing.
   */
  async pay(
    outTradeNo: string,
    opts: { notify?: boolean; overrides?: Record<string, string> } = {},
  ): Promise<SentNotify | undefined> {
    const t = this.scan(outTradeNo);
    t.status = 'TRADE_SUCCESS';
    t.gmtPayment = beijingTime();
    if (opts.notify === false) return undefined;
    return this.notify(outTradeNo, { overrides: opts.overrides });
  }

  /** The notify fields Alipay sends for the trade's current status. */
  notifyFields(outTradeNo: string, overrides: Record<string, string> = {}): Record<string, string> {
    const t = this.trade(outTradeNo);
    const now = beijingTime();
    return {
      gmt_create: now,
      charset: 'utf-8',
      gmt_payment: t.gmtPayment ?? '',
      notify_time: now,
      subject: t.subject,
      sign_type: 'RSA2',
      buyer_id: '2088102177846880',
      invoice_amount: t.totalAmount,
      version: '1.0',
      notify_id: `2024${Date.now()}${randomInt(1e9)}`,
      fund_bill_list: `[{"amount":"${t.totalAmount}","fundChannel":"ALIPAYACCOUNT"}]`,
      notify_type: 'trade_status_sync',
      out_trade_no: t.outTradeNo,
      total_amount: t.totalAmount,
      trade_status: t.status ?? 'WAIT_BUYER_PAY',
      trade_no: t.tradeNo,
      auth_app_id: t.appId,
      receipt_amount: t.totalAmount,
      point_amount: '0.00',
      buyer_pay_amount: t.totalAmount,
      app_id: t.appId,
      seller_id: '2088102176494201',
      passback_params: '',
      ...overrides,
    };
  }

  /** A form body signed like Alipay's (or with `key`), fields in the order given. */
  signNotify(fields: Record<string, string>, key: KeyObject = this.alipayKeys.privateKey): string {
    const sign = rsa2(signedText(fields, ['sign', 'sign_type']), key);
    return new URLSearchParams({ ...fields, sign }).toString();
  }

  /** Send the trade's notify (fields `overrides`d, signed with `key`) to the notify_url it was given. */
  async notify(
    outTradeNo: string,
    opts: { overrides?: Record<string, string>; key?: KeyObject; to?: string } = {},
  ): Promise<SentNotify> {
    const t = this.trade(outTradeNo);
    const url = opts.to ?? t.notifyUrl;
    if (!url) throw new Error(`trade ${outTradeNo} has no notify_url`);
    return this.post(url, this.signNotify(this.notifyFields(outTradeNo, opts.overrides), opts.key));
  }

  /** POST a form body to a notify URL the way Alipay does (also for replays and forgeries). */
  async post(url: string, body: string): Promise<SentNotify> {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body,
    });
    const sent = { url, body, status: res.status, text: await res.text() };
    this.notifies.push(sent);
    return sent;
  }

  settleRefunds(): void {
    for (const t of this.trades.values()) for (const r of t.refunds.values()) r.settled = true;
  }

  trade(outTradeNo: string): FakeTrade {
    const t = this.trades.get(outTradeNo);
    if (!t) throw new Error(`the fake knows no trade ${outTradeNo}`);
    return t;
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const params: Record<string, string> = {};
    let duplicate = false;
    const take = (from: URLSearchParams): void => {
      for (const [k, v] of from) {
        if (k in params) duplicate = true;
        params[k] = v;
      }
    };
    take(url.searchParams);
    const contentType = String(req.headers['content-type'] ?? '');
    if (req.method === 'POST' && contentType.startsWith('application/x-www-form-urlencoded'))
      take(new URLSearchParams(body));
    const recorded: RecordedRequest = {
      httpMethod: req.method ?? '',
      path: url.pathname,
      headers: req.headers,
      query: url.search.slice(1),
      body,
      params,
      biz: {},
      signatureValid: false,
    };
    this.requests.push(recorded);

    if (this.mode === 'hang') return; // never answers; stop() cuts the connection
    if (this.mode === 'http500') return this.send(res, 500, 'text/plain', 'Internal Server Error');
    if (this.mode === 'http401') return this.send(res, 401, 'text/plain', 'Unauthorized');
    if (url.pathname !== '/gateway.do') return this.send(res, 404, 'text/plain', 'Not Found');

    const method = params.method ?? '';
    const fail = (code: string, msg: string, subCode: string, subMsg: string): void =>
      this.answer(res, method, { code, msg, sub_code: subCode, sub_msg: subMsg }, 'error_response');
    if (duplicate) return fail('40002', 'Invalid Arguments', 'isv.invalid-parameter', '参数重复');
    if (!method) return fail('40001', 'Missing Required Arguments', 'isv.missing-method', '缺少方法名参数');
    const appKey = this.apps.get(params.app_id ?? '');
    if (!appKey) return fail('40002', 'Invalid Arguments', 'isv.invalid-app-id', '无效的AppID参数');
    if (!params.sign)
      return fail('40001', 'Missing Required Arguments', 'isv.missing-signature', '缺少签名参数');
    if (params.sign_type !== 'RSA2')
      return fail('40002', 'Invalid Arguments', 'isv.invalid-signature-type', '无效的签名类型');
    const content = signedText(params, ['sign']);
    recorded.signatureValid = rsa2Ok(content, params.sign, appKey);
    if (!recorded.signatureValid)
      return fail(
        '40002',
        'Invalid Arguments',
        'isv.invalid-signature',
        `验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为：${content}`,
      );
    if (params.charset !== 'utf-8' || params.version !== '1.0')
      return fail('40002', 'Invalid Arguments', 'isv.invalid-parameter', 'charset/version');
    const ts = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(params.timestamp ?? '')
      ? Date.parse(`${params.timestamp.replace(' ', 'T')}+08:00`)
      : NaN;
    // A page-pay URL is opened later by the payer; server calls must be fresh (and in GMT+8).
    const maxSkew = method === 'alipay.trade.page.pay' ? 24 * 3600_000 : 15 * 60_000;
    if (!Number.isFinite(ts) || Math.abs(Date.now() - ts) > maxSkew)
      return fail('40002', 'Invalid Arguments', 'isv.invalid-timestamp', '非法的时间戳参数');
    try {
      recorded.biz = JSON.parse(params.biz_content ?? '{}') as Record<string, string>;
    } catch {
      return fail('40002', 'Invalid Arguments', 'isv.invalid-parameter', 'biz_content 不是 JSON');
    }
    const biz = recorded.biz;
    if (biz.out_trade_no !== undefined && !/^[A-Za-z0-9_]{1,64}$/.test(biz.out_trade_no))
      return fail('40002', 'Invalid Arguments', 'isv.invalid-parameter', 'out_trade_no');
    switch (method) {
      case 'alipay.trade.page.pay':
        return this.pagePay(res, params, biz);
      case 'alipay.trade.precreate':
        return this.precreate(res, params, biz);
      case 'alipay.trade.query':
        return this.query(res, params, biz);
      case 'alipay.trade.close':
        return this.close(res, params, biz);
      case 'alipay.trade.refund':
        return this.refund(res, params, biz);
      case 'alipay.trade.fastpay.refund.query':
        return this.refundQuery(res, params, biz);
      default:
        return fail('40002', 'Invalid Arguments', 'isv.invalid-method', '不存在的方法名');
    }
  }

  private open(params: Record<string, string>, biz: Record<string, string>): FakeTrade | string {
    if (!biz.out_trade_no || !biz.subject || !YUAN.test(biz.total_amount ?? ''))
      return 'missing or bad fields';
    const known = this.trades.get(biz.out_trade_no);
    if (known) {
      if (known.totalAmount !== biz.total_amount) return 'ACQ.TRADE_HAS_EXIST';
      return known;
    }
    const trade: FakeTrade = {
      appId: params.app_id,
      outTradeNo: biz.out_trade_no,
      tradeNo: `${beijingTime().replace(/\D/g, '').slice(0, 8)}22001${String(randomInt(1e9)).padStart(11, '0')}`,
      totalAmount: biz.total_amount,
      subject: biz.subject,
      status: null,
      notifyUrl: params.notify_url || undefined,
      returnUrl: params.return_url || undefined,
      refunds: new Map(),
    };
    this.trades.set(trade.outTradeNo, trade);
    return trade;
  }

  private pagePay(res: ServerResponse, params: Record<string, string>, biz: Record<string, string>): void {
    if (biz.product_code !== 'FAST_INSTANT_TRADE_PAY')
      return this.send(res, 400, 'text/html', '<html><body>product_code 错误</body></html>');
    const t = this.open(params, biz);
    if (typeof t === 'string') return this.send(res, 400, 'text/html', `<html><body>${t}</body></html>`);
    return this.send(
      res,
      200,
      'text/html; charset=utf-8',
      `<html><body>支付宝收银台 ${t.outTradeNo} ¥${t.totalAmount}</body></html>`,
    );
  }

  private precreate(res: ServerResponse, params: Record<string, string>, biz: Record<string, string>): void {
    const t = this.open(params, biz);
    if (typeof t === 'string')
      return this.business(res, params.method, t === 'ACQ.TRADE_HAS_EXIST' ? t : 'ACQ.INVALID_PARAMETER', t);
    t.qrCode ??= `https://qr.alipay.com/bax0${t.tradeNo.slice(-8)}`;
    this.answer(res, params.method, {
      code: '10000',
      msg: 'Success',
      out_trade_no: t.outTradeNo,
      qr_code: t.qrCode,
    });
  }

  private query(res: ServerResponse, params: Record<string, string>, biz: Record<string, string>): void {
    const t = this.trades.get(biz.out_trade_no ?? '');
    if (!t || t.status === null || t.appId !== params.app_id)
      return this.business(res, params.method, 'ACQ.TRADE_NOT_EXIST', '交易不存在');
    this.answer(res, params.method, {
      code: '10000',
      msg: 'Success',
      buyer_logon_id: 'lzn***@sandbox.com',
      buyer_pay_amount: t.status === 'TRADE_SUCCESS' ? t.totalAmount : '0.00',
      out_trade_no: t.outTradeNo,
      total_amount: t.totalAmount,
      trade_no: t.tradeNo,
      trade_status: t.status,
      ...(t.gmtPayment ? { send_pay_date: t.gmtPayment } : {}),
    });
  }

  private close(res: ServerResponse, params: Record<string, string>, biz: Record<string, string>): void {
    if (this.failClose) return this.send(res, 500, 'text/plain', 'Internal Server Error');
    const t = this.trades.get(biz.out_trade_no ?? '');
    if (!t || t.status === null || t.appId !== params.app_id)
      return this.business(res, params.method, 'ACQ.TRADE_NOT_EXIST', '交易不存在');
    if (t.status !== 'WAIT_BUYER_PAY')
      return this.business(res, params.method, 'ACQ.TRADE_STATUS_ERROR', '交易状态不合法');
    t.status = 'TRADE_CLOSED';
    this.answer(res, params.method, {
      code: '10000',
      msg: 'Success',
      out_trade_no: t.outTradeNo,
      trade_no: t.tradeNo,
    });
  }

  private refund(res: ServerResponse, params: Record<string, string>, biz: Record<string, string>): void {
    const t = this.trades.get(biz.out_trade_no ?? '');
    if (!t || t.status === null || t.appId !== params.app_id)
      return this.business(res, params.method, 'ACQ.TRADE_NOT_EXIST', '交易不存在');
    if (!YUAN.test(biz.refund_amount ?? '') || !biz.out_request_no)
      return this.business(res, params.method, 'ACQ.INVALID_PARAMETER', '参数无效');
    const done = (fundChange: 'Y' | 'N', refundFee: bigint): void =>
      this.answer(res, params.method, {
        code: '10000',
        msg: 'Success',
        buyer_logon_id: 'lzn***@sandbox.com',
        fund_change: fundChange,
        out_trade_no: t.outTradeNo,
        refund_fee: yuanOf(refundFee),
        trade_no: t.tradeNo,
      });
    const refunded = (): bigint => [...t.refunds.values()].reduce((s, r) => s + cents(r.amount), 0n);
    const seen = t.refunds.get(biz.out_request_no);
    if (seen) {
      if (seen.amount !== biz.refund_amount)
        return this.business(res, params.method, 'ACQ.REQUEST_AMOUNT_EXCEED', '同一退款请求号金额不一致');
      return done('N', refunded());
    }
    if (t.status !== 'TRADE_SUCCESS')
      return this.business(res, params.method, 'ACQ.TRADE_STATUS_ERROR', '交易状态不合法');
    if (refunded() + cents(biz.refund_amount) > cents(t.totalAmount))
      return this.business(res, params.method, 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', '退款金额超限');
    t.refunds.set(biz.out_request_no, { amount: biz.refund_amount, settled: this.refundMode === 'sync' });
    if (refunded() === cents(t.totalAmount)) t.status = 'TRADE_CLOSED';
    done(this.refundMode === 'sync' ? 'Y' : 'N', refunded());
  }

  private refundQuery(
    res: ServerResponse,
    params: Record<string, string>,
    biz: Record<string, string>,
  ): void {
    const t = this.trades.get(biz.out_trade_no ?? '');
    if (!t || t.status === null || t.appId !== params.app_id)
      return this.business(res, params.method, 'ACQ.TRADE_NOT_EXIST', '交易不存在');
    const r = t.refunds.get(biz.out_request_no ?? '');
    // An unknown (or unsettled) refund: success, without refund_status.
    if (!r) return this.answer(res, params.method, { code: '10000', msg: 'Success' });
    this.answer(res, params.method, {
      code: '10000',
      msg: 'Success',
      out_request_no: biz.out_request_no,
      out_trade_no: t.outTradeNo,
      refund_amount: r.amount,
      total_amount: t.totalAmount,
      trade_no: t.tradeNo,
      ...(r.settled ? { refund_status: 'REFUND_SUCCESS' } : {}),
    });
  }

  private business(res: ServerResponse, method: string, subCode: string, subMsg: string): void {
    this.answer(res, method, { code: '40004', msg: 'Business Failed', sub_code: subCode, sub_msg: subMsg });
  }

  /** `{"<key>":<text>,"sign":"..."}`, signed over the exact text (with Alipay's `\/` escapes). */
  private answer(res: ServerResponse, method: string, payload: Record<string, string>, key?: string): void {
    const member = key ?? `${method.replace(/\./g, '_')}_response`;
    const text = JSON.stringify(payload).replace(/\//g, '\\/');
    const sign = rsa2(text, this.alipayKeys.privateKey);
    const sent = this.rewrite ? this.rewrite(method, text) : text;
    this.send(res, 200, 'text/html;charset=utf-8', `{"${member}":${sent},"sign":"${sign}"}`);
  }

  private send(res: ServerResponse, status: number, contentType: string, body: string): void {
    res.writeHead(status, { 'content-type': contentType });
    res.end(body);
  }
}
