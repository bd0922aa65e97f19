/**
 * An in-process fake of the part of Stripe's API paymux uses (docs/providers.md "Stripe") on a free port.
 * Like Stripe, it takes `Authorization: Bearer sk_...` (401 in Stripe's error shape for an unknown
 * key), form-encoded bodies with bracketed keys, and `Idempotency-Key` (a repeat with the same
 * parameters replays the first answer; other parameters are an `idempotency_error`). It validates
 * what Stripe validates for a Checkout Session (lower-case currency, integer unit_amount, expires_at
 * 30 min .. 24 h ahead), keeps sessions, intents and refunds in memory in Stripe's JSON shapes,
 * records every request, can answer 500 or hang, and sends webhook events signed with stripe-node's
 * own `generateTestHeaderString` (independent of the adapter's signing code).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /** The raw body text. */
  body: string;
  /** The form body, flat, keys as sent (`line_items[0][price_data][currency]`). */
  form: Record<string, string>;
}

export interface FakeSession {
  id: string;
  object: 'checkout.session';
  amount_subtotal: number;
  amount_total: number;
  cancel_url: string | null;
  client_reference_id: string | null;
  created: number;
  currency: string;
  expires_at: number;
  livemode: false;
  metadata: Record<string, string>;
  mode: 'payment';
  payment_intent: string | null;
  payment_status: 'paid' | 'unpaid' | 'no_payment_required';
  status: 'open' | 'complete' | 'expired';
  success_url: string | null;
  url: string | null;
}

export interface FakeIntent {
  id: string;
  object: 'payment_intent';
  amount: number;
  currency: string;
  created: number;
  livemode: false;
  metadata: Record<string, string>;
  status: 'processing' | 'succeeded' | 'requires_payment_method' | 'canceled';
  last_payment_error: { code: string; message: string } | null;
}

export interface FakeRefund {
  id: string;
  object: 'refund';
  amount: number;
  currency: string;
  created: number;
  metadata: Record<string, string>;
  payment_intent: string;
  reason: string | null;
  status: 'pending' | 'succeeded' | 'failed' | 'canceled' | 'requires_action';
  failure_reason?: string;
}

export interface FakeEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  data: { object: Record<string, unknown> };
  livemode: false;
  pending_webhooks: number;
  request: { id: null; idempotency_key: null };
  type: string;
}

/** `hang`: never answers anything. */
export type FakeMode = 'ok' | 'fail500' | 'hang';

interface Answer {
  status: number;
  body: unknown;
}

const now = (): number => Math.floor(Date.now() / 1000);
const rid = (prefix: string): string => `${prefix}${randomBytes(12).toString('hex')}`;
const invalid = (message: string, extra: Record<string, string> = {}): Answer => ({
  status: 400,
  body: { error: { type: 'invalid_request_error', message, ...extra } },
});
const missing = (kind: string, id: string, param: string): Answer => ({
  status: 404,
  body: {
    error: {
      type: 'invalid_request_error',
      code: 'resource_missing',
      message: `No such ${kind}: '${id}'`,
      param,
    },
  },
});

export class StripeFake {
  readonly requests: RecordedRequest[] = [];
  readonly sessions = new Map<string, FakeSession>();
  readonly intents = new Map<string, FakeIntent>();
  readonly refunds = new Map<string, FakeRefund>();
  /** Metadata the session creator asked for on the PaymentIntent (`payment_intent_data[metadata]`). */
  private readonly intentMetadata = new Map<string, Record<string, string>>();
  mode: FakeMode = 'ok';
  /** Requests to this path are carried out, but their answer never arrives (lost on the way). */
  loseAnswersTo: string | null = null;
  /** The status new refunds get (Stripe's card refunds are usually `succeeded` at once). */
  refundStatus: FakeRefund['status'] = 'succeeded';
  url = '';
  private readonly keys = new Set<string>();
  private readonly idempotent = new Map<string, { hash: string; answer: Answer }>();
  private server: Server | undefined;
  private readonly signer = new Stripe('sk_test_signer_only').webhooks;

