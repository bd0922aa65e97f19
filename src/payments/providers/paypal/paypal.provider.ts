/**
 * PayPal Orders v2 (docs/providers.md "PayPal (Orders v2)"), over the small client in paypal.client.ts.
 *
 * - createPayment opens an order (intent CAPTURE, `PayPal-Request-Id` = our payment id, `custom_id` =
 *   payment id, `invoice_id` = paymux order id); `pay_id` is PayPal's order id, the payer URL its
 *   `payer-action` (or `approve`) link.
 * - The money moves only when we capture after the payer approves. Approval reaches us three ways: the
 *   CHECKOUT.ORDER.APPROVED webhook, the payer's return (handleReturn) and reconciliation (queryPayment
 *   of an APPROVED order). All three capture with `PayPal-Request-Id: capture-<order id>`, so PayPal
 *   performs one capture however many ask; an ORDER_ALREADY_CAPTURED answer reads the order instead.
 *   A completed capture is reported with event id `capture:<capture id>` on every route (PAYMENT.
 *   CAPTURE.COMPLETED too), so the core applies it once. Non-final capture states use
 *   `capture:<id>:<status>` so that a later COMPLETED for the same capture is still applied.
 * - Only orders paymux opened are captured: their `custom_id` is a payment id (a UUID), and on the
 *   return route it must equal the return URL's `payment_id`.
 * - Webhooks are checked by PayPal itself (`POST /v1/notifications/verify-webhook-signature` with the
 *   tenant's webhook_id and the exact bytes received); nothing in the body is read before it says
 *   SUCCESS. Missing PAYPAL-* headers or a transmission time off by more than the tolerance are
 *   rejected without asking PayPal.
 * - *Unsure*: whether PayPal re-signs a retried delivery with a fresh PAYPAL-TRANSMISSION-TIME. We
 *   believe each delivery attempt is a new transmission (new id, time and signature), so the default
 *   tolerance is 300 s like every other provider; if retries turn out to carry the first attempt's
 *   time, raise it with the PAYPAL_OPTIONS provider (`webhookToleranceSeconds`; 0 turns the check
 *   off). A rejected retry loses nothing: reconciliation asks PayPal about every pending payment.
 * - A test-mode account on the default base URL talks to PayPal's sandbox (api-m.sandbox.paypal.com).
 * - There is no close: an order nobody approved simply expires at PayPal.
 */
import { Inject, Injectable, Optional } from '@nestjs/common';
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
import { paypalTakes, toPayPalValue } from './paypal.amount';
import { PayPalClient } from './paypal.client';
import type {
  CreateOrderBody,
  PayPalCapture,
  PayPalOrder,
  PayPalRefund,
  PayPalWebhookEvent,
  WebhookTransmission,
} from './paypal.wire';

export const PAYPAL_OPTIONS = Symbol('PAYPAL_OPTIONS');

export interface PayPalOptions {
  /** How far PAYPAL-TRANSMISSION-TIME may be from now, in seconds; 0 disables the check. Default 300. */
  webhookToleranceSeconds?: number;
}

export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ORDER_ID = /^[A-Za-z0-9-]{1,64}$/;

/** The PAYPAL-* headers a webhook delivery carries, with the verify API's field names. */
const TRANSMISSION_HEADERS: Readonly<Record<keyof WebhookTransmission, string>> = {
  auth_algo: 'paypal-auth-algo',
  cert_url: 'paypal-cert-url',
  transmission_id: 'paypal-transmission-id',
  transmission_sig: 'paypal-transmission-sig',
  transmission_time: 'paypal-transmission-time',
};

@Injectable()
export class PayPalProvider implements PaymentProvider {
  readonly id = 'paypal' as const;
  readonly methods = ['paypal_checkout'] as const;
  private readonly toleranceSeconds: number;

  constructor(@Optional() @Inject(PAYPAL_OPTIONS) options?: PayPalOptions) {
    this.toleranceSeconds = options?.webhookToleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS;
  }

  supports(q: { method: string; currency: string; network?: string }): boolean {
    return q.method === 'paypal_checkout' && !q.network && paypalTakes(q.currency);
  }

