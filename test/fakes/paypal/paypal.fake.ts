/**
 * An in-process PayPal REST API for tests (docs/providers.md "PayPal (Orders v2)"): OAuth client
 * credentials, Orders v2 (create, get, capture), Payments v2 refunds, webhook signature verification,
 * and webhook deliveries signed the way PayPal signs them. In-memory, node:http on port 0; every
 * request is recorded. `PayPal-Request-Id` makes order creation, capture and refund idempotent, as at
 * PayPal; a second capture under another request id is a 422 ORDER_ALREADY_CAPTURED.
 */
import { generateKeyPairSync, KeyObject, randomBytes, randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PAYPAL_AUTH_ALGO, signTransmission, transmissionText, verifyTransmission } from './paypal.signing';

export type PayPalAccount = {
  client_id: string;
  client_secret: string;
  webhook_id: string;
};

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

type Json = Record<string, unknown>;

interface Money {
  currency_code: string;
  value: string;
}

interface FakeCapture {
  id: string;
  status: string;
  amount: Money;
  refunded: bigint;
}

interface FakeRefund {
  id: string;
  status: string;
  amount: Money;
  invoice_id?: string;
  note_to_payer?: string;
  captureId: string;
  orderId: string;
  owner: string;
  create_time: string;
}

interface FakeOrder {
  id: string;
  owner: string;
  status: string;
  intent: string;
  unit: Json & { amount: Money; custom_id?: string; invoice_id?: string };
  experience: Json;
  payerId?: string;
  captures: FakeCapture[];
  refunds: FakeRefund[];
  create_time: string;
}

interface Failure {
  mode: { status: number; body?: Json } | 'hang';
  path?: RegExp;
  times: number;
}

export interface Delivery {
  headers: Record<string, string>;
  body: string;
}

const ZERO_DECIMAL = new Set(['HUF', 'JPY', 'TWD']);
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const paypalId = (n = 17): string => Array.from(randomBytes(n), (b) => ALNUM[b % ALNUM.length]).join('');

export class PayPalFake {
  url = '';
  readonly requests: RecordedRequest[] = [];
  readonly accounts = new Map<string, PayPalAccount>();
  /** Token requests answered (successful or not): proves the adapter caches tokens. */
  tokenRequests = 0;
  /** Captures actually performed (idempotent replays and refusals excluded). */
  captureCount = 0;
  verifyCalls = 0;
  tokenTtlSeconds = 32400;
  /** What the next captures / refunds end as. */
  captureStatus = 'COMPLETED';
  refundStatus = 'COMPLETED';

  readonly orders = new Map<string, FakeOrder>();
  readonly refunds = new Map<string, FakeRefund>();
  private readonly tokens = new Map<string, { clientId: string; expiresAt: number }>();
  private readonly idempotent = new Map<string, { status: number; body: Json }>();
  private failures: Failure[] = [];
  private readonly server: Server;
  private readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;

