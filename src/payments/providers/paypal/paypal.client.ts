/**
 * A small typed PayPal REST client over providerFetch (docs/providers.md "PayPal (Orders v2)"):
 * OAuth client-credentials tokens, Orders v2, Payments v2 refunds and webhook signature checks.
 *
 * Tokens are cached in this module (the adapter is a singleton and stateless) per tenant, base URL,
 * client id and secret, until shortly before they expire: two tenants never share a token, even with
 * the same client id (one of them might not hold the secret), and a rotated secret fetches a new one.
 * A 401 on a call made with a cached token drops it and retries the call once with a fresh token.
 */
import { createHash } from 'node:crypto';
import { ProviderContext, ProviderError } from '../../contract/payment-provider';
import { errorForStatus, providerFetch, ProviderResponse } from '../provider-http';
import type {
  CreateOrderBody,
  PayPalErrorBody,
  PayPalOrder,
  PayPalRefund,
  RefundBody,
  WebhookTransmission,
} from './paypal.wire';

export const PAYPAL_LIVE_BASE = 'https://api-m.paypal.com';
export const PAYPAL_SANDBOX_BASE = 'https://api-m.sandbox.paypal.com';

/** A token is dropped this long before PayPal says it expires (at most a tenth of its life). */
const TOKEN_MARGIN_MS = 120_000;

interface CachedToken {
  token: string;
  expiresAt: number;
}

const tokens = new Map<string, CachedToken>();
const fetching = new Map<string, Promise<CachedToken>>();

/** Forget every cached token (tests). */
export function clearPayPalTokens(): void {
  tokens.clear();
  fetching.clear();
}

export interface PayPalCall {
  method: 'GET' | 'POST';
  path: string;
  /** JSON text. */
  body?: string;
  /** PayPal-Request-Id: PayPal answers a repeated id with the first call's result. */
  requestId?: string;
}

export class PayPalClient {
  private readonly base: string;
  private readonly clientId: string;
  private readonly clientSecret: string;
  private readonly cacheKey: string;

  constructor(private readonly ctx: ProviderContext) {
    let base = ctx.baseUrl.replace(/\/+$/, '');
    // The operator's base URL wins; without one, a test-mode account talks to PayPal's sandbox.
    if (ctx.mode === 'test' && base === PAYPAL_LIVE_BASE) base = PAYPAL_SANDBOX_BASE;
    this.base = base;
    this.clientId = ctx.credentials.client_id ?? '';
    this.clientSecret = ctx.credentials.client_secret ?? '';
    this.cacheKey = createHash('sha256')
      .update([ctx.tenantId, base, this.clientId, this.clientSecret].join('\n'))
      .digest('hex');
  }

  createOrder(body: CreateOrderBody, requestId: string): Promise<PayPalOrder> {
    return this.json<PayPalOrder>({
      method: 'POST',
      path: '/v2/checkout/orders',
      body: JSON.stringify(body),
      requestId,
    });
  }

  getOrder(orderId: string): Promise<PayPalOrder> {
    return this.json<PayPalOrder>({ method: 'GET', path: `/v2/checkout/orders/${enc(orderId)}` });
  }

  captureOrder(orderId: string, requestId: string): Promise<PayPalOrder> {
    return this.json<PayPalOrder>({
      method: 'POST',
      path: `/v2/checkout/orders/${enc(orderId)}/capture`,
      body: '{}',
      requestId,
    });
  }

  refundCapture(captureId: string, body: RefundBody, requestId: string): Promise<PayPalRefund> {
    return this.json<PayPalRefund>({
      method: 'POST',
      path: `/v2/payments/captures/${enc(captureId)}/refund`,
      body: JSON.stringify(body),
      requestId,
    });
  }

  getRefund(refundId: string): Promise<PayPalRefund> {
    return this.json<PayPalRefund>({ method: 'GET', path: `/v2/payments/refunds/${enc(refundId)}` });
  }

  /**
   * Ask PayPal whether a webhook transmission is genuine; returns its `verification_status`. The
   * event is spliced in as the exact bytes PayPal sent (`rawEvent` must be one JSON object), so a
   * re-serialisation cannot change what PayPal checks its signature over.
   */
  async verifyWebhookSignature(t: WebhookTransmission, webhookId: string, rawEvent: string): Promise<string> {
    const head = JSON.stringify({ ...t, webhook_id: webhookId });
    const body = `${head.slice(0, -1)},"webhook_event":${rawEvent}}`;
    const answer = await this.json<{ verification_status?: unknown }>({
      method: 'POST',
      path: '/v1/notifications/verify-webhook-signature',
      body,
    });
    return typeof answer.verification_status === 'string' ? answer.verification_status : '';
  }