  async createPayment(ctx: ProviderContext, input: CreatePaymentInput): Promise<CreatedPayment> {
    const body: CreateOrderBody = {
      intent: 'CAPTURE',
      purchase_units: [
        {
          custom_id: input.paymentId,
          invoice_id: input.orderId,
          description: input.description.slice(0, 127),
          amount: { currency_code: input.currency, value: toPayPalValue(input.currency, input.amount) },
        },
      ],
      payment_source: {
        paypal: {
          experience_context: {
            return_url: `${ctx.returnBaseUrl}?payment_id=${encodeURIComponent(input.paymentId)}`,
            cancel_url: input.checkoutUrl,
            user_action: 'PAY_NOW',
          },
        },
      },
    };
    const order = await new PayPalClient(ctx).createOrder(body, input.paymentId);
    const link =
      order.links?.find((l) => l.rel === 'payer-action') ?? order.links?.find((l) => l.rel === 'approve');
    if (typeof order.id !== 'string' || !ORDER_ID.test(order.id) || typeof link?.href !== 'string')
      throw new ProviderError(
        'unavailable',
        'PayPal answered the order without an id or a payer-action link',
      );
    return { providerRef: order.id, action: { kind: 'redirect', url: link.href } };
  }

  async verifyNotification(ctx: ProviderContext, raw: RawNotification): Promise<VerifiedEvent> {
    const t = transmissionOf(raw.headers);
    const sent = Date.parse(t.transmission_time);
    if (!Number.isFinite(sent)) throw new NotificationRejected('malformed PAYPAL-TRANSMISSION-TIME');
    if (this.toleranceSeconds > 0 && Math.abs(Date.now() - sent) > this.toleranceSeconds * 1000)
      throw new NotificationRejected('PAYPAL-TRANSMISSION-TIME outside tolerance');
    const webhookId = ctx.credentials.webhook_id;
    if (!webhookId) throw new NotificationRejected('no webhook_id configured for this account');
    const text = raw.body.toString('utf8');
    // Only a syntax check, so the bytes can be spliced into the verify request as one JSON value.
    if (!isJsonObject(text)) throw new NotificationRejected('body is not a JSON object');

    const client = new PayPalClient(ctx);
    const verdict = await client.verifyWebhookSignature(t, webhookId, text);
    if (verdict !== 'SUCCESS')
      throw new NotificationRejected(`PayPal did not verify the signature (${verdict || 'no status'})`);

    const event = JSON.parse(text) as PayPalWebhookEvent;
    if (typeof event.id !== 'string' || typeof event.event_type !== 'string')
      throw new NotificationRejected('event without id or event_type');
    return this.eventOf(client, event);
  }

  acknowledge(result: VerifiedEvent | Error): RawReply {
    if (result instanceof ProviderError)
      // We could not ask PayPal (or capture): answer non-2xx so PayPal delivers it again later.
      return { status: 503, body: { received: false, error: result.message } };
    if (result instanceof Error) return { status: 400, body: { received: false, error: result.message } };
    return { status: 200, body: { received: true } };
  }

  /**
   * The payer is back on our return URL (`?payment_id=<ours>&token=<PayPal order id>&PayerID=...`):
   * capture an approved order (once, same path as the webhook) and report it; null when the return
   * names no order of ours or nothing is settled yet.
   */
  async handleReturn(
    ctx: ProviderContext,
    query: Readonly<Record<string, string>>,
  ): Promise<VerifiedEvent | null> {
    const orderId = query.token;
    if (typeof orderId !== 'string' || !ORDER_ID.test(orderId)) return null;
    const client = new PayPalClient(ctx);
    const order = await client.getOrder(orderId);
    if (!isOurs(order)) return null;
    if (query.payment_id !== undefined && customIdOf(order) !== query.payment_id) return null;
    const settled =
      order.status === 'APPROVED'
        ? await capture(client, orderId)
        : order.status === 'COMPLETED'
          ? order
          : null;
    if (!settled) return null;
    const c = captureOf(settled);
    return c ? captureEvent(orderId, c, 'RETURN.CAPTURED', { source: 'return', order: settled }) : null;
  }

