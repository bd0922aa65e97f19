/**
 * An in-process fake of TokenPay's API (docs/providers.md "TokenPay") on a free port. It
 * checks every request's `TTPAY-AES-256-ECB` Authorization the way TokenPay does (decrypts the
 * signature with the app secret and compares it with `PATH\ntimestamp\nnonce\nbody`, checks the
 * timestamp's freshness and the nonce's length) and answers code 103/104 when it is wrong; it records
 * every request, keeps transactions in memory, and sends callbacks signed and encrypted the real way.
 * The crypto here is written independently of the adapter's, on purpose.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface FakeTransaction {
  prepay_id: string;
  transaction_id: string;
  out_trade_no: string;
  /** Atomic units, as the adapter sent them (text: 18-decimal tokens exceed 2^53). */
  amount: string;
  decimals: number;
  chain: string;
  currency: string;
  trade_state: 'NOTPAY' | 'SUCCESS' | 'CLOSED';
  notify_url: string;
  attach?: string;
  to_address?: string;
  closed_by_merchant: boolean;
  /** The app that opened it. */
  app_id: string;
}

export interface FakeCallback {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface TokenPayAccount {
  appId: string;
  mchId: string;
  appSecret: string;
}

export type FakeMode = 'ok' | 'fail500' | 'hang';

const TOKEN_DECIMALS: Record<string, number> = { 'USDT:BSC': 18, 'ETH:ETHEREUM': 18 };

export class TokenPayFake {
  readonly requests: RecordedRequest[] = [];
  readonly transactions = new Map<string, FakeTransaction>();
  mode: FakeMode = 'ok';
  /** Answer payment_url relative to the API base (as TokenPay's example does) or absolute. */
  paymentUrlStyle: 'relative' | 'absolute' = 'relative';
  url = '';
  private readonly accounts = new Map<string, TokenPayAccount>();
  private server: Server | undefined;

  /** Accounts the fake knows, by app_id. */
  addAccount(account: TokenPayAccount): void {
    this.accounts.set(account.appId, account);
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

  /** Requests to one path, oldest first. */
  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  byOutTradeNo(outTradeNo: string): FakeTransaction | undefined {
    return [...this.transactions.values()].find((t) => t.out_trade_no === outTradeNo);
  }

  /** The payer paid (no callback sent). */
  markPaid(outTradeNo: string): FakeTransaction {
    const t = this.byOutTradeNo(outTradeNo);
    if (!t) throw new Error(`fake: no transaction ${outTradeNo}`);
    t.trade_state = 'SUCCESS';
    return t;
  }

  /**
   * The callback TokenPay would send for a transaction: `{app_id, mch_id, event_type, resource}` with
   * the transaction encrypted AES-256-GCM and the body signed with TTPay-Timestamp/-Nonce/-Signature.
   */
  callbackFor(
    outTradeNo: string,
    opts: {
      /** Atomic amount text to report instead of the transaction's own. */
      amount?: string;
      plaintext?: Record<string, unknown>;
      timestamp?: string;
      signWith?: string;
      mchId?: string;
      tamper?: boolean;
    } = {},
  ): FakeCallback {
    const t = this.byOutTradeNo(outTradeNo);
    if (!t) throw new Error(`fake: no transaction ${outTradeNo}`);
    const account = this.accountOfTransaction(t);
    const detail = {
      out_trade_no: t.out_trade_no,
      transaction_id: t.transaction_id,
      trade_state: t.trade_state,
      amount: '__AMOUNT__',
      decimals: t.decimals,
      chain: t.chain,
      currency: t.currency,
      tx_id: randomBytes(32).toString('hex'),
      pay_time: Date.now(),
      attach: t.attach,
      ...opts.plaintext,
    };
    // The atomic amount is a JSON number, written from its exact text.
    const plaintext = JSON.stringify(detail).replace('"__AMOUNT__"', opts.amount ?? t.amount);
    const nonce = randomBytes(6).toString('hex');
    const aad = 'transaction';
    const cipher = createCipheriv(
      'aes-256-gcm',
      Buffer.from(account.appSecret, 'utf8'),
      Buffer.from(nonce, 'utf8'),
    );
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    if (opts.tamper) sealed[0] ^= 0x01;
    const body = JSON.stringify({
      app_id: account.appId,
      mch_id: opts.mchId ?? account.mchId,
      event_type: 'TRANSACTION.SUCCESS',
      resource: {
        original_type: 'transaction',
        algorithm: 'AEAD_AES_256_GCM',
        ciphertext: sealed.toString('base64'),
        nonce,
        associated_data: aad,
      },
    });
    const timestamp = opts.timestamp ?? String(Date.now());
    const signNonce = randomBytes(16).toString('hex');
    const signature = ecb(opts.signWith ?? account.appSecret, `${timestamp}\n${signNonce}\n${body}`);
    return {
      url: t.notify_url,
      headers: {
        'content-type': 'application/json',
        'ttpay-timestamp': timestamp,
        'ttpay-nonce': signNonce,
        'ttpay-signature': signature,
      },
      body,
    };
  }

  /** POST a callback to the notify_url the adapter gave; returns TokenPay's view of the answer. */
  async send(cb: FakeCallback): Promise<{ status: number; contentType: string | null; text: string }> {
    const res = await fetch(cb.url, { method: 'POST', headers: cb.headers, body: cb.body });
    return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() };
  }

