/**
 * An in-process fake of Alchemy Pay's crypto payment API (docs/providers.md "Alchemy Pay") on a
 * free port. It checks every request's `sign` the way Alchemy does (SHA-512 of the Sign=Y fields,
 * sorted, `&key=<appSecret>`; 8007 when wrong), validates Alchemy Pay's docs' field rules (digits-only
 * merchantOrderNo, the payCurrency amount rule in the configured unit, mandatory fields, orderModel:
 * 8000; the token/network table: 8013), refuses a repeated merchantOrderNo (8011), records every
 * request, keeps orders in memory, answers the query API, and sends callbacks signed the real way.
 * The signing here is written independently of the adapter's, on purpose.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface FakeOrder {
  orderNo: string;
  appId: string;
  merchantOrderNo: string;
  orderAmount: string;
  payCurrency: string;
  userId: string;
  orderStatus: string;
  callbackURL?: string;
  redirectURL?: string;
  paymentTokens?: string;
  paymentNetworks?: string;
  webUrl: string;
}

export interface FakeCallback {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** `ok`, or a failure every create/query answers with. */
export type FakeMode = 'ok' | 'fail500' | 'hang' | 'code8000' | 'code8011' | 'code8012' | 'code8013';

const SIGNED_CREATE = [
  'appId',
  'merchantOrderNo',
  'orderAmount',
  'payCurrency',
  'userId',
  'paymentExchange',
  'paymentTokens',
];
const SIGNED_QUERY = ['appId', 'merchantOrderNo'];
const TWO_DECIMALS = new Set(['USD', 'EUR', 'HKD']);
const INTEGERS = new Set(['IDR', 'THB', 'VND']);
const TOKENS: Record<string, string[]> = {
  USDT: ['TRX', 'BSC', 'ETH', 'SOL'],
  USDC: ['TRX', 'BSC', 'ETH', 'SOL'],
  ETH: ['ETH', 'BSC'],
  BTC: ['BTC'],
  PCI: ['ETH', 'PCI'],
  TON: ['TON'],
};

/** Alchemy's signature, independently: sha512(sorted non-empty `k=v` joined by `&` + `&key=secret`). */
export function fakeSign(fields: Record<string, unknown>, names: string[] | 'all', secret: string): string {
  const keys = (names === 'all' ? Object.keys(fields).filter((k) => k !== 'sign') : names)
    .filter((k) => {
      const v = fields[k];
      return (typeof v === 'string' && v !== '') || typeof v === 'number' || typeof v === 'boolean';
    })
    .sort();
  const text = [...keys.map((k) => `${k}=${String(fields[k])}`), `key=${secret}`].join('&');
  return createHash('sha512').update(text).digest('hex').toUpperCase();
}

export class AlchemyFake {
  readonly requests: RecordedRequest[] = [];
  readonly orders = new Map<string, FakeOrder>();
  mode: FakeMode = 'ok';
  /** How this fake reads `orderAmount` (the docs disagree; it must match the adapter's setting). */
  amountUnit: 'decimal' | 'cent' = 'decimal';
  url = '';
  private readonly secrets = new Map<string, string>();
  private server: Server | undefined;
  private seq = 0;