  constructor(secretKeys: string[]) {
    for (const k of secretKeys) this.keys.add(k);
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
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Requests whose path starts with `prefix`, oldest first. */
  requestsTo(method: string, prefix: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path.startsWith(prefix));
  }

  session(id: string): FakeSession {
    const s = this.sessions.get(id);
    if (!s) throw new Error(`fake: no session ${id}`);
    return s;
  }

  /**
   * The payer paid on Stripe's page (no event sent). `async: true`: a delayed method (bank debit),
   * the session completes unpaid and the intent is processing until settleAsync.
   */
  pay(sessionId: string, opts: { async?: boolean } = {}): FakeSession {
    const s = this.session(sessionId);
    const intent = this.intentFor(s);
    intent.status = opts.async ? 'processing' : 'succeeded';
    s.status = 'complete';
    s.payment_status = opts.async ? 'unpaid' : 'paid';
    return s;
  }

  /** A delayed payment ended. */
  settleAsync(sessionId: string, outcome: 'succeeded' | 'failed'): FakeSession {
    const s = this.session(sessionId);
    const intent = this.intentFor(s);
    intent.status = outcome === 'succeeded' ? 'succeeded' : 'requires_payment_method';
    if (outcome === 'failed')
      intent.last_payment_error = { code: 'payment_method_unactivated', message: 'the debit failed' };
    s.payment_status = outcome === 'succeeded' ? 'paid' : 'unpaid';
    return s;
  }

  /** A card was declined; the session stays open and the payer may try again. */
  decline(sessionId: string): FakeIntent {
    const intent = this.intentFor(this.session(sessionId));
    intent.status = 'requires_payment_method';
    intent.last_payment_error = { code: 'card_declined', message: 'Your card was declined.' };
    return intent;
  }

  /** The session expired at Stripe (no event sent). */
  expire(sessionId: string): FakeSession {
    const s = this.session(sessionId);
    s.status = 'expired';
    return s;
  }

  /** A Stripe event of `type` about `object`. */
  event(type: string, object: object): FakeEvent {
    return {
      id: rid('evt_'),
      object: 'event',
      api_version: '2025-11-17.clover',
      created: now(),
      data: { object: JSON.parse(JSON.stringify(object)) as Record<string, unknown> },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    };
  }

