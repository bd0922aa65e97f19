import { Injectable, Logger } from '@nestjs/common';
import { isUUID } from 'class-validator';
import {
  NotificationRejected,
  PaymentProvider,
  ProviderError,
  RawNotification,
  RawReply,
} from '../contract/payment-provider';
import { PaymentLookup } from '../attempts/payment-lookup.service';
import type { ConfirmationRead } from './confirmation-fast-path';
import { PayUrls } from '../attempts/pay-urls';
import { EventResult, PaymentEventsService } from './payment-events.service';
import { ProviderRegistry } from '../provider-registry';
import { WebhookRateLimiter } from './webhook-rate-limiter';

/** What every refused callback is told, whatever the reason (the reason goes to the log only). */
export const CALLBACK_REFUSED = 'notification rejected';

/**
 * The one inbound path for provider callbacks: verify first (nothing in the body is trusted before),
 * deduplicate by provider event id, apply, and answer in the provider's own acknowledgement format.
 *
 * A callback for an unknown tenant, for a provider the tenant has not enabled, or that fails
 * verification gets one and the same reply (the provider's refusal, e.g. 400 `fail`), so callers
 * cannot learn which providers a tenant uses. Only an unknown provider name is a 404: the list of
 * providers is public.
 */
@Injectable()
export class WebhooksService {
  private readonly logger = new Logger(WebhooksService.name);

  constructor(
    private readonly registry: ProviderRegistry,
    private readonly events: PaymentEventsService,
    private readonly lookup: PaymentLookup,
    private readonly urls: PayUrls,
    private readonly limiter: WebhookRateLimiter,
  ) {}

  /**
   * One provider callback. `counted: false` is the Sandbox's own completion route handing its event
   * over in-process: verifying it calls nobody, so it is not counted against WEBHOOK_RATE_LIMIT (the
   * public callback route always is). `read`: the event's payment and order as the caller read them
   * (the Sandbox's completion), used when the verified event names that payment: not read again.
   */
  async receive(
    providerId: string,
    tenantId: string,
    raw: RawNotification,
    opts: { counted?: boolean; read?: ConfirmationRead } = {},
  ): Promise<{ reply: RawReply; result?: EventResult; retryAfterSeconds?: number }> {
    const provider = this.registry.get(providerId);
    if (!provider)
      return {
        reply: { status: 404, body: { code: 'webhook_not_found', message: 'no such webhook endpoint' } },
      };
    if (!isUUID(tenantId)) return { reply: refusedReply(provider) };
    // Counted before anything is looked up or verified (see WebhookRateLimiter), known tenant or not.
    const wait = opts.counted === false ? null : await this.limiter.hit(providerId, tenantId);
    if (wait !== null)
      return {
        reply: { status: 429, body: { code: 'rate_limited', message: 'too many callbacks; slow down' } },
        retryAfterSeconds: wait,
      };
    const ctx = await this.registry.contextFor(tenantId, providerId);
    if (!ctx) {
      this.logger.warn(
        `${providerId} callback for tenant ${tenantId} refused: no such tenant or provider not enabled`,
      );
      return { reply: refusedReply(provider) };
    }
    let event;
    try {
      event = await provider.verifyNotification(ctx, raw);
    } catch (err) {
      // We could not ask the provider (PayPal's verify API): its own answer, so the provider retries.
      if (err instanceof ProviderError) {
        this.logger.warn(`${providerId} callback for tenant ${tenantId} not verified: ${err.message}`);
        return { reply: provider.acknowledge(err) };
      }
      const reason = err instanceof NotificationRejected ? err.message : 'unreadable notification';
      this.logger.warn(`${providerId} callback for tenant ${tenantId} rejected: ${reason}`);
      return { reply: refusedReply(provider, err) };
    }
    const result = await this.events.applyEvent(tenantId, providerId, event, undefined, opts.read);
    return { reply: provider.acknowledge(event), result };
  }

  /**
   * A payer back from the provider's page (`GET /api/v1/return/:provider/:tenant_id`): let the
   * adapter finish what it must (PayPal: capture), apply what it reports through the same event path
   * as a callback, and send the payer on to the order's redirect_url or the hosted checkout.
   * Returns where to send the payer, or null when the return names nothing we know.
   */
  async returned(
    providerId: string,
    tenantId: string,
    query: Readonly<Record<string, string>>,
  ): Promise<string | null> {
    const provider = this.registry.get(providerId);
    const ctx = isUUID(tenantId) ? await this.registry.contextFor(tenantId, providerId) : null;
    if (!provider || !ctx) return null;
    let providerRef: string | undefined;
    // A return link is unauthenticated too, and PayPal's handleReturn calls PayPal with the tenant's
    // credentials: it shares the callbacks' limit. Over it the payer still lands where they would
    // (the checkout shows the order's state; the callback or reconciliation finishes the payment).
    if (provider.handleReturn && (await this.limiter.hit(providerId, tenantId)) === null) {
      try {
        const event = await provider.handleReturn(ctx, query);
        if (event) {
          await this.events.applyEvent(tenantId, providerId, event);
          providerRef = event.providerRef;
        }
      } catch (err) {
        // The payer still lands on the checkout, which shows the order's state; reconciliation or the
        // provider's callback finishes the payment.
        this.logger.warn(`${providerId} return for tenant ${tenantId} failed: ${String(err)}`);
      }
    }
    const paymentId = isUUID(query.payment_id ?? '') ? query.payment_id : undefined;
    const order = await this.lookup.orderOfPayment(tenantId, providerId, { paymentId, providerRef });
    if (!order) return null;
    return order.redirectUrl ?? this.urls.checkoutUrl(order.id);
  }
}

/**
 * The provider's own refusal, with one message whatever the reason (see the class): of the kind of
 * `err` when verification threw a NotificationRejected (WeChat answers a bad signature 401, a validly
 * signed callback it cannot use 400), else the provider's `rejection`.
 */
function refusedReply(provider: PaymentProvider, err?: unknown): RawReply {
  const rejection =
    err instanceof NotificationRejected
      ? new (err.constructor as new (message: string) => NotificationRejected)(CALLBACK_REFUSED)
      : (provider.rejection?.(CALLBACK_REFUSED) ?? new NotificationRejected(CALLBACK_REFUSED));
  return provider.acknowledge(rejection);
}