  private accountOfTransaction(t: FakeTransaction): TokenPayAccount {
    const account = this.accounts.get(t.app_id);
    if (!account) throw new Error('fake: transaction without an account');
    return account;
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const path = req.url ?? '/';
    this.requests.push({ method: req.method ?? '', path, headers: { ...req.headers }, body });
    if (this.mode === 'hang') return; // never answers; the adapter's timeout must fire
    if (this.mode === 'fail500') return reply(res, 500, { code: 11000, msg: 'internal error' });
    if (req.method !== 'POST') return reply(res, 405, { code: 100, msg: 'method not allowed' });

    const auth = this.checkAuthorization(req, path, body);
    if ('code' in auth) return reply(res, 200, { ...auth, request_id: randomUUID() });
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(body.replace(/"amount":(\d+)/, '"amount":"$1"')) as Record<string, unknown>;
    } catch {
      return reply(res, 200, { code: 100, msg: 'Request parameter error', request_id: randomUUID() });
    }
    if (json.mch_id !== auth.account.mchId)
      return reply(res, 200, { code: 100, msg: 'mch_id does not match the app', request_id: randomUUID() });
    switch (path) {
      case '/v1/transaction/prepayment':
        return this.prepayment(res, auth.account, json);
      case '/v1/transaction/query':
        return this.query(res, json);
      case '/v1/transaction/close':
        return this.close(res, auth.account, json);
      default:
        return reply(res, 404, { code: 100, msg: 'not found' });
    }
  }

  /** TokenPay's request check: scheme, app, nonce of 32, fresh ms timestamp, signature decrypts to the request. */
  private checkAuthorization(
    req: IncomingMessage,
    path: string,
    body: string,
  ): { account: TokenPayAccount } | { code: number; msg: string } {
    const header = req.headers.authorization ?? '';
    const prefix = 'TTPAY-AES-256-ECB ';
    if (!header.startsWith(prefix)) return { code: 103, msg: 'Invalid signature' };
    const params = new Map<string, string>();
    for (const part of header.slice(prefix.length).split(',')) {
      const eq = part.indexOf('=');
      if (eq > 0)
        params.set(
          part.slice(0, eq).trim(),
          part
            .slice(eq + 1)
            .trim()
            .replace(/^"|"$/g, ''),
        );
    }
    const account = this.accounts.get(params.get('app_id') ?? '');
    if (!account || params.get('mch_id') !== account.mchId) return { code: 103, msg: 'Invalid signature' };
    const nonce = params.get('nonce_str') ?? '';
    const timestamp = params.get('timestamp') ?? '';
    if (nonce.length !== 32 || !/^\d{13}$/.test(timestamp)) return { code: 103, msg: 'Invalid signature' };
    if (Math.abs(Date.now() - Number(timestamp)) > 300_000) return { code: 104, msg: 'Signature expired' };
    let plaintext: string;
    try {
      const d = createDecipheriv('aes-256-ecb', Buffer.from(account.appSecret, 'utf8'), null);
      plaintext = Buffer.concat([
        d.update(Buffer.from(params.get('signature') ?? '', 'base64')),
        d.final(),
      ]).toString('utf8');
    } catch {
      return { code: 103, msg: 'Invalid signature' };
    }
    if (plaintext !== `${path}\n${timestamp}\n${nonce}\n${body}`)
      return { code: 103, msg: 'Invalid signature' };
    return { account };
  }

