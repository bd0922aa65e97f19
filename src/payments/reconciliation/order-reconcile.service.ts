import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditActor, recordAudit } from '../../audit/audit-log';
import { OrdersService } from '../../orders/orders.service';
import { AttemptCloser } from '../attempts/attempt-closer.service';
import type { OrderReconcileResponse, ReconcileOutcome } from './order-reconcile.response';
import { PaymentQueryService, PaymentVerdict } from './payment-query.service';

/**
 * "Reconcile now" for one order: ask the provider about each of its open payment attempts at once
 * (not waiting for the periodic pass) and apply a final answer through the same event path as the
 * reconciliation job and the callbacks (PaymentQueryService.checkPayment: deduplicated by event id,
 * so a payment is credited exactly once whoever asked first).
 *
 * Audited: exactly one `order.reconcile` row per call, written in the transaction of the first answer
 * that changed something, or on its own when nothing did (the ask itself is on record).
 */
@Injectable()
export class OrderReconcileService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly orders: OrdersService,
    private readonly closer: AttemptCloser,
    private readonly query: PaymentQueryService,
  ) {}

  /** `tenantId`: the caller's own tenant for its staff, the order's tenant for a platform operator. */
  async reconcile(actor: AuditActor, tenantId: string, orderId: string): Promise<OrderReconcileResponse> {
    const before = await this.orders.get(tenantId, orderId);
    const attempts = await this.closer.openAttempts(tenantId, orderId);
    let audited = false;
    const audit = async (m: EntityManager, data: Record<string, unknown>): Promise<void> => {
      audited = true;
      await recordAudit(m, actor, {
        tenantId,
        action: 'order.reconcile',
        target: `order:${orderId}`,
        before: { state: before.state },
        data,
      });
    };
    const verdicts: { id: string; provider: string; verdict: PaymentVerdict }[] = [];
    for (const p of attempts) {
      const verdict = await this.query.checkPayment(p, 'operator', (m) =>
        audited ? Promise.resolve() : audit(m, { payment_id: p.id, provider: p.provider }),
      );
      verdicts.push({ id: p.id, provider: p.provider, verdict });
    }
    const outcome = outcomeOf(verdicts.map((v) => v.verdict));
    const detail = verdicts.length
      ? verdicts
          .map(
            (v) =>
              `payment ${v.id} at ${v.provider}: ${v.verdict === 'unknown' ? 'the provider could not be asked' : v.verdict}`,
          )
          .join('; ')
      : 'no open payment attempt to ask a provider about';
    if (!audited) await this.db.transaction((m) => audit(m, { outcome, detail }));

    const after = await this.orders.get(tenantId, orderId);
    const [latest] = await this.db.query<{ status: string }[]>(
      `SELECT status FROM payments WHERE tenant_id = $1 AND order_id = $2 ORDER BY created_at DESC, id DESC LIMIT 1`,
      [tenantId, orderId],
    );
    return {
      order_id: orderId,
      state: after.state,
      payment_status: latest?.status ?? null,
      outcome,
      detail,
    };
  }
}

/** One answer for the order: a payment confirmed wins, then a failure, then still pending. */
function outcomeOf(verdicts: PaymentVerdict[]): ReconcileOutcome {
  if (verdicts.includes('paid')) return 'paid';
  if (verdicts.includes('failed') || verdicts.includes('expired')) return 'failed';
  if (verdicts.includes('pending')) return 'pending';
  return 'unchanged';
}
