/**
 * The PaymentProvider strategy (DESIGN.md section 2). An adapter is stateless: it receives the
 * tenant's credentials per call in a ProviderContext and the core persists everything.
 */
export const PROVIDER_IDS = [
  'sandbox',
  'wechat',
  'alipay',
  'stripe',
  'paypal',
  'x402',
  'alchemy',
  'tokenpay',
] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

export type PayMethod =
  | 'sandbox'
  | 'wechat_native'
  | 'wechat_jsapi'
  | 'alipay_page'
  | 'alipay_qr'
  | 'stripe_checkout'
  | 'paypal_checkout'
  | 'x402'
  | 'alchemy_checkout'
  | 'tokenpay_checkout';

export interface ProviderContext {
  tenantId: string;
  mode: 'live' | 'test';
  /** The provider's API base (PAYMUX_<PROVIDER>_BASE_URL or production). */
  baseUrl: string;
  /** Decrypted credentials; never logged, never stored on the adapter. */
  credentials: Readonly<Record<string, string>>;
  /** Where the provider must send its callbacks for this tenant. */
  notifyUrl: string;
}

export interface CreatePaymentInput {
  paymentId: string;
  orderId: string;
  method: PayMethod;
  /** Decimal text at the currency's scale. */
  amount: string;
  currency: string;
  description: string;
  expiresAt: Date;
  /** Our hosted checkout page for the order. */
  checkoutUrl: string;
  returnUrl?: string;
  openid?: string;
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
}

export interface ProviderStatus {
  status: 'succeeded' | 'failed' | 'expired' | 'pending';
  amount?: string;
  currency?: string;
}

export interface PaymentProvider {
  readonly id: ProviderId;
  readonly methods: readonly PayMethod[];
  supports(q: { method: PayMethod; currency: string; network?: string }): boolean;
  createPayment(ctx: ProviderContext, input: CreatePaymentInput): Promise<CreatedPayment>;
  /** Throws NotificationRejected on a bad signature, before anything in the body is trusted. */
  verifyNotification(ctx: ProviderContext, raw: RawNotification): Promise<VerifiedEvent>;
  acknowledge(result: VerifiedEvent | Error): RawReply;
  queryPayment(ctx: ProviderContext, ref: PaymentRef): Promise<ProviderStatus>;
  close?(ctx: ProviderContext, ref: PaymentRef): Promise<void>;
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