  addAccount(appId: string, appSecret: string): void {
    this.secrets.set(appId, appSecret);
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

  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  lastTo(path: string): RecordedRequest {
    const all = this.requestsTo(path);
    if (all.length === 0) throw new Error(`fake: no request to ${path}`);
    return all[all.length - 1];
  }

  order(orderNo: string): FakeOrder {
    const o = this.orders.get(orderNo);
    if (!o) throw new Error(`fake: no order ${orderNo}`);
    return o;
  }

  /** The order changes state at Alchemy (no callback sent: the query will tell). */
  setStatus(orderNo: string, status: string): void {
    this.order(orderNo).orderStatus = status;
  }

  /**
   * The callback Alchemy would send for an order: the query answer's fields plus `sign` over every
   * non-empty field. `fields` overrides fields before signing, `after` after signing (tampering).
   */
  callbackFor(
    orderNo: string,
    opts: {
      status?: string;
      fields?: Record<string, unknown>;
      after?: Record<string, unknown>;
      signWith?: string;
    } = {},
  ): FakeCallback {
    const o = this.order(orderNo);
    if (opts.status) o.orderStatus = opts.status;
    const body: Record<string, unknown> = { ...this.view(o), ...opts.fields };
    body.sign = fakeSign(body, 'all', opts.signWith ?? this.secrets.get(o.appId)!);
    Object.assign(body, opts.after);
    if (!o.callbackURL) throw new Error('fake: the order has no callbackURL');
    return {
      url: o.callbackURL,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    };
  }

  async send(cb: FakeCallback): Promise<{ status: number; contentType: string | null; text: string }> {
    const res = await fetch(cb.url, { method: 'POST', headers: cb.headers, body: cb.body });
    return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() };
  }

  /** What the query API and callbacks report about an order. */
  private view(o: FakeOrder): Record<string, unknown> {
    const paid = o.orderStatus === 'COMPLETED' || o.orderStatus === 'DELAY_SUCCESS';
    const token = o.paymentTokens?.split(',')[0] ?? 'USDT';
    return {
      appId: o.appId,
      orderNo: o.orderNo,
      orderStatus: o.orderStatus,
      userId: o.userId,
      merchantOrderNo: o.merchantOrderNo,
      orderCurrency: o.payCurrency,
      orderAmount: o.orderAmount,
      payCryptoRate: paid ? '1.0001' : '',
      payFiatRate: paid ? '1' : '',
      payCryptoCurrency: paid ? token : '',
      payCryptoVolume: paid ? '49.990000' : '',
      payCryptoNetwork: paid ? (o.paymentNetworks?.split(',')[0] ?? 'TRX') : '',
      address: 'TQjxEW2Z3p9wjo1111111gJUrWXBun91w',
      hxAddress: paid ? randomBytes(32).toString('hex') : '',
      failReason: o.orderStatus === 'FAILED' ? 'underpaid' : '',
      fee: paid ? '0.25' : '',
    };
  }

