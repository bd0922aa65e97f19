import { Injectable, Logger } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { NotificationRejected, RawNotification, RawReply } from './payment-provider';
import { EventResult, PaymentsService } from './payments.service';
import { ProviderRegistry } from './provider-registry';

/**
 * The one inbound path for provider callbacks: verify first (nothing in the body is trusted before),
 * deduplicate by provider event id, apply, and answer in the provider's own acknowledgement format.
 */
@Injectable()
export class WebhooksService {
  private readonly logger = new Logger(WebhooksService.name);

  constructor(
    private readonly registry: ProviderRegistry,
    private readonly payments: PaymentsService,
  ) {}

  async receive(
    providerId: string,
    tenantId: string,
    raw: RawNotification,
  ): Promise<{ reply: RawReply; result?: EventResult }> {
    const provider = this.registry.get(providerId);
    const ctx = isUUID(tenantId) ? await this.registry.contextFor(tenantId, providerId) : null;
    if (!provider || !ctx)
      return {
        reply: { status: 404, body: { code: 'webhook_not_found', message: 'no such webhook endpoint' } },
      };
    let event;
    try {
      event = await provider.verifyNotification(ctx, raw);
    } catch (err) {
      const reason = err instanceof NotificationRejected ? err.message : 'unreadable notification';
      this.logger.warn(`${providerId} callback for tenant ${tenantId} rejected: ${reason}`);
      return { reply: provider.acknowledge(err instanceof Error ? err : new NotificationRejected(reason)) };
    }
    const result = await this.payments.applyEvent(tenantId, providerId, event);
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
    if (provider.handleReturn) {
      try {
        const event = await provider.handleReturn(ctx, query);
        if (event) {
          await this.payments.applyEvent(tenantId, providerId, event);
          providerRef = event.providerRef;
        }
      } catch (err) {
        // The payer still lands on the checkout, which shows the order's state; reconciliation or the
        // provider's callback finishes the payment.
        this.logger.warn(`${providerId} return for tenant ${tenantId} failed: ${String(err)}`);
      }
    }
    const paymentId = isUUID(query.payment_id ?? '') ? query.payment_id : undefined;
    const order = await this.payments.orderOfPayment(tenantId, providerId, { paymentId, providerRef });
    if (!order) return null;
    return order.redirectUrl ?? this.payments.checkoutUrl(order.id);
  }
}