  constructor() {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, res, Buffer.concat(chunks).toString('utf8')));
    });
  }

  get certUrl(): string {
    return `${this.url}/v1/notifications/certs/CERT-fake`;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** A new PayPal REST app with its webhook. */
  addAccount(over: Partial<PayPalAccount> = {}): PayPalAccount {
    const account = {
      client_id: `AZ${paypalId(40)}`,
      client_secret: `EL${paypalId(40)}`,
      webhook_id: paypalId(17),
      ...over,
    };
    this.accounts.set(account.client_id, account);
    return account;
  }

  /** The next `times` requests whose path matches answer `mode` (a status, or never). */
  fail(mode: Failure['mode'], opts: { path?: RegExp; times?: number } = {}): void {
    this.failures.push({ mode, path: opts.path, times: opts.times ?? Number.POSITIVE_INFINITY });
  }

  recover(): void {
    this.failures = [];
  }

  /** Invalidate every issued access token (as if they expired at PayPal). */
  revokeTokens(): void {
    this.tokens.clear();
  }

  /** The payer approves the order on PayPal's page; returns the PayerID PayPal appends on return. */
  approve(orderId: string): string {
    const order = this.mustOrder(orderId);
    if (order.status !== 'PAYER_ACTION_REQUIRED' && order.status !== 'CREATED')
      throw new Error(`order ${orderId} is ${order.status}`);
    order.status = 'APPROVED';
    order.payerId = paypalId(13);
    return order.payerId;
  }

  /** PayPal settles a pending refund. */
  settleRefund(refundId: string, status: string): void {
    const r = this.refunds.get(refundId);
    if (!r) throw new Error(`no refund ${refundId}`);
    r.status = status;
  }

  requestsTo(method: string, path: RegExp | string): RecordedRequest[] {
    return this.requests.filter(
      (r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)),
    );
  }

  // ---- webhooks ----

  /** CHECKOUT.ORDER.APPROVED for an order, its resource the order as PayPal shows it. */
  approvedEvent(orderId: string): Json {
    return this.event('CHECKOUT.ORDER.APPROVED', 'checkout-order', this.orderJson(this.mustOrder(orderId)));
  }

  /** PAYMENT.CAPTURE.COMPLETED (or DENIED...) for the order's capture; `over` edits the capture. */
  captureEvent(orderId: string, type = 'PAYMENT.CAPTURE.COMPLETED', over: Json = {}): Json {
    const order = this.mustOrder(orderId);
    const c = order.captures[0];
    if (!c) throw new Error(`order ${orderId} has no capture`);
    return this.event(type, 'capture', { ...this.captureJson(order, c, true), ...over });
  }

  event(type: string, resourceType: string, resource: Json): Json {
    const id = `WH-${paypalId(17)}-${paypalId(17)}`;
    return {
      id,
      event_version: '1.0',
      create_time: new Date().toISOString(),
      resource_type: resourceType,
      resource_version: '2.0',
      event_type: type,
      summary: `${type} event`,
      resource,
      links: [
        { href: `${this.url}/v1/notifications/webhooks-events/${id}`, rel: 'self', method: 'GET' },
        { href: `${this.url}/v1/notifications/webhooks-events/${id}/resend`, rel: 'resend', method: 'POST' },
      ],
    };
  }

  /**
   * Sign a delivery of `event` for `webhookId` like PayPal (PAYPAL-TRANSMISSION-* headers). `time`
   * backdates it; `body` sends other bytes under the signature of the event (a forgery); `omit`
   * drops headers.
   */
  sign(event: Json, webhookId: string, opts: { time?: Date; body?: string; omit?: string[] } = {}): Delivery {
    const body = JSON.stringify(event);
    const id = randomUUID();
    const time = (opts.time ?? new Date()).toISOString();
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'paypal-transmission-id': id,
      'paypal-transmission-time': time,
      'paypal-transmission-sig': signTransmission(
        this.privateKey,
        transmissionText(id, time, webhookId, body),
      ),
      'paypal-cert-url': this.certUrl,
      'paypal-auth-algo': PAYPAL_AUTH_ALGO,
    };
    for (const h of opts.omit ?? []) delete headers[h.toLowerCase()];
    return { headers, body: opts.body ?? body };
  }

  async deliver(url: string, d: Delivery): Promise<{ status: number; text: string }> {
    const res = await fetch(url, { method: 'POST', headers: d.headers, body: d.body });
    return { status: res.status, text: await res.text() };
  }

  async sendWebhook(
    url: string,
    event: Json,
    webhookId: string,
    opts: Parameters<PayPalFake['sign']>[2] = {},
  ): Promise<{ status: number; text: string; delivery: Delivery }> {
    const delivery = this.sign(event, webhookId, opts);
    return { ...(await this.deliver(url, delivery)), delivery };
  }

  // ---- HTTP ----

  private handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const path = req.url ?? '/';
    this.requests.push({ method: req.method ?? '', path, headers: { ...req.headers }, body });
    const failure = this.failures.find((f) => f.times > 0 && (!f.path || f.path.test(path)));
    if (failure) {
      failure.times--;
      if (failure.mode === 'hang') return; // never answered; close() drops the socket
      return send(
        res,
        failure.mode.status,
        failure.mode.body ?? { name: 'INTERNAL_SERVER_ERROR', message: 'fake failure' },
      );
    }
    try {
      const { status, body: out } = this.route(req, path, body);
      send(res, status, out);
    } catch (err) {
      send(res, 500, { name: 'INTERNAL_SERVER_ERROR', message: String(err) });
    }
  }

  private route(req: IncomingMessage, path: string, raw: string): { status: number; body: Json } {
    const method = req.method ?? '';
    const url = new URL(path, 'http://fake');
    const p = url.pathname;
    if (method === 'POST' && p === '/v1/oauth2/token') return this.token(req, raw);
    const owner = this.bearer(req);
    if (!owner)
      return {
        status: 401,
        body: {
          name: 'AUTHENTICATION_FAILURE',
          message:
            'Authentication failed due to invalid authentication credentials or a missing Authorization header.',
          links: [{ href: 'https://developer.paypal.com/docs/api/overview/#error', rel: 'information_link' }],
        },
      };
    const requestId = header(req, 'paypal-request-id');
    const once = (fn: () => { status: number; body: Json }): { status: number; body: Json } => {
      if (!requestId) return fn();
      const key = `${owner}|${method} ${p}|${requestId}`;
      const seen = this.idempotent.get(key);
      if (seen) return seen;
      const result = fn();
      if (result.status < 300) this.idempotent.set(key, result);
      return result;
    };
    let m: RegExpMatchArray | null;
    if (method === 'POST' && p === '/v2/checkout/orders') return once(() => this.createOrder(owner, raw));
    if (method === 'GET' && (m = p.match(/^\/v2\/checkout\/orders\/([^/]+)$/))) {
      const order = this.orders.get(decodeURIComponent(m[1]));
      return order && order.owner === owner ? { status: 200, body: this.orderJson(order) } : notFound();
    }
    if (method === 'POST' && (m = p.match(/^\/v2\/checkout\/orders\/([^/]+)\/capture$/))) {
      const id = decodeURIComponent(m[1]);
      return once(() => this.capture(owner, id));
    }
    if (method === 'POST' && (m = p.match(/^\/v2\/payments\/captures\/([^/]+)\/refund$/))) {
      const id = decodeURIComponent(m[1]);
      return once(() => this.refund(owner, id, raw));
    }
    if (method === 'GET' && (m = p.match(/^\/v2\/payments\/refunds\/([^/]+)$/))) {
      const r = this.refunds.get(decodeURIComponent(m[1]));
      return r && r.owner === owner ? { status: 200, body: this.refundJson(r) } : notFound();
    }
    if (method === 'POST' && p === '/v1/notifications/verify-webhook-signature') return this.verify(raw);
    return notFound();
  }

  private token(req: IncomingMessage, raw: string): { status: number; body: Json } {
    this.tokenRequests++;
    const auth = header(req, 'authorization') ?? '';
    const [clientId, secret] = auth.startsWith('Basic ')
      ? Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':', 2)
      : [];
    const account = clientId ? this.accounts.get(clientId) : undefined;
    if (!account || account.client_secret !== secret)
      return {
        status: 401,
        body: { error: 'invalid_client', error_description: 'Client Authentication failed' },
      };
    if (new URLSearchParams(raw).get('grant_type') !== 'client_credentials')
      return {
        status: 400,
        body: { error: 'unsupported_grant_type', error_description: 'Grant Type is NULL' },
      };
    const token = `A21AA${randomBytes(24).toString('base64url')}`;
    this.tokens.set(token, { clientId, expiresAt: Date.now() + this.tokenTtlSeconds * 1000 });
    return {
      status: 200,
      body: {
        scope: 'https://uri.paypal.com/services/payments/payment',
        access_token: token,
        token_type: 'Bearer',
        app_id: `APP-${paypalId(17)}`,
        expires_in: this.tokenTtlSeconds,
        nonce: `${new Date().toISOString()}${randomBytes(8).toString('hex')}`,
      },
    };
  }

  private bearer(req: IncomingMessage): string | null {
    const auth = header(req, 'authorization') ?? '';
    if (!auth.startsWith('Bearer ')) return null;
    const t = this.tokens.get(auth.slice(7));
    return t && t.expiresAt > Date.now() ? t.clientId : null;
  }

  private createOrder(owner: string, raw: string): { status: number; body: Json } {
    const body = parse(raw);
    const units = body?.purchase_units as Json[] | undefined;
    const unit = units?.[0] as FakeOrder['unit'] | undefined;
    if (!body || body.intent !== 'CAPTURE' || !unit?.amount)
      return unprocessable(
        'INVALID_REQUEST',
        'MISSING_REQUIRED_PARAMETER',
        'intent and purchase_units are required',
      );
    const { currency_code: currency, value } = unit.amount;
    const decimals = ZERO_DECIMAL.has(currency) ? 0 : 2;
    if (!/^\d{1,10}(\.\d+)?$/.test(value ?? '') || (value.split('.')[1]?.length ?? 0) > decimals)
      return unprocessable(
        'UNPROCESSABLE_ENTITY',
        'DECIMAL_PRECISION',
        `${currency} takes ${decimals} decimals`,
      );
    const experience = ((body.payment_source as Json | undefined)?.paypal as Json | undefined)
      ?.experience_context as Json | undefined;
    const order: FakeOrder = {
      id: paypalId(17),
      owner,
      status: experience ? 'PAYER_ACTION_REQUIRED' : 'CREATED',
      intent: 'CAPTURE',
      unit: { reference_id: 'default', ...unit },
      experience: experience ?? {},
      captures: [],
      refunds: [],
      create_time: new Date().toISOString(),
    };
    this.orders.set(order.id, order);
    return { status: 200, body: this.orderJson(order) };
  }

  private capture(owner: string, orderId: string): { status: number; body: Json } {
    const order = this.orders.get(orderId);
    if (!order || order.owner !== owner) return notFound();
    if (order.status === 'COMPLETED')
      return unprocessable('UNPROCESSABLE_ENTITY', 'ORDER_ALREADY_CAPTURED', 'Order already captured.');
    if (order.status !== 'APPROVED')
      return unprocessable(
        'UNPROCESSABLE_ENTITY',
        'ORDER_NOT_APPROVED',
        'Payer has not yet approved the Order.',
      );
    this.captureCount++;
    order.captures.push({
      id: paypalId(17),
      status: this.captureStatus,
      amount: order.unit.amount,
      refunded: 0n,
    });
    order.status = 'COMPLETED';
    return { status: 201, body: this.orderJson(order) };
  }

  private refund(owner: string, captureId: string, raw: string): { status: number; body: Json } {
    const order = [...this.orders.values()].find((o) => o.captures.some((c) => c.id === captureId));
    const capture = order?.captures.find((c) => c.id === captureId);
    if (!order || !capture || order.owner !== owner) return notFound();
    const body = parse(raw) ?? {};
    const amount = (body.amount as Money | undefined) ?? {
      currency_code: capture.amount.currency_code,
      value: minorToValue(capture.amount.currency_code, toMinor(capture.amount) - capture.refunded),
    };
    if (amount.currency_code !== capture.amount.currency_code)
      return unprocessable(
        'UNPROCESSABLE_ENTITY',
        'REFUND_CURRENCY_MISMATCH',
        'currency differs from the capture',
      );
    const minor = toMinor(amount);
    if (capture.status !== 'COMPLETED' && capture.status !== 'PARTIALLY_REFUNDED')
      return unprocessable(
        'UNPROCESSABLE_ENTITY',
        'CAPTURE_FULLY_REFUNDED',
        'The capture has already been fully refunded',
      );
    if (minor <= 0n || capture.refunded + minor > toMinor(capture.amount))
      return unprocessable(
        'UNPROCESSABLE_ENTITY',
        'REFUND_AMOUNT_EXCEEDED',
        'The refund amount exceeds the capture',
      );
    capture.refunded += minor;
    capture.status = capture.refunded === toMinor(capture.amount) ? 'REFUNDED' : 'PARTIALLY_REFUNDED';
    const refund: FakeRefund = {
      id: paypalId(17),
      status: this.refundStatus,
      amount,
      invoice_id: body.invoice_id as string | undefined,
      note_to_payer: body.note_to_payer as string | undefined,
      captureId,
      orderId: order.id,
      owner,
      create_time: new Date().toISOString(),
    };
    order.refunds.push(refund);
    this.refunds.set(refund.id, refund);
    return { status: 201, body: this.refundJson(refund) };
  }

  /** SUCCESS only for a transmission this fake signed, for this webhook id and these event bytes. */
  private verify(raw: string): { status: number; body: Json } {
    this.verifyCalls++;
    const b = parse(raw);
    const need = [
      'auth_algo',
      'cert_url',
      'transmission_id',
      'transmission_sig',
      'transmission_time',
      'webhook_id',
    ];
    if (!b || need.some((k) => typeof b[k] !== 'string') || typeof b.webhook_event !== 'object')
      return unprocessable(
        'INVALID_REQUEST',
        'MISSING_REQUIRED_PARAMETER',
        'a verification field is missing',
      );
    const text = transmissionText(
      b.transmission_id as string,
      b.transmission_time as string,
      b.webhook_id as string,
      JSON.stringify(b.webhook_event),
    );
    const ok =
      b.auth_algo === PAYPAL_AUTH_ALGO &&
      b.cert_url === this.certUrl &&
      verifyTransmission(this.publicKey, text, b.transmission_sig as string);
    return { status: 200, body: { verification_status: ok ? 'SUCCESS' : 'FAILURE' } };
  }

  // ---- representations ----

  orderJson(order: FakeOrder): Json {
    const payments =
      order.captures.length > 0
        ? {
            captures: order.captures.map((c) => this.captureJson(order, c, false)),
            ...(order.refunds.length > 0 ? { refunds: order.refunds.map((r) => this.refundJson(r)) } : {}),
          }
        : undefined;
    return {
      id: order.id,
      intent: order.intent,
      status: order.status,
      payment_source: { paypal: order.payerId ? { account_id: order.payerId } : {} },
      purchase_units: [{ ...order.unit, ...(payments ? { payments } : {}) }],
      ...(order.payerId ? { payer: { payer_id: order.payerId } } : {}),
      create_time: order.create_time,
      links: [
        { href: `${this.url}/v2/checkout/orders/${order.id}`, rel: 'self', method: 'GET' },
        ...(order.status === 'PAYER_ACTION_REQUIRED'
          ? [{ href: `${this.url}/checkoutnow?token=${order.id}`, rel: 'payer-action', method: 'GET' }]
          : []),
        ...(order.status === 'APPROVED'
          ? [{ href: `${this.url}/v2/checkout/orders/${order.id}/capture`, rel: 'capture', method: 'POST' }]
          : []),
      ],
    };
  }

  private captureJson(order: FakeOrder, c: FakeCapture, withRelated: boolean): Json {
    return {
      id: c.id,
      status: c.status,
      amount: c.amount,
      final_capture: true,
      seller_protection: { status: 'ELIGIBLE' },
      custom_id: order.unit.custom_id,
      invoice_id: order.unit.invoice_id,
      ...(withRelated ? { supplementary_data: { related_ids: { order_id: order.id } } } : {}),
      links: [{ href: `${this.url}/v2/payments/captures/${c.id}`, rel: 'self', method: 'GET' }],
    };
  }

  private refundJson(r: FakeRefund): Json {
    return {
      id: r.id,
      status: r.status,
      amount: r.amount,
      ...(r.invoice_id ? { invoice_id: r.invoice_id } : {}),
      ...(r.note_to_payer ? { note_to_payer: r.note_to_payer } : {}),
      create_time: r.create_time,
      links: [
        { href: `${this.url}/v2/payments/refunds/${r.id}`, rel: 'self', method: 'GET' },
        { href: `${this.url}/v2/payments/captures/${r.captureId}`, rel: 'up', method: 'GET' },
      ],
    };
  }

  private mustOrder(id: string): FakeOrder {
    const order = this.orders.get(id);
    if (!order) throw new Error(`no PayPal order ${id}`);
    return order;
  }
}