  private prepayment(res: ServerResponse, account: TokenPayAccount, b: Record<string, unknown>): void {
    const required = ['out_trade_no', 'expire_second', 'amount', 'chain', 'currency', 'order_type'];
    const missing = required.find((k) => b[k] === undefined || b[k] === '');
    if (missing)
      return reply(res, 200, {
        code: 11003,
        msg: `Miss required parameter ${missing}`,
        request_id: randomUUID(),
      });
    if (!Number.isInteger(b.expire_second) || (b.expire_second as number) < 1)
      return reply(res, 200, {
        code: 100,
        msg: 'expire_second must be a positive integer',
        request_id: randomUUID(),
      });
    if (this.byOutTradeNo(b.out_trade_no as string))
      return reply(res, 200, { code: 12001, msg: 'Data is existed', request_id: randomUUID() });
    const chain = String(b.chain);
    const currency = String(b.currency);
    const t: FakeTransaction = {
      prepay_id: randomBytes(32).toString('hex'),
      transaction_id: randomBytes(16).toString('hex'),
      out_trade_no: String(b.out_trade_no),
      amount: String(b.amount),
      decimals: TOKEN_DECIMALS[`${currency}:${chain}`] ?? 6,
      chain,
      currency,
      trade_state: 'NOTPAY',
      notify_url: str(b.notify_url),
      attach: typeof b.attach === 'string' ? b.attach : undefined,
      to_address: typeof b.to_address === 'string' ? b.to_address : undefined,
      closed_by_merchant: false,
      app_id: account.appId,
    };
    this.transactions.set(t.transaction_id, t);
    const relative = `/pay/order?prepay_id=${t.prepay_id}`;
    reply(res, 200, {
      code: 0,
      msg: 'ok',
      request_id: randomUUID(),
      data: {
        prepay_id: t.prepay_id,
        payment_url:
          this.paymentUrlStyle === 'relative' ? relative : `https://cashier.tokenpay.test${relative}`,
      },
    });
  }

  /** TransactionDetail, with `currency` as a CurrencyDetail object as TokenPay's query example shows. */
  private query(res: ServerResponse, b: Record<string, unknown>): void {
    const t =
      typeof b.transaction_id === 'string'
        ? this.transactions.get(b.transaction_id)
        : this.byOutTradeNo(str(b.out_trade_no));
    if (!t) return reply(res, 200, { code: 12002, msg: 'Data is absence', request_id: randomUUID() });
    const text = JSON.stringify({
      code: 0,
      msg: 'ok',
      request_id: randomUUID(),
      data: {
        out_trade_no: t.out_trade_no,
        transaction_id: t.transaction_id,
        trade_state: t.trade_state,
        amount: '__AMOUNT__',
        decimals: t.decimals,
        chain: t.chain,
        currency: { type: t.currency, chain: t.chain, currency: t.currency, decimal: t.decimals },
        attach: t.trade_state === 'SUCCESS' ? t.attach : undefined,
      },
    }).replace('"__AMOUNT__"', t.amount);
    res.writeHead(200, { 'content-type': 'application/json' }).end(text);
  }

  private close(res: ServerResponse, account: TokenPayAccount, b: Record<string, unknown>): void {
    if (b.app_id !== account.appId)
      return reply(res, 200, { code: 100, msg: 'app_id does not match', request_id: randomUUID() });
    const t = this.transactions.get(str(b.transaction_id));
    if (!t) return reply(res, 200, { code: 12002, msg: 'Data is absence', request_id: randomUUID() });
    if (t.trade_state === 'SUCCESS')
      return reply(res, 200, { code: 11000, msg: 'order already paid', request_id: randomUUID() });
    t.trade_state = 'CLOSED';
    t.closed_by_merchant = true;
    reply(res, 200, { code: 0, msg: 'success', request_id: randomUUID() });
  }
}

function ecb(secret: string, plaintext: string): string {
  const c = createCipheriv('aes-256-ecb', Buffer.from(secret, 'utf8'), null);
  return Buffer.concat([c.update(plaintext, 'utf8'), c.final()]).toString('base64');
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
