import type { Type } from '@nestjs/common';
import type { CredentialSchema } from '../../common/credential-schema';

/**
 * The provider contract (docs/providers.md): what a provider folder under providers/<id>/ gives the
 * core. Its definition (ProviderDefinition) describes it; its adapter (PaymentProvider) translates
 * calls. An adapter is stateless: it receives the tenant's credentials per call in a ProviderContext
 * and the core persists everything.
 */

/** A `pay_way` a client may send, with how orders show it. */
export interface PayWayDefinition {
  /** The spellings clients send (either API dialect), lower case; matched case-insensitively. */
  readonly spellings: readonly string[];
  /** The provider's method it opens. */
  readonly method: string;
  /** How the order shows it (platform API's `pay_way`). */
  readonly display: string;
  /** How the order payment API names it back in `data.pay_way`. */
  readonly name: string;
}

/**
 * Everything paymux derives about a provider (pay ways, settings, credential validation, routing,
 * the adapter registry, checkout rendering) comes from this, exported by
 * `providers/<id>/<id>.definition.ts` and listed once in `providers/index.ts`.
 */
export interface ProviderDefinition {
  readonly id: string;
  readonly displayName: string;
  /** Its pay methods; the first pay way naming each is the one routing opens. */
  readonly methods: readonly string[];
  readonly payWays: readonly PayWayDefinition[];
  /**
   * What a tenant's provider account holds; checked before it is stored. Absent: the provider takes
   * no account (the Sandbox).
   */
  readonly credentials?: CredentialSchema;
  /**
   * The production API base; `PAYMUX_<ID>_BASE_URL` overrides it. Absent: the provider has no API
   * of its own (the Sandbox, served by paymux).
   */
  readonly productionBaseUrl?: string;
  /** The kinds of PaymentAction its createPayment returns (the checkout page renders each). */
  readonly actions: readonly PaymentAction['kind'][];
  /**
   * Where routing tries it when a tenant has set no priority (lower first); absent: routing picks
   * it only when the tenant lists it.
   */
  readonly defaultRoutingRank?: number;
  readonly adapter: Type<PaymentProvider>;
}
export interface ProviderContext {
  tenantId: string;
  mode: 'live' | 'test';
  /** The provider's API base (PAYMUX_<PROVIDER>_BASE_URL or production). */
  baseUrl: string;
  /** Decrypted credentials; never logged, never stored on the adapter. */
  credentials: Readonly<Record<string, string>>;
  /** Where the provider must send its callbacks for this tenant. */
  notifyUrl: string;
  /** Where a payer returning from the provider's page lands (`/api/v1/return/<provider>/<tenant>`). */
  returnBaseUrl: string;
  /** Bound on every provider call (PROVIDER_TIMEOUT_MS): a slower answer is `ProviderError('timeout')`. */
  timeoutMs: number;
}

export interface CreatePaymentInput {
  paymentId: string;
  orderId: string;
  method: string;
  /**
   * What to charge, decimal text at `currency`'s scale. Already converted with the FX table when the
   * provider charges another currency than the order's (see `chargeCurrency`).
   */
  amount: string;
  currency: string;
  description: string;
  expiresAt: Date;
  /** Our hosted checkout page for the order. */
  checkoutUrl: string;
  returnUrl?: string;
  openid?: string;
  /** Crypto: the token and chain the payer asked for (routing); absent: the account's defaults. */
  route?: PaymentRoute;
}

/** A crypto payment's token and chain, as routing names them: `{currency: 'USDT', chain: 'TRON'}`. */
export interface PaymentRoute {
  currency: string;
  chain: string;
}

export type PaymentAction =
  | { kind: 'redirect'; url: string }
  | { kind: 'qr'; codeUrl: string }
  | { kind: 'mini_program'; params: Record<string, string> }
  | { kind: 'crypto'; address: string; amount: string; network: string; token: string }
  | { kind: 'x402'; requirements: object };

export interface CreatedPayment {
  /** The provider's id for the payment; `pay_id` on the order. */
  providerRef: string;
  action: PaymentAction;
}

export interface RawNotification {
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: Buffer;
}