  /** One authorised call; a non-2xx answer is a ProviderError naming PayPal's issue code. */
  async json<T>(call: PayPalCall): Promise<T> {
    let auth = await this.token();
    let res = await this.send(call, auth.token);
    if (res.status === 401 && !auth.fresh) {
      if (tokens.get(this.cacheKey)?.token === auth.token) tokens.delete(this.cacheKey);
      auth = await this.token();
      res = await this.send(call, auth.token);
    }
    if (res.status < 200 || res.status > 299) throw paypalError(res);
    try {
      return JSON.parse(res.text) as T;
    } catch {
      throw new ProviderError(
        'unavailable',
        `PayPal answered ${call.method} ${call.path} with unreadable JSON`,
      );
    }
  }

  private send(call: PayPalCall, token: string): Promise<ProviderResponse> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      accept: 'application/json',
    };
    if (call.body !== undefined) {
      headers['content-type'] = 'application/json';
      // Full representations: the capture's id, status and amount come back in the answer.
      headers.prefer = 'return=representation';
    }
    if (call.requestId) headers['paypal-request-id'] = call.requestId;
    return providerFetch(`${this.base}${call.path}`, {
      method: call.method,
      headers,
      body: call.body,
      timeoutMs: this.ctx.timeoutMs,
    });
  }

  /** The cached token, or a new one (one fetch at a time per key); `fresh` when just fetched. */
  private async token(): Promise<{ token: string; fresh: boolean }> {
    const cached = tokens.get(this.cacheKey);
    if (cached && cached.expiresAt > Date.now()) return { token: cached.token, fresh: false };
    let pending = fetching.get(this.cacheKey);
    if (!pending) {
      pending = this.fetchToken().finally(() => fetching.delete(this.cacheKey));
      fetching.set(this.cacheKey, pending);
    }
    return { token: (await pending).token, fresh: true };
  }

  private async fetchToken(): Promise<CachedToken> {
    if (!this.clientId || !this.clientSecret)
      throw new ProviderError('credentials', 'PayPal client_id and client_secret are required');
    const basic = Buffer.from(`${this.clientId}:${this.clientSecret}`, 'utf8').toString('base64');
    const res = await providerFetch(`${this.base}/v1/oauth2/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${basic}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: 'grant_type=client_credentials',
      timeoutMs: this.ctx.timeoutMs,
    });
    if (res.status < 200 || res.status > 299) throw paypalError(res);
    let body: { access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(res.text) as typeof body;
    } catch {
      throw new ProviderError('unavailable', 'PayPal answered the token request with unreadable JSON');
    }
    if (typeof body.access_token !== 'string' || body.access_token === '')
      throw new ProviderError('unavailable', 'PayPal answered the token request without an access_token');
    const life = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in * 1000 : 0;
    const entry = {
      token: body.access_token,
      expiresAt: Date.now() + life - Math.min(TOKEN_MARGIN_MS, life / 10),
    };
    if (life > 0) {
      prune();
      tokens.set(this.cacheKey, entry);
    }
    return entry;
  }
}

function prune(): void {
  const now = Date.now();
  for (const [key, t] of tokens) if (t.expiresAt <= now) tokens.delete(key);
}

const enc = (id: string): string => encodeURIComponent(id);

/**
 * A failed PayPal answer as a ProviderError: 401/403 credentials, 5xx unavailable, other 4xx
 * rejected; the code is the first `details[].issue` (ORDER_ALREADY_CAPTURED), else `name` or `error`.
 */
export function paypalError(res: Pick<ProviderResponse, 'status' | 'text'>): ProviderError {
  let body: PayPalErrorBody = {};
  try {
    const parsed: unknown = JSON.parse(res.text);
    if (parsed && typeof parsed === 'object') body = parsed;
  } catch {
    // not JSON: the status says enough
  }
  const detail = Array.isArray(body.details) ? body.details[0] : undefined;
  const code = detail?.issue ?? body.name ?? body.error ?? `HTTP_${res.status}`;
  const text = detail?.description ?? body.message ?? body.error_description;
  const message = [`HTTP ${res.status}`, body.name ?? body.error, text].filter(Boolean).join(': ');
  return errorForStatus(res.status, body.debug_id ? `${message} (debug_id ${body.debug_id})` : message, code);
}