  private handle(req: IncomingMessage, res: ServerResponse, text: string): void {
    const path = req.url ?? '/';
    this.requests.push({ method: req.method ?? '', path, headers: { ...req.headers }, body: text });
    if (this.mode === 'hang') return; // never answers; the adapter's timeout must fire
    if (this.mode === 'fail500') return reply(res, 500, { code: '500', msg: 'internal server error' });
    if (req.method !== 'POST') return reply(res, 405, { code: '405', msg: 'method not allowed' });
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? ''))
      return answer(res, '8003', 'Content-type should be application/json');
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('not an object');
    } catch {
      return answer(res, '8004', 'Request parameter format is incorrect. It needs to be JSON.');
    }
    if (Object.values(body).some((v) => typeof v !== 'string'))
      return answer(res, '8000', 'every parameter must be a string');
    const fields = body as Record<string, string>;
    const secret = this.secrets.get(fields.appId ?? '');
    if (!secret) return answer(res, '8000', 'appId does not exist');
    if (path === '/open/api/payment') return this.create(res, fields, secret);
    if (path === '/open/api/payment/query') return this.query(res, fields, secret);
    return reply(res, 404, { code: '404', msg: 'not found' });
  }

  private create(res: ServerResponse, f: Record<string, string>, secret: string): void {
    for (const name of ['appId', 'sign', 'merchantOrderNo', 'orderAmount', 'payCurrency', 'userId'])
      if (!f[name]) return answer(res, '8000', `${name} is mandatory`);
    if (fakeSign(f, SIGNED_CREATE, secret) !== f.sign) return answer(res, '8007', 'sign error');
    if (this.mode === 'code8000') return answer(res, '8000', 'Parameter validation error');
    if (this.mode === 'code8011') return answer(res, '8011', 'Repeat merchantOrderNo');
    if (this.mode === 'code8012') return answer(res, '8012', 'Illegal IP');
    if (this.mode === 'code8013') return answer(res, '8013', 'Unsupported Crypto');
    if (!/^\d{1,64}$/.test(f.merchantOrderNo)) return answer(res, '8000', 'merchantOrderNo only number');
    if (f.userId.length > 128) return answer(res, '8000', 'userId too long');
    if (!TWO_DECIMALS.has(f.payCurrency) && !INTEGERS.has(f.payCurrency))
      return answer(res, '8000', `payCurrency ${f.payCurrency} is not supported`);
    const amountRule =
      this.amountUnit === 'cent' || INTEGERS.has(f.payCurrency)
        ? /^[1-9]\d*$/
        : // up to 2 decimals, none of them a trailing zero ("2 non-zero decimal places")
          /^(0|[1-9]\d*)(\.\d?[1-9])?$/;
    if (!amountRule.test(f.orderAmount) || /^0(\.0+)?$/.test(f.orderAmount))
      return answer(res, '8000', `orderAmount ${f.orderAmount} is invalid for ${f.payCurrency}`);
    if (f.orderModel !== undefined && f.orderModel !== 'ORDER' && f.orderModel !== 'RECHARGE')
      return answer(res, '8000', 'orderModel must be ORDER or RECHARGE');
    if (f.expiredTime !== undefined && !/^[1-9]\d*$/.test(f.expiredTime))
      return answer(res, '8000', 'expiredTime must be seconds');
    for (const url of [f.callbackURL, f.redirectURL])
      if (url !== undefined && (url.length > 512 || !/^https?:\/\//.test(url)))
        return answer(res, '8000', 'bad URL');
    const tokens = f.paymentTokens?.split(',') ?? [];
    if (tokens.some((t) => !TOKENS[t])) return answer(res, '8013', 'Unsupported Crypto');
    for (const n of f.paymentNetworks?.split(',') ?? [])
      if (!tokens.some((t) => TOKENS[t].includes(n))) return answer(res, '8013', 'Unsupported Crypto');
    for (const o of this.orders.values())
      if (o.appId === f.appId && o.merchantOrderNo === f.merchantOrderNo)
        return answer(res, '8011', 'Repeat merchantOrderNo');
    const orderNo = `3002${Date.now()}${String(++this.seq).padStart(5, '0')}`;
    const order: FakeOrder = {
      orderNo,
      appId: f.appId,
      merchantOrderNo: f.merchantOrderNo,
      orderAmount: f.orderAmount,
      payCurrency: f.payCurrency,
      userId: f.userId,
      orderStatus: 'PROCESSING',
      callbackURL: f.callbackURL,
      redirectURL: f.redirectURL,
      paymentTokens: f.paymentTokens,
      paymentNetworks: f.paymentNetworks,
      webUrl: `https://crypto-payment.alchemypay.test?orderNum=${orderNo}`,
    };
    this.orders.set(orderNo, order);
    answer(res, '0', 'success', { orderNo, webUrl: order.webUrl });
  }

  private query(res: ServerResponse, f: Record<string, string>, secret: string): void {
    if (!f.merchantOrderNo || !f.sign) return answer(res, '8000', 'merchantOrderNo is mandatory');
    if (fakeSign(f, SIGNED_QUERY, secret) !== f.sign) return answer(res, '8007', 'sign error');
    const o = [...this.orders.values()].find(
      (x) => x.appId === f.appId && x.merchantOrderNo === f.merchantOrderNo,
    );
    if (!o) return answer(res, '8000', 'order does not exist');
    answer(res, '0', 'success', this.view(o));
  }
}

function answer(res: ServerResponse, code: string, msg: string, model?: unknown): void {
  reply(res, 200, {
    success: code === '0',
    error: code !== '0',
    code,
    msg,
    model: model ?? null,
    traceId: randomBytes(15).toString('hex'),
  });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
