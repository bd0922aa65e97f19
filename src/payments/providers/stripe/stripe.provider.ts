/**
 * Stripe Checkout (docs/providers.md "Stripe"), over the official `stripe` client aimed at `ctx.baseUrl`
 * (stripe.client.ts: no retries, bounded time, SDK errors as ProviderError).
 *
 * - createPayment opens a Checkout Session (mode payment, one line item of the charged amount,
 *   `client_reference_id` = order id, `metadata[order_id|payment_id]` on the session and on its
 *   PaymentIntent, `expires_at` = the order's expiry clamped into Stripe's 30 min .. 24 h window) with
 *   `Idempotency-Key` = our payment id; `pay_id` is the session id (`cs_...`), the payer URL its `url`.
 *   Amounts are Stripe's integer minor units (stripe.amount.ts): zero-decimal currencies (JPY, VND)
 *   are not multiplied; IDR and THB are hundredths at Stripe although paymux keeps them whole.
 * - Webhooks: `Stripe-Signature` checked over the exact bytes (stripe.signing.ts) before the body is
 *   parsed. `checkout.session.completed` is a success only when `payment_status` is `paid` (async
 *   methods complete unpaid and report later with `checkout.session.async_payment_succeeded|failed`);
 *   `checkout.session.expired` expires the attempt; anything else is `pending`.
 * - `payment_intent.payment_failed` names a PaymentIntent, not a session: only intents carrying our
 *   `metadata[payment_id]` are looked at, and their session is found with
 *   `GET /v1/checkout/sessions?payment_intent=pi_...`. It is final only when that session can no
 *   longer be paid (complete: an async payment failed; expired): a declined card leaves the session
 *   open and the payer may try again on the same page, so the attempt stays pending (reconciliation
 *   and the expiry sweeper keep watching it, and close it at Stripe when the order expires). When
 *   that lookup fails (Stripe 5xx, timeout), the webhook answers 503 and Stripe delivers it again.
 * - close expires the session; a session that is no longer open (or that Stripe never saw) is done.
 * - refund reads the session's PaymentIntent and refunds it (`Idempotency-Key` = our refund id,
 *   `metadata[refund_id]`); queryRefund reads the refund, or finds it by `metadata.refund_id` among
 *   the intent's refunds when the first answer never came. Not found stays pending (no money is
 *   reported moved or not moved on a guess).
 */
import { Injectable } from '@nestjs/common';
import type Stripe from 'stripe';
import { MoneyError } from '../../../common/money';
import {
  CreatedPayment,
  CreatePaymentInput,
  NotificationRejected,
  PaymentProvider,
  PaymentRef,
  ProviderContext,
  ProviderError,
  ProviderStatus,
  RawNotification,
  RawReply,
  RefundInput,
  RefundResult,
  VerifiedEvent,
} from '../../contract/payment-provider';
import { fromStripeAmount, STRIPE_CURRENCIES, toStripeAmount } from './stripe.amount';
import { isResourceMissing, stripeCall, stripeClient } from './stripe.client';
import { verifyStripeEvent } from './stripe.signing';

/** Stripe accepts `expires_at` 30 minutes to 24 hours after creation; a minute of margin each side. */
const MIN_SESSION_SECONDS = 31 * 60;
const MAX_SESSION_SECONDS = 24 * 3600 - 60;

/** The part of a Stripe event we read, once its signature is checked. */
interface StripeEvent {
  id: string;
  type: string;
  data: { object: Record<string, unknown> };
}

@Injectable()
export class StripeProvider implements PaymentProvider {
  readonly id = 'stripe' as const;
  readonly methods = ['stripe_checkout'] as const;

  supports(q: { method: string; currency: string }): boolean {
    return q.method === 'stripe_checkout' && STRIPE_CURRENCIES.has(q.currency);
  }

  async createPayment(ctx: ProviderContext, input: CreatePaymentInput): Promise<CreatedPayment> {
    const unitAmount = amountFor(input.currency, input.amount);
    const back = input.returnUrl ?? input.checkoutUrl;
    const nowSeconds = Math.floor(Date.now() / 1000);
    const expiresAt = Math.min(
      Math.max(Math.floor(input.expiresAt.getTime() / 1000), nowSeconds + MIN_SESSION_SECONDS),
      nowSeconds + MAX_SESSION_SECONDS,
    );
    const ids = { order_id: input.orderId, payment_id: input.paymentId };
    const stripe = stripeClient(ctx);
    const session = await stripeCall(ctx.timeoutMs, () =>
      stripe.checkout.sessions.create(
        {
          mode: 'payment',
          line_items: [
            {
              price_data: {
                currency: input.currency.toLowerCase(),
                unit_amount: unitAmount,
                product_data: { name: input.description },
              },
              quantity: 1,
            },
          ],
          success_url: back,
          cancel_url: back,
          client_reference_id: input.orderId,
          metadata: ids,
          payment_intent_data: { metadata: ids },
          expires_at: expiresAt,
        },
        { idempotencyKey: input.paymentId },
      ),
    );
    if (!session.url)
      throw new ProviderError('rejected', `Stripe gave checkout session ${session.id} no URL`);
    return { providerRef: session.id, action: { kind: 'redirect', url: session.url } };
  }

