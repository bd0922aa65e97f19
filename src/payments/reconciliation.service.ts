import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { updateReturning } from '../common/sql';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { AuditEntry } from '../admin/audit-entry.entity';
import { formatAmount, Money } from '../common/money';
import type { Order } from '../orders/order.entity';
import { OrdersService } from '../orders/orders.service';
import { AttemptCloser } from './attempt-closer.service';
import { OpenAttempt, refOf } from './open-attempt';
import type { VerifiedEvent } from './payment-provider';
import { PaymentsService } from './payments.service';
import { ProviderRegistry } from './provider-registry';
import { RefundsService } from './refunds.service';
import { PaymentErrors } from './payments.errors';

/** A claimed pending attempt, as the reconciliation job sees it. */
export type PendingPayment = OpenAttempt;

export type PaymentVerdict = 'paid' | 'failed' | 'expired' | 'pending' | 'unknown';

/** How long a claim lasts: another process does not ask about the same attempt within it. */
const LEASE_SECONDS = 60;

/**
 * Asks providers about what their callbacks did not settle: every payment still pending
 * RECONCILE_DELAY_SECONDS after it was opened, and every pending refund; a pending attempt that another
 * attempt of its order superseded (newer, or succeeded) is closed at its provider (AttemptCloser). The answer goes through the
 * same event path as a callback (deduplicated by event id), so a lost callback still ends Finished.
 * Only an explicit success or failure is final; anything else stays pending for a later pass.
 * Safe with many processes: each row is claimed with FOR UPDATE SKIP LOCKED and leased for a minute.
 */