  async queryPayment(ctx: ProviderContext, ref: PaymentRef): Promise<ProviderStatus> {
    const client = new PayPalClient(ctx);
    const order = await client.getOrder(ref.providerRef);
    switch (order.status) {
      case 'COMPLETED':
        return statusOf(captureOf(order));
      case 'APPROVED':
        return statusOf(captureOf(await capture(client, ref.providerRef)));
      case 'VOIDED':
        return { status: 'failed' };
      default:
        // CREATED, SAVED, PAYER_ACTION_REQUIRED and anything new.
        return { status: 'pending' };
    }
  }

  /**
   * Refund the order's capture; `PayPal-Request-Id` and `invoice_id` are our refund id, so a retry is
   * the same refund and queryRefund can find it on the order without PayPal's refund id.
   */
  async refund(ctx: ProviderContext, ref: PaymentRef, input: RefundInput): Promise<RefundResult> {
    const client = new PayPalClient(ctx);
    const order = await client.getOrder(ref.providerRef);
    const done = refundsOf(order).find((r) => r.invoice_id === input.refundId);
    if (done) return refundResult(done);
    const captures = order.purchase_units?.[0]?.payments?.captures ?? [];
    const c =
      captures.find((x) => ['COMPLETED', 'PARTIALLY_REFUNDED', 'REFUNDED'].includes(x.status)) ?? captures[0];
    if (!c?.id)
      throw new ProviderError(
        'rejected',
        `PayPal order ${ref.providerRef} has no capture to refund`,
        'NO_CAPTURE',
      );
    const reason = input.reason.trim().slice(0, 255);
    const refund = await client.refundCapture(
      c.id,
      {
        amount: { value: toPayPalValue(input.currency, input.amount), currency_code: input.currency },
        invoice_id: input.refundId,
        ...(reason ? { note_to_payer: reason } : {}),
      },
      input.refundId,
    );
    return refundResult(refund);
  }

  async queryRefund(
    ctx: ProviderContext,
    ref: PaymentRef,
    r: { refundId: string; providerRefundId?: string },
  ): Promise<RefundResult> {
    const client = new PayPalClient(ctx);
    if (r.providerRefundId) return refundResult(await client.getRefund(r.providerRefundId));
    // The refund call got no answer: look for it on the order by its invoice_id.
    const found = refundsOf(await client.getOrder(ref.providerRef)).find((x) => x.invoice_id === r.refundId);
    return found ? refundResult(found) : { status: 'pending' };
  }

  /** A verified webhook event, normalised; an APPROVED order is captured here. */
  private async eventOf(client: PayPalClient, event: PayPalWebhookEvent): Promise<VerifiedEvent> {
    const resource = event.resource ?? {};
    const payload = event as unknown as Record<string, unknown>;
    switch (event.event_type) {
      case 'CHECKOUT.ORDER.APPROVED': {
        const order = resource as unknown as PayPalOrder;
        const orderId = typeof order.id === 'string' && ORDER_ID.test(order.id) ? order.id : '';
        // Never capture an order paymux did not open (another integration on the same PayPal app).
        if (!orderId || !isOurs(order)) return otherEvent(event, orderId);
        let settled: PayPalOrder;
        try {
          settled = await capture(client, orderId);
        } catch (err) {
          // PayPal refused the capture (INSTRUMENT_DECLINED, say): a redelivery would not help.
          if (err instanceof ProviderError && err.kind === 'rejected')
            return otherEvent(event, orderId, { capture_error: err.message, code: err.providerCode });
          throw err;
        }
        const c = captureOf(settled);
        return c ? captureEvent(orderId, c, event.event_type, payload) : otherEvent(event, orderId);
      }
      case 'PAYMENT.CAPTURE.COMPLETED':
      case 'PAYMENT.CAPTURE.DENIED':
      case 'PAYMENT.CAPTURE.PENDING': {
        const c = resource as unknown as PayPalCapture;
        const orderId = c.supplementary_data?.related_ids?.order_id;
        if (typeof c.id !== 'string' || typeof c.status !== 'string' || typeof orderId !== 'string')
          return otherEvent(event, typeof orderId === 'string' ? orderId : '');
        return captureEvent(orderId, c, event.event_type, payload);
      }
      default: {
        // PAYMENT.CAPTURE.REFUNDED and anything else: recorded, never final.
        const related = (resource as unknown as PayPalCapture).supplementary_data?.related_ids?.order_id;
        return otherEvent(event, typeof related === 'string' ? related : '');
      }
    }
  }
}

