/**
 * Sandbox: paymux's own test-mode provider, a product feature like Stripe's test mode. Any currency;
 * `pay_url` opens the hosted checkout; completing a payment there emits a callback signed like
 * Stripe's (`Paymux-Sandbox-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`) that goes
 * through the same webhook pipeline as every real provider. The per-tenant secret is derived from
 * the master key, so nothing is stored.
 */
import { Inject, Injectable } from '@nestjs/common';
import { hmacSha256Hex, randomToken, safeEqual } from '../../../common/crypto';
import {
  CreatedPayment,
  CreatePaymentInput,
  NotificationRejected,
  PaymentProvider,
  PaymentRef,
  PaymentRoute,
  ProviderError,
  ProviderContext,
  ProviderStatus,
  RawNotification,
  RefundInput,
  RefundResult,
  RawReply,
  VerifiedEvent,
} from '../../contract/payment-provider';

export const SANDBOX_SIGNATURE_HEADER = 'paymux-sandbox-signature';
const TOLERANCE_SECONDS = 300;

export interface SandboxEventBody {
  id: string;
  type: 'payment.succeeded' | 'payment.failed';
  pay_id: string;
  amount: string;
  currency: string;
  created: number;
}

export function signSandboxPayload(secret: string, body: string, t: number): string {
  return `t=${t},v1=${hmacSha256Hex(secret, `${t}.${body}`)}`;
}

/**
 * The Sandbox's "provider side" records (what the payer did on the sandbox checkout), kept by the
 * payments layer (SandboxChargesStore), so queryPayment answers like a real provider would.
 */
export interface SandboxCharges {
  find(
    tenantId: string,
    payId: string,
  ): Promise<{ outcome: 'succeeded' | 'failed'; amount: string; currency: string } | null>;
}

export const SANDBOX_CHARGES = Symbol('SANDBOX_CHARGES');

@Injectable()
export class SandboxProvider implements PaymentProvider {
  readonly id = 'sandbox' as const;
  readonly methods = ['sandbox'] as const;

  constructor(@Inject(SANDBOX_CHARGES) private readonly charges: SandboxCharges) {}

  supports(): boolean {
    return true;
  }

  /** Test mode pretends to collect the token a routed payment asks for (converted like a real one). */
  chargeCurrency(orderCurrency: string, route?: PaymentRoute): string {
    return route?.currency ?? orderCurrency;
  }

  createPayment(_ctx: ProviderContext, input: CreatePaymentInput): Promise<CreatedPayment> {
    return Promise.resolve({
      providerRef: `sbx_${randomToken(18)}`,
      action: { kind: 'redirect', url: input.checkoutUrl },
    });
  }

  verifyNotification(ctx: ProviderContext, raw: RawNotification): Promise<VerifiedEvent> {
    const header = raw.headers[SANDBOX_SIGNATURE_HEADER];
    if (typeof header !== 'string') throw new NotificationRejected('missing signature header');
    const parts = new Map(header.split(',').map((kv) => kv.split('=', 2) as [string, string]));
    const t = Number(parts.get('t'));
    const v1 = parts.get('v1');
    if (!Number.isInteger(t) || !v1) throw new NotificationRejected('malformed signature header');
    if (Math.abs(Date.now() / 1000 - t) > TOLERANCE_SECONDS)
      throw new NotificationRejected('signature timestamp outside tolerance');
    const expected = hmacSha256Hex(
      ctx.credentials.webhook_secret,
      Buffer.concat([Buffer.from(`${t}.`), raw.body]),
    );
    if (!safeEqual(expected, v1)) throw new NotificationRejected('signature mismatch');
    const body = JSON.parse(raw.body.toString('utf8')) as SandboxEventBody;
    return Promise.resolve({
      eventId: body.id,
      type: body.type,
      outcome:
        body.type === 'payment.succeeded'
          ? 'succeeded'
          : body.type === 'payment.failed'
            ? 'failed'
            : 'pending',
      providerRef: body.pay_id,
      amount: body.amount,
      currency: body.currency,
      payload: body as unknown as Record<string, unknown>,
    });
  }

  acknowledge(result: VerifiedEvent | Error): RawReply {
    if (result instanceof Error) return { status: 400, body: { received: false, error: result.message } };
    return { status: 200, body: { received: true } };
  }

  async queryPayment(ctx: ProviderContext, ref: PaymentRef): Promise<ProviderStatus> {
    const charge = await this.charges.find(ctx.tenantId, ref.providerRef);
    if (!charge) return { status: 'pending' };
    return { status: charge.outcome, amount: charge.amount, currency: charge.currency };
  }

  /**
   * Test-mode refunds succeed at once, like Stripe's test mode; the refund number is derived from our
   * refund id, so a retried refund is the same refund. Only a succeeded charge can be refunded.
   */
  async refund(ctx: ProviderContext, ref: PaymentRef, input: RefundInput): Promise<RefundResult> {
    const status = await this.queryPayment(ctx, ref);
    if (status.status !== 'succeeded')
      throw new ProviderError('rejected', `sandbox payment ${ref.providerRef} was not paid`);
    return { status: 'succeeded', providerRefundId: `sbx_re_${input.refundId.replace(/-/g, '')}` };
  }

  queryRefund(_ctx: ProviderContext, _ref: PaymentRef, r: { refundId: string }): Promise<RefundResult> {
    return Promise.resolve({
      status: 'succeeded',
      providerRefundId: `sbx_re_${r.refundId.replace(/-/g, '')}`,
    });
  }
}