  /**
   * A delivery of `event` as Stripe sends it: pretty-printed JSON (the exact bytes are signed) and
   * `Stripe-Signature` from stripe-node. `timestamp` defaults to now; `tamper` changes one body byte
   * after signing.
   */
  delivery(
    event: FakeEvent | string,
    secret: string,
    opts: { timestamp?: number; tamper?: boolean; header?: string } = {},
  ): { headers: Record<string, string>; body: string } {
    const payload = typeof event === 'string' ? event : JSON.stringify(event, null, 2);
    const header =
      opts.header ??
      this.signer.generateTestHeaderString({ payload, secret, timestamp: opts.timestamp ?? now() });
    const body = opts.tamper ? payload.replace('"livemode": false', '"livemode": true ') : payload;
    return {
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        'stripe-signature': header,
      },
      body,
    };
  }

  /** POST a delivery to the app's webhook URL, as Stripe does. */
  async send(
    url: string,
    d: { headers: Record<string, string>; body: string },
  ): Promise<{ status: number; body: string }> {
    const res = await fetch(url, { method: 'POST', headers: d.headers, body: d.body });
    return { status: res.status, body: await res.text() };
  }

  private intentFor(s: FakeSession): FakeIntent {
    if (s.payment_intent) return this.intents.get(s.payment_intent)!;
    const intent: FakeIntent = {
      id: rid('pi_'),
      object: 'payment_intent',
      amount: s.amount_total,
      currency: s.currency,
      created: now(),
      livemode: false,
      metadata: { ...(this.intentMetadata.get(s.id) ?? {}) },
      status: 'requires_payment_method',
      last_payment_error: null,
    };
    this.intents.set(intent.id, intent);
    s.payment_intent = intent.id;
    return intent;
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const form = Object.fromEntries(new URLSearchParams(body));
    const query = Object.fromEntries(url.searchParams);
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: url.pathname, query, headers: req.headers, body, form });
    if (this.mode === 'hang') return; // never answer
    const send = (a: Answer, headers: Record<string, string> = {}): void => {
      res.writeHead(a.status, { 'content-type': 'application/json', 'request-id': rid('req_'), ...headers });
      res.end(JSON.stringify(a.body));
    };
    if (this.mode === 'fail500')
      return send({
        status: 500,
        body: { error: { type: 'api_error', message: 'An unknown error occurred' } },
      });
    const auth = req.headers.authorization ?? '';
    const key = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    if (!this.keys.has(key))
      return send({
        status: 401,
        body: {
          error: {
            type: 'invalid_request_error',
            message: `Invalid API Key provided: ${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`,
          },
        },
      });
    const idemKey = req.headers['idempotency-key'];
    let answer: Answer;
    let replayed = false;
    if (method === 'POST' && typeof idemKey === 'string') {
      const scope = `${key} ${idemKey}`;
      const hash = createHash('sha256').update(`${url.pathname}\n${body}`).digest('hex');
      const seen = this.idempotent.get(scope);
      if (seen && seen.hash !== hash)
        return send({
          status: 400,
          body: {
            error: {
              type: 'idempotency_error',
              message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idemKey}' if you meant to execute a different request.`,
            },
          },
        });
      replayed = !!seen;
      answer = seen?.answer ?? this.route(method, url.pathname, form, query);
      this.idempotent.set(scope, { hash, answer });
    } else {
      answer = this.route(method, url.pathname, form, query);
    }
    if (url.pathname === this.loseAnswersTo) return; // done, but the answer never arrives
    send(answer, replayed ? { 'idempotent-replayed': 'true' } : {});
  }

  private route(
    method: string,
    path: string,
    form: Record<string, string>,
    query: Record<string, string>,
  ): Answer {
    let m: RegExpExecArray | null;
    if (method === 'POST' && path === '/v1/checkout/sessions') return this.createSession(form);
    if (method === 'GET' && path === '/v1/checkout/sessions') {
      const data = [...this.sessions.values()].filter(
        (s) => !query.payment_intent || s.payment_intent === query.payment_intent,
      );
      return { status: 200, body: { object: 'list', data, has_more: false, url: '/v1/checkout/sessions' } };
    }
    if ((m = /^\/v1\/checkout\/sessions\/([^/]+)$/.exec(path)) && method === 'GET') {
      const s = this.sessions.get(m[1]);
      return s ? { status: 200, body: s } : missing('checkout.session', m[1], 'session');
    }
    if ((m = /^\/v1\/checkout\/sessions\/([^/]+)\/expire$/.exec(path)) && method === 'POST') {
      const s = this.sessions.get(m[1]);
      if (!s) return missing('checkout.session', m[1], 'session');
      if (s.status !== 'open')
        return invalid('Only Checkout Sessions with a status in ["open"] can be expired.');
      s.status = 'expired';
      return { status: 200, body: s };
    }
    if (method === 'POST' && path === '/v1/refunds') return this.createRefund(form);
    if (method === 'GET' && path === '/v1/refunds') {
      const data = [...this.refunds.values()].filter(
        (r) => !query.payment_intent || r.payment_intent === query.payment_intent,
      );
      return { status: 200, body: { object: 'list', data, has_more: false, url: '/v1/refunds' } };
    }
    if ((m = /^\/v1\/refunds\/([^/]+)$/.exec(path)) && method === 'GET') {
      const r = this.refunds.get(m[1]);
      return r ? { status: 200, body: r } : missing('refund', m[1], 'id');
    }
    return {
      status: 404,
      body: {
        error: { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${path}).` },
      },
    };
  }

  private createSession(f: Record<string, string>): Answer {
    const li = 'line_items[0]';
    if (f.mode !== 'payment') return invalid('Missing required param: mode.', { param: 'mode' });
    const currency = f[`${li}[price_data][currency]`];
    if (!/^[a-z]{3}$/.test(currency ?? ''))
      return invalid(`Invalid currency: ${currency}.`, { param: `${li}[price_data][currency]` });
    const unit = f[`${li}[price_data][unit_amount]`];
    if (!/^(0|[1-9]\d*)$/.test(unit ?? ''))
      return invalid('Invalid integer: unit_amount', {
        code: 'parameter_invalid_integer',
        param: `${li}[price_data][unit_amount]`,
      });
    if (!f[`${li}[price_data][product_data][name]`])
      return invalid('Missing required param: product_data[name].', {
        param: `${li}[price_data][product_data][name]`,
      });
    const quantity = Number(f[`${li}[quantity]`] ?? 'NaN');
    if (!Number.isInteger(quantity) || quantity < 1)
      return invalid('Missing required param: quantity.', { param: `${li}[quantity]` });
    if (!f.success_url) return invalid('Missing required param: success_url.', { param: 'success_url' });
    const created = now();
    const expiresAt = f.expires_at === undefined ? created + 86400 : Number(f.expires_at);
    if (!Number.isInteger(expiresAt) || expiresAt < created + 1800 || expiresAt > created + 86400)
      return invalid(
        'The `expires_at` timestamp must be at least 30 minutes and less than 24 hours from Checkout Session creation.',
        { param: 'expires_at' },
      );
    const id = rid('cs_test_');
    const total = Number(unit) * quantity;
    const session: FakeSession = {
      id,
      object: 'checkout.session',
      amount_subtotal: total,
      amount_total: total,
      cancel_url: f.cancel_url ?? null,
      client_reference_id: f.client_reference_id ?? null,
      created,
      currency,
      expires_at: expiresAt,
      livemode: false,
      metadata: bracketed(f, 'metadata'),
      mode: 'payment',
      payment_intent: null,
      payment_status: 'unpaid',
      status: 'open',
      success_url: f.success_url,
      url: `https://checkout.stripe.com/c/pay/${id}`,
    };
    this.sessions.set(id, session);
    this.intentMetadata.set(id, bracketed(f, 'payment_intent_data[metadata]'));
    return { status: 200, body: session };
  }

  private createRefund(f: Record<string, string>): Answer {
    const intent = f.payment_intent ? this.intents.get(f.payment_intent) : undefined;
    if (!intent) return missing('payment_intent', f.payment_intent ?? '', 'payment_intent');
    if (intent.status !== 'succeeded')
      return invalid(`This PaymentIntent (${intent.id}) does not have a successful charge to refund.`);
    const taken = [...this.refunds.values()]
      .filter((r) => r.payment_intent === intent.id && r.status !== 'failed' && r.status !== 'canceled')
      .reduce((sum, r) => sum + r.amount, 0);
    const amount = f.amount === undefined ? intent.amount - taken : Number(f.amount);
    if (!Number.isInteger(amount) || amount <= 0)
      return invalid('Invalid positive integer', { code: 'parameter_invalid_integer', param: 'amount' });
    if (amount > intent.amount - taken)
      return invalid(
        `Refund amount (${amount}) is greater than unrefunded amount on charge (${intent.amount - taken})`,
        { code: taken >= intent.amount ? 'charge_already_refunded' : 'amount_too_large' },
      );
    const refund: FakeRefund = {
      id: rid('re_'),
      object: 'refund',
      amount,
      currency: intent.currency,
      created: now(),
      metadata: bracketed(f, 'metadata'),
      payment_intent: intent.id,
      reason: f.reason ?? null,
      status: this.refundStatus,
    };
    this.refunds.set(refund.id, refund);
    return { status: 200, body: refund };
  }
}

/** `metadata[a]=1&metadata[b]=2` -> `{a: '1', b: '2'}` for the given prefix. */
function bracketed(f: Record<string, string>, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  const head = `${prefix}[`;
  for (const [k, v] of Object.entries(f))
    if (k.startsWith(head) && k.endsWith(']') && !k.slice(head.length, -1).includes('['))
      out[k.slice(head.length, -1)] = v;
  return out;
}