/** Capture once: a repeat with the same request id is the same capture at PayPal. */
async function capture(client: PayPalClient, orderId: string): Promise<PayPalOrder> {
  try {
    return await client.captureOrder(orderId, `capture-${orderId}`);
  } catch (err) {
    if (err instanceof ProviderError && err.providerCode === 'ORDER_ALREADY_CAPTURED')
      return client.getOrder(orderId);
    throw err;
  }
}

function captureOf(order: PayPalOrder): PayPalCapture | undefined {
  const captures = order.purchase_units?.[0]?.payments?.captures ?? [];
  return captures.find((c) => c.status === 'COMPLETED') ?? captures[0];
}

function refundsOf(order: PayPalOrder): PayPalRefund[] {
  return (order.purchase_units ?? []).flatMap((u) => u.payments?.refunds ?? []);
}

const customIdOf = (order: PayPalOrder): string | undefined => order.purchase_units?.[0]?.custom_id;

/** An order paymux opened: intent CAPTURE and a payment id (UUID) as custom_id. */
function isOurs(order: PayPalOrder): boolean {
  const custom = customIdOf(order);
  return (
    (order.intent === undefined || order.intent === 'CAPTURE') &&
    typeof custom === 'string' &&
    UUID.test(custom)
  );
}

function captureOutcome(status: string): VerifiedEvent['outcome'] {
  if (status === 'COMPLETED') return 'succeeded';
  if (status === 'DECLINED' || status === 'FAILED') return 'failed';
  return 'pending';
}

function captureEvent(
  orderId: string,
  c: PayPalCapture,
  type: string,
  payload: Record<string, unknown>,
): VerifiedEvent {
  const outcome = captureOutcome(c.status);
  return {
    eventId: outcome === 'succeeded' ? `capture:${c.id}` : `capture:${c.id}:${c.status.toLowerCase()}`,
    type,
    outcome,
    providerRef: orderId,
    amount: c.amount?.value,
    currency: c.amount?.currency_code,
    payload,
  };
}

function otherEvent(
  event: PayPalWebhookEvent,
  orderId: string,
  extra: Record<string, unknown> = {},
): VerifiedEvent {
  return {
    eventId: `paypal:${event.id}`,
    type: event.event_type,
    outcome: 'pending',
    providerRef: orderId,
    payload: { ...(event as unknown as Record<string, unknown>), ...extra },
  };
}

function statusOf(c: PayPalCapture | undefined): ProviderStatus {
  if (!c) return { status: 'pending' };
  const outcome = captureOutcome(c.status);
  if (outcome === 'succeeded')
    return { status: 'succeeded', amount: c.amount?.value, currency: c.amount?.currency_code };
  return { status: outcome === 'failed' ? 'failed' : 'pending' };
}

function refundResult(r: PayPalRefund): RefundResult {
  const status =
    r.status === 'COMPLETED'
      ? 'succeeded'
      : r.status === 'CANCELLED' || r.status === 'FAILED'
        ? 'failed'
        : 'pending';
  return { status, providerRefundId: r.id, message: `PayPal refund ${r.status}` };
}

/** The PAYPAL-* headers, each exactly once; any missing one rejects the delivery. */
function transmissionOf(headers: RawNotification['headers']): WebhookTransmission {
  const lower = new Map<string, string | string[] | undefined>();
  for (const [k, v] of Object.entries(headers)) lower.set(k.toLowerCase(), v);
  const out = {} as WebhookTransmission;
  for (const [field, name] of Object.entries(TRANSMISSION_HEADERS) as [keyof WebhookTransmission, string][]) {
    const v = lower.get(name);
    if (typeof v !== 'string' || v.trim() === '')
      throw new NotificationRejected(`missing ${name.toUpperCase()} header`);
    out[field] = v.trim();
  }
  return out;
}

function isJsonObject(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}