  async verifyNotification(ctx: ProviderContext, raw: RawNotification): Promise<VerifiedEvent> {
    const event = eventOf(
      verifyStripeEvent(
        raw.headers['stripe-signature'],
        raw.body,
        ctx.credentials.webhook_secret,
        Math.floor(Date.now() / 1000),
      ),
    );
    const object = event.data.object;
    const payload = event as unknown as Record<string, unknown>;
    const base = { eventId: event.id, type: event.type, payload };
    if (event.type.startsWith('checkout.session.'))
      return { ...base, outcome: sessionEventOutcome(event.type, object), ...sessionFacts(object) };
    if (event.type === 'payment_intent.payment_failed')
      return { ...base, ...(await this.intentFailed(ctx, object)) };
    return { ...base, outcome: 'pending', providerRef: str(object.id) ?? '' };
  }

  acknowledge(result: VerifiedEvent | Error): RawReply {
    // A genuine event we could not finish reading because Stripe itself failed (the session lookup of
    // payment_intent.payment_failed): a 5xx, so Stripe delivers it again later (PayPal's adapter too).
    if (result instanceof ProviderError)
      return {
        status: 503,
        body: { received: false, error: 'Stripe could not be reached; deliver again later' },
      };
    if (result instanceof Error) return { status: 400, body: { received: false, error: result.message } };
    return { status: 200, body: { received: true } };
  }

  async queryPayment(ctx: ProviderContext, ref: PaymentRef): Promise<ProviderStatus> {
    const session = await this.session(ctx, ref.providerRef);
    if (session.status === 'complete' && session.payment_status === 'paid') {
      const { amount, currency } = sessionFacts(session as unknown as Record<string, unknown>);
      return { status: 'succeeded', amount, currency };
    }
    if (session.status === 'expired') return { status: 'expired' };
    return { status: 'pending' };
  }

  async close(ctx: ProviderContext, ref: PaymentRef): Promise<void> {
    const stripe = stripeClient(ctx);
    try {
      await stripeCall(ctx.timeoutMs, () => stripe.checkout.sessions.expire(ref.providerRef));
    } catch (err) {
      // Stripe never saw it: nothing to close.
      if (isResourceMissing(err)) return;
      // Stripe answers 400 for a session that is not open (already expired or complete): done.
      if (err instanceof ProviderError && err.kind === 'rejected') {
        const session = await this.session(ctx, ref.providerRef);
        if (session.status !== 'open') return;
      }
      throw err;
    }
  }

  async refund(ctx: ProviderContext, ref: PaymentRef, input: RefundInput): Promise<RefundResult> {
    const intent = await this.intentOf(ctx, ref, input.currency);
    const amount = amountFor(input.currency, input.amount);
    const stripe = stripeClient(ctx);
    const refund = await stripeCall(ctx.timeoutMs, () =>
      stripe.refunds.create(
        {
          payment_intent: intent,
          amount,
          metadata: {
            refund_id: input.refundId,
            payment_id: ref.paymentId,
            reason: input.reason.slice(0, 500),
          },
        },
        { idempotencyKey: input.refundId },
      ),
    );
    return refundResult(refund);
  }

  async queryRefund(
    ctx: ProviderContext,
    ref: PaymentRef,
    r: { refundId: string; providerRefundId?: string },
  ): Promise<RefundResult> {
    const stripe = stripeClient(ctx);
    if (r.providerRefundId) {
      const id = r.providerRefundId;
      return refundResult(await stripeCall(ctx.timeoutMs, () => stripe.refunds.retrieve(id)));
    }
    const intent = await this.intentOf(ctx, ref, ref.currency);
    const list = await stripeCall(ctx.timeoutMs, () =>
      stripe.refunds.list({ payment_intent: intent, limit: 100 }),
    );
    const found = list.data.find((x) => x.metadata?.refund_id === r.refundId);
    if (!found) return { status: 'pending', message: `Stripe has no refund ${r.refundId} on ${intent} yet` };
    return refundResult(found);
  }

  private session(ctx: ProviderContext, id: string): Promise<Stripe.Checkout.Session> {
    const stripe = stripeClient(ctx);
    return stripeCall(ctx.timeoutMs, () => stripe.checkout.sessions.retrieve(id));
  }