/** What a verified notification means, normalised to paymux's small set of actions. */
export interface VerifiedEvent {
  eventId: string;
  type: string;
  /** Only an explicit success or failure is final; anything unrecognised is `pending`. */
  outcome: 'succeeded' | 'failed' | 'expired' | 'pending';
  providerRef: string;
  /** What the provider says it collected, decimal text. */
  amount?: string;
  currency?: string;
  payload: Record<string, unknown>;
}

export interface RawReply {
  status: number;
  body: string | Record<string, unknown>;
  contentType?: string;
}

export interface PaymentRef {
  paymentId: string;
  providerRef: string;
  /** What the attempt charges (decimal text, `currency`'s scale), for providers that need it back. */
  amount: string;
  currency: string;
}

export interface ProviderStatus {
  /** Only an explicit success or failure is final; anything the adapter does not recognise is `pending`. */
  status: 'succeeded' | 'failed' | 'expired' | 'pending';
  amount?: string;
  currency?: string;
}

export interface RefundInput {
  /** Our refund id: the provider's idempotency key / out_refund_no / out_request_no. */
  refundId: string;
  /** What to give back, decimal text in the payment's currency at its scale. */
  amount: string;
  currency: string;
  reason: string;
}

export interface RefundResult {
  /** `pending` when the provider has not settled it yet; reconciliation asks again with queryRefund. */
  status: 'succeeded' | 'pending' | 'failed';
  /** The provider's refund number, when it gives one. */
  providerRefundId?: string;
  message?: string;
}

/**
 * A provider call that failed. `unavailable` (5xx, connection refused) and `timeout` answer 502;
 * `credentials` (401/403, a signature the provider refused) and `rejected` (the provider refused the
 * request, 4xx) answer 422. `message` carries the provider's own message.
 */
export class ProviderError extends Error {
  constructor(
    readonly kind: 'unavailable' | 'timeout' | 'credentials' | 'rejected',
    message: string,
    readonly providerCode?: string,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

export interface PaymentProvider {
  readonly id: string;
  readonly methods: readonly string[];
  supports(q: { method: string; currency: string; network?: string }): boolean;
  /**
   * The currency the provider charges for an order in `orderCurrency` (WeChat Pay and Alipay: CNY).
   * When it differs, the core converts with the FX table before createPayment. Default: the same.
   */
  chargeCurrency?(orderCurrency: string, route?: PaymentRoute, ctx?: ProviderContext): string;
  createPayment(ctx: ProviderContext, input: CreatePaymentInput): Promise<CreatedPayment>;
  /** Throws NotificationRejected on a bad signature, before anything in the body is trusted. */
  verifyNotification(ctx: ProviderContext, raw: RawNotification): Promise<VerifiedEvent>;
  acknowledge(result: VerifiedEvent | Error): RawReply;
  /**
   * The error a refused callback is acknowledged with (bad signature, unknown tenant, provider not
   * enabled: one reply for all, see WebhooksService). Default: NotificationRejected.
   */
  rejection?(message: string): NotificationRejected;
  queryPayment(ctx: ProviderContext, ref: PaymentRef): Promise<ProviderStatus>;
  close?(ctx: ProviderContext, ref: PaymentRef): Promise<void>;
  /** Give money back; idempotent by `input.refundId`. An unknown outcome (timeout) throws ProviderError. */
  refund?(ctx: ProviderContext, ref: PaymentRef, input: RefundInput): Promise<RefundResult>;
  /**
   * Ask how a refund ended (reconciliation of `pending` refunds). `requestedAt` is when paymux asked
   * for it, for an adapter that must wait before it may take "no such refund" as final. A refund the
   * provider does not (yet) know is `pending`, never `failed`, while its money may still move.
   */
  queryRefund?(
    ctx: ProviderContext,
    ref: PaymentRef,
    refund: { refundId: string; providerRefundId?: string; requestedAt?: Date },
  ): Promise<RefundResult>;
  /**
   * A payer came back from the provider's page (PayPal's return URL): finish what the provider needs
   * (PayPal: capture) and report the outcome like a notification. Optional.
   */
  handleReturn?(ctx: ProviderContext, query: Readonly<Record<string, string>>): Promise<VerifiedEvent | null>;
}

/** A callback that failed verification. */
export class NotificationRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotificationRejected';
  }
}

/** Multi-provider token collecting every adapter (Ghostfolio-style `useFactory: (...p) => p`). */
export const PAYMENT_PROVIDERS = Symbol('PAYMENT_PROVIDERS');