export const startPayPalFake = (): Promise<PayPalFake> => new PayPalFake().start();

function send(res: ServerResponse, status: number, body: Json): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'paypal-debug-id': randomBytes(6).toString('hex'),
  });
  res.end(JSON.stringify(body));
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function parse(raw: string): Json | null {
  try {
    const v: unknown = JSON.parse(raw);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : null;
  } catch {
    return null;
  }
}

const notFound = (): { status: number; body: Json } => ({
  status: 404,
  body: {
    name: 'RESOURCE_NOT_FOUND',
    message: 'The specified resource does not exist.',
    details: [{ issue: 'INVALID_RESOURCE_ID', description: 'Specified resource ID does not exist.' }],
  },
});

const unprocessable = (name: string, issue: string, description: string): { status: number; body: Json } => ({
  status: name === 'INVALID_REQUEST' ? 400 : 422,
  body: {
    name,
    message:
      'The requested action could not be performed, semantically incorrect, or failed business validation.',
    debug_id: randomBytes(6).toString('hex'),
    details: [{ issue, description }],
  },
});

const toMinor = (m: Money): bigint => {
  const decimals = ZERO_DECIMAL.has(m.currency_code) ? 0 : 2;
  const [i, f = ''] = m.value.split('.');
  return BigInt(i + f.padEnd(decimals, '0').slice(0, decimals));
};

const minorToValue = (currency: string, minor: bigint): string => {
  if (ZERO_DECIMAL.has(currency)) return minor.toString();
  const s = minor.toString().padStart(3, '0');
  return `${s.slice(0, -2)}.${s.slice(-2)}`;
};