  /** The PaymentIntent that paid a session (refunds are made against it). */
  private async intentOf(ctx: ProviderContext, ref: PaymentRef, currency: string): Promise<string> {
    const session = await this.session(ctx, ref.providerRef);
    if (session.currency && session.currency.toUpperCase() !== currency)
      throw new ProviderError('rejected', `checkout session ${session.id} was paid in ${session.currency}`);
    const intent = session.payment_intent;
    const id = typeof intent === 'string' ? intent : intent?.id;
    if (!id) throw new ProviderError('rejected', `checkout session ${session.id} has no payment to refund`);
    return id;
  }

  /**
   * `payment_intent.payment_failed` of one of our intents: the session it belongs to, and whether
   * that session can still be paid (see the header comment).
   */
  private async intentFailed(
    ctx: ProviderContext,
    intent: Record<string, unknown>,
  ): Promise<Pick<VerifiedEvent, 'outcome' | 'providerRef' | 'amount' | 'currency'>> {
    const intentId = str(intent.id) ?? '';
    const metadata = intent.metadata as Record<string, unknown> | undefined;
    const facts = amountFacts(intent.amount, intent.currency);
    // Not opened by paymux (the account may take other payments): nothing to look up.
    if (!str(metadata?.payment_id)) return { outcome: 'pending', providerRef: intentId, ...facts };
    const stripe = stripeClient(ctx);
    const sessions = await stripeCall(ctx.timeoutMs, () =>
      stripe.checkout.sessions.list({ payment_intent: intentId, limit: 1 }),
    );
    const session = sessions.data[0];
    if (!session) return { outcome: 'pending', providerRef: intentId, ...facts };
    const outcome =
      session.status === 'open' ? 'pending' : session.status === 'expired' ? 'expired' : 'failed';
    return { outcome, providerRef: session.id, ...facts };
  }
}

/** Stripe's integer amount for our decimal text; an amount Stripe cannot take is a rejected request. */
function amountFor(currency: string, amount: string): number {
  if (!STRIPE_CURRENCIES.has(currency))
    throw new ProviderError('rejected', `Stripe does not charge ${currency}`);
  try {
    return toStripeAmount(currency, amount);
  } catch (err) {
    if (err instanceof MoneyError) throw new ProviderError('rejected', err.message);
    throw err;
  }
}

/** The verified event's shape checked: what the adapter reads must be there. */
function eventOf(event: unknown): StripeEvent {
  const e = event as Partial<StripeEvent> | null;
  if (
    typeof e !== 'object' ||
    e === null ||
    typeof e.id !== 'string' ||
    typeof e.type !== 'string' ||
    typeof e.data?.object !== 'object' ||
    e.data.object === null
  )
    throw new NotificationRejected('the event has no id, type or data.object');
  return e as StripeEvent;
}

function sessionEventOutcome(type: string, session: Record<string, unknown>): VerifiedEvent['outcome'] {
  switch (type) {
    case 'checkout.session.completed':
      return session.payment_status === 'paid' ? 'succeeded' : 'pending';
    case 'checkout.session.async_payment_succeeded':
      return 'succeeded';
    case 'checkout.session.async_payment_failed':
      return 'failed';
    case 'checkout.session.expired':
      return 'expired';
    default:
      return 'pending';
  }
}

/** The session's id and what it charges (`amount_total`, `currency`), as paymux reads them. */
function sessionFacts(
  session: Record<string, unknown>,
): Pick<VerifiedEvent, 'providerRef' | 'amount' | 'currency'> {
  return { providerRef: str(session.id) ?? '', ...amountFacts(session.amount_total, session.currency) };
}

/**
 * Amount and currency from Stripe's integer minor units; a currency paymux does not know keeps no
 * amount (the currency alone then shows the mismatch).
 */
function amountFacts(minor: unknown, currency: unknown): Pick<VerifiedEvent, 'amount' | 'currency'> {
  if (typeof currency !== 'string') return {};
  const upper = currency.toUpperCase();
  if (typeof minor !== 'number' || !Number.isSafeInteger(minor)) return { currency: upper };
  try {
    return { amount: fromStripeAmount(upper, minor), currency: upper };
  } catch {
    return { currency: upper };
  }
}

function refundResult(refund: Stripe.Refund): RefundResult {
  switch (refund.status) {
    case 'succeeded':
      return { status: 'succeeded', providerRefundId: refund.id };
    case 'failed':
    case 'canceled':
      return {
        status: 'failed',
        providerRefundId: refund.id,
        message: `Stripe refund ${refund.status}${refund.failure_reason ? `: ${refund.failure_reason}` : ''}`,
      };
    case null:
    default:
      // pending, requires_action, and anything Stripe adds later.
      return { status: 'pending', providerRefundId: refund.id };
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