@Injectable()
export class ReconciliationService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReconciliationService.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: AppConfig,
    private readonly payments: PaymentsService,
    private readonly registry: ProviderRegistry,
    private readonly refunds: RefundsService,
    private readonly orders: OrdersService,
    private readonly closer: AttemptCloser,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.config.reconcileIntervalMs;
    if (every <= 0) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.runOnce()
        .catch((err: unknown) => this.logger.error(`reconciliation failed: ${String(err)}`))
        .finally(() => (this.running = undefined));
    }, every);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /**
   * One pass over due payments and pending refunds; returns what it found. `tenantId` limits the pass
   * to one tenant (an operator's "reconcile now", and tests that share a database).
   */
  async runOnce(
    opts: { batch?: number; tenantId?: string } = {},
  ): Promise<{ checked: number; paid: number; closed: number; refunds: number }> {
    const batch = opts.batch ?? 50;
    const due = await updateReturning<PendingPayment>(
      this.db.manager,
      `UPDATE payments SET next_check_at = now() + make_interval(secs => $3)
        WHERE id IN (SELECT id FROM payments
                      WHERE status = 'pending' AND provider_ref IS NOT NULL
                        AND created_at <= now() - make_interval(secs => $1)
                        AND (next_check_at IS NULL OR next_check_at <= now())
                        AND ($4::uuid IS NULL OR tenant_id = $4::uuid)
                      ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING id, tenant_id, order_id, provider, provider_ref, amount, currency`,
      [this.config.reconcileDelaySeconds, batch, LEASE_SECONDS, opts.tenantId ?? null],
    );
    let paid = 0;
    let closed = 0;
    for (const p of due) {
      const verdict = await this.checkPayment(p, 'reconciliation');
      if (verdict === 'paid') paid++;
      if (verdict === 'failed' || verdict === 'expired') closed++;
      // An earlier attempt whose close failed when a newer one opened or succeeded: close it now.
      if (verdict === 'pending' && (await this.closer.isSuperseded(p)) && (await this.closer.close(p)))
        closed++;
    }
    const refunds = await this.refunds.settlePending(batch, opts.tenantId);
    return { checked: due.length, paid, closed, refunds };
  }

  /**
   * Ask the provider about one pending attempt and apply a final answer through the event path.
   * `unknown` when the provider could not be asked (unreachable, not configured any more).
   */
  async checkPayment(p: PendingPayment, source: string): Promise<PaymentVerdict> {
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
    await this.payments.applyEvent(p.tenant_id, p.provider, event);
    if (outcome !== 'succeeded') return outcome;
    // A flagged charge (wrong amount or currency) does not pay the order: only a succeeded attempt does.
    const [row] = await this.db.query<{ status: string }[]>('SELECT status FROM payments WHERE id = $1', [
      p.id,
    ]);
    return row?.status === 'succeeded' ? 'paid' : 'pending';
  }

  /** The attempts of an order still open at a provider. */
  openAttempts(tenantId: string, orderId: string): Promise<PendingPayment[]> {
    return this.closer.openAttempts(tenantId, orderId);
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

  /**
   * Cancel a Pending order (platform cancel, merchant close), then close its open attempts at their
   * providers, so the payer can no longer pay them. Best effort: an attempt the provider could not be
   * told about stays pending and reconciliation keeps asking; money that still arrives moves the
   * order to Paid (never dropped).
   */
  async cancelOrder(tenantId: string, orderId: string, mayCancel?: (order: Order) => void): Promise<Order> {
    let order = await this.orders.cancel(tenantId, orderId, mayCancel);
    for (const p of await this.openAttempts(tenantId, orderId)) {
      if (!(await this.closeAtProvider(p))) continue;
      // Closing a session that was paid a moment ago is no error at most providers: ask, so a
      // payment whose callback is still on its way is confirmed now (Cancelled -> Paid), and only
      // one the provider still calls open is marked cancelled. Unreachable: reconciliation asks later.
      const verdict = await this.checkPayment(p, 'cancel');
      if (verdict === 'paid') order = await this.orders.get(tenantId, orderId);
      if (verdict === 'pending')
        await this.db.query(
          `UPDATE payments SET status = 'cancelled', updated_at = now() WHERE id = $1 AND status = 'pending'`,
          [p.id],
        );
    }
    return order;
  }

  /**
   * A platform operator's decision on a payment no provider can settle (an x402 settle whose answer
   * was lost and whose nonce is now used: only the chain can tell). Applied through the event path
   * like any provider answer (a success is credited once, at the attempt's own amount), and audited
   * in the same transaction. Only a pending attempt can be resolved.
   */
  async resolveByOperator(
    actorId: string,
    paymentId: string,
    outcome: 'succeeded' | 'failed',
    reason: string,
  ): Promise<{ payment_id: string; status: string; order_id: string; order_state: string; result: string }> {
    const [p] = await this.db.query<(PendingPayment & { status: string })[]>(
      `SELECT id, tenant_id, order_id, provider, provider_ref, amount, currency, status FROM payments WHERE id = $1`,
      [paymentId],
    );
    if (!p) throw PaymentErrors.payment_not_found('payment not found');
    if (p.status !== 'pending' || !p.provider_ref)
      throw PaymentErrors.payment_not_pending(`the payment is ${p.status} and cannot be resolved`, {
        status: p.status,
      });
    const event: VerifiedEvent = {
      eventId: `operator:${p.id}`,
      type: `operator.${outcome}`,
      outcome,
      providerRef: p.provider_ref,
      amount: formatAmount(p.currency, new Money(p.amount)),
      currency: p.currency,
      payload: { source: 'operator', actor_id: actorId, reason },
    };
    const result = await this.payments.applyEvent(p.tenant_id, p.provider, event, (m) =>
      m.insert(AuditEntry, {
        tenantId: p.tenant_id,
        actorId,
        action: 'payment.resolve',
        target: `payment:${p.id}`,
        data: { from: p.status, outcome, reason },
      }),
    );
    if (result.outcome === 'duplicate')
      throw PaymentErrors.payment_not_pending('the payment was already resolved by an operator');
    const [after] = await this.db.query<{ status: string; state: string }[]>(
      'SELECT p.status, o.state FROM payments p JOIN orders o ON o.id = p.order_id WHERE p.id = $1',
      [p.id],
    );
    return {
      payment_id: p.id,
      status: after.status,
      order_id: p.order_id,
      order_state: after.state,
      result: result.outcome,
    };
  }
}
