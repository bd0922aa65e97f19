import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AttemptCloser } from '../attempts/attempt-closer.service';
import { OpenAttempt, refOf } from '../attempts/open-attempt';
import { PaymentEventsService } from '../events/payment-events.service';
import type { VerifiedEvent } from '../contract/payment-provider';
import { ProviderRegistry } from '../provider-registry';

/** A claimed pending attempt, as the reconciliation job sees it. */
export type PendingPayment = OpenAttempt;

export type PaymentVerdict = 'paid' | 'failed' | 'expired' | 'pending' | 'unknown';

/**
 * Asks a provider about one open attempt (reconciliation, the expiry sweep, a cancel) and applies a
 * final answer through the same event path as a callback; closes an attempt at its provider.
 */
@Injectable()
export class PaymentQueryService {
  private readonly logger = new Logger(PaymentQueryService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly registry: ProviderRegistry,
    private readonly events: PaymentEventsService,
    private readonly closer: AttemptCloser,
  ) {}

  /**
   * Ask the provider about one pending attempt and apply a final answer through the event path.
   * `unknown` when the provider could not be asked (unreachable, not configured any more). `within`
   * runs in the event's transaction when the answer is recorded (not for a duplicate): an audit row.
   */
  async checkPayment(
    p: PendingPayment,
    source: string,
    within?: (m: EntityManager) => Promise<unknown>,
  ): Promise<PaymentVerdict> {
    const provider = this.registry.get(p.provider);
    let status;
    try {
      // One tenant's unreadable account (a key rotated away, say) must not stop the pass for others.
      const ctx = await this.registry.contextFor(p.tenant_id, p.provider);
      if (!provider || !ctx) return 'unknown';
      status = await provider.queryPayment(ctx, refOf(p));
    } catch (err) {
      this.logger.warn(`query of payment ${p.id} at ${p.provider} failed: ${String(err)}`);
      return 'unknown';
    }
    if (status.status === 'pending') return 'pending';
    const outcome = status.status;
    const event: VerifiedEvent = {
      eventId: `query:${p.id}:${outcome}`,
      type: `query.${outcome}`,
      outcome,
      providerRef: p.provider_ref,
      amount: status.amount,
      currency: status.currency,
      payload: { source, status },
    };
    await this.events.applyEvent(p.tenant_id, p.provider, event, within);
    if (outcome !== 'succeeded') return outcome;
    // A flagged charge (wrong amount or currency) does not pay the order: only a succeeded attempt does.
    const [row] = await this.db.query<{ status: string }[]>('SELECT status FROM payments WHERE id = $1', [
      p.id,
    ]);
    return row?.status === 'succeeded' ? 'paid' : 'pending';
  }

  /** Close one attempt at its provider; false when the provider could not be told (ask again later). */
  async closeAtProvider(p: PendingPayment): Promise<boolean> {
    const provider = this.registry.get(p.provider);
    try {
      const ctx = await this.registry.contextFor(p.tenant_id, p.provider);
      if (provider?.close && ctx) await provider.close(ctx, refOf(p));
      return true;
    } catch (err) {
      this.logger.warn(`close of payment ${p.id} at ${p.provider} failed: ${String(err)}`);
      return false;
    }
  }
}
