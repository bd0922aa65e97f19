import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { LedgerService } from '../../applications/ledger.service';
import { Money } from '../../common/money';
import { isUniqueViolation } from '../../common/pg-errors';
import { updateReturning } from '../../common/sql';
import { OrderCredits } from '../../orders/order-credits';
import type { Order } from '../../orders/order.entity';
import { OrdersService } from '../../orders/orders.service';
import { refOf } from '../attempts/open-attempt';
import type { RefundResult } from '../contract/payment-provider';
import { ProviderRegistry } from '../provider-registry';
import { Refund } from './refund.entity';

interface RefundDue {
  id: string;
  tenant_id: string;
  payment_id: string;
  provider_refund_id: string | null;
  created_at: Date;
}

/** A provider's answer about a refund, with its message when it refused it. */
export type RefundAnswer = RefundResult & { message?: string };

/**
 * How long a pending refund waits before reconciliation asks the provider again: a tenth of its age,
 * at least 30 s and at most an hour. A fresh refund is asked about soon; one the provider still does
 * not know is not asked about every 30 s for as long as it stays pending (a WeChat refund it does not
 * show yet stays pending a day, see wechat.provider.ts).
 */
const REFUND_RECHECK_MIN_SECONDS = 30;
const REFUND_RECHECK_MAX_SECONDS = 3600;

/** The unique index that makes a provider refund number name one refund. */
const PROVIDER_REFUND_INDEX = 'uq_refunds_provider_refund';

/**
 * Settles refunds: records a provider's answer once (a success debits the ledger and moves the order
 * to Refunded or PartiallyRefunded; a failure releases what the refund reserved and held), and asks
 * providers about refunds still pending (reconciliation). Lock order and idempotency: see RefundsService.
 */
@Injectable()
export class RefundSettlementService {
  private readonly logger = new Logger(RefundSettlementService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly orders: OrdersService,
    private readonly ledger: LedgerService,
    private readonly orderCredits: OrderCredits,
    private readonly registry: ProviderRegistry,
  ) {}

  /**
   * Record the provider's answer once: a success debits the ledger and moves the order to Refunded
   * or PartiallyRefunded; a failure releases the reserved amount (and the held credits); pending
   * records the provider's refund number the first time, nothing else. Returns the id of the refund
   * that stands for the answer: this one, or the one that already holds the provider refund number
   * the answer names (see resolveDuplicate).
   */
  async settle(refundId: string, result: RefundAnswer): Promise<string> {
    if (result.status === 'pending') {
      // Nothing to lock for unless a first provider refund number is to be kept.
      const [row] = await this.db.query<{ status: string; provider_refund_id: string | null }[]>(
        'SELECT status, provider_refund_id FROM refunds WHERE id = $1',
        [refundId],
      );
      if (!row || row.status !== 'pending' || !result.providerRefundId || row.provider_refund_id !== null)
        return refundId;
    }
    try {
      return await this.db.transaction((m) => this.record(m, refundId, result));
    } catch (err) {
      // Another payment's refund took the same number between our look and our write (their settles
      // do not share a lock): once more, and the look now sees it.
      if (!violates(err, PROVIDER_REFUND_INDEX)) throw err;
      return this.db.transaction((m) => this.record(m, refundId, result));
    }
  }

  private async record(m: EntityManager, refundId: string, result: RefundAnswer): Promise<string> {
    const [head] = await m.query<{ tenant_id: string; order_id: string; application_id: string | null }[]>(
      `SELECT r.tenant_id, r.order_id, o.application_id
         FROM refunds r JOIN orders o ON o.id = r.order_id AND o.tenant_id = r.tenant_id
        WHERE r.id = $1`,
      [refundId],
    );
    if (!head) return refundId;
    // The application's balance row, then the order, then the refund: the lock order of every
    // writer of an application's credits (see the class comment).
    if (head.application_id) await this.ledger.lockBalance(m, head.tenant_id, head.application_id);
    const order = await this.orders.lock(m, head.tenant_id, head.order_id);
    const refund = await this.lockRefund(m, refundId);
    if (refund.status !== 'pending') return refund.id;
    const number = result.providerRefundId;
    if (number && number !== refund.providerRefundId) {
      const [holder] = await m.query<{ id: string; tenant_id: string; payment_id: string; status: string }[]>(
        `SELECT id, tenant_id, payment_id, status FROM refunds
          WHERE provider = $1 AND provider_refund_id = $2 AND id <> $3`,
        [refund.provider, number, refund.id],
      );
      if (holder) return this.resolveDuplicate(m, order, refund, holder, result);
    }
    if (result.status === 'pending') {
      if (number && refund.providerRefundId === null)
        await m.query('UPDATE refunds SET provider_refund_id = $2 WHERE id = $1', [refund.id, number]);
      return refund.id;
    }
    await this.finish(m, order, refund, result, number ?? refund.providerRefundId);
    return refund.id;
  }

  /**
   * The answer about `refund` names a provider refund number `holder` already holds. Refunds of the
   * same payment with the same number are one refund at the provider (the money moved once), so it
   * is recorded once: `holder` stands for it (settled by this answer if it was still pending), and
   * `refund` is failed as its duplicate, which releases what it reserved and held. A number held by
   * a failed refund or by another payment's refund cannot tell refunds apart: `refund` is settled by
   * its own answer (asked about by its own id) without the number, and the clash is logged.
   */
  private async resolveDuplicate(
    m: EntityManager,
    order: Order,
    refund: Refund,
    holder: { id: string; tenant_id: string; payment_id: string; status: string },
    result: RefundAnswer,
  ): Promise<string> {
    const number = result.providerRefundId ?? '';
    if (
      holder.tenant_id === refund.tenantId &&
      holder.payment_id === refund.paymentId &&
      holder.status !== 'failed'
    ) {
      // Same payment, so same order: the order lock is held, and `holder` is settled under it too.
      const existing = await this.lockRefund(m, holder.id);
      await m.update(
        Refund,
        { id: refund.id },
        {
          status: 'failed',
          failureMessage: `${refund.provider} answered with refund ${number}, which is refund ${existing.id}: the same refund, recorded there once; nothing more was given back`,
        },
      );
      await this.releaseHold(m, order, refund);
      if (existing.status === 'pending' && result.status !== 'pending')
        await this.finish(m, order, existing, result, number);
      return existing.id;
    }
    this.logger.error(
      `refund ${refund.id}: ${refund.provider} answered with refund ${number}, already held by refund ${holder.id} (${holder.status}, payment ${holder.payment_id}); settled by its own answer without the number`,
    );
    if (result.status !== 'pending') await this.finish(m, order, refund, result, refund.providerRefundId);
    return refund.id;
  }

  /** A pending refund gets its final answer; the caller holds the balance, order and refund locks. */
  private async finish(
    m: EntityManager,
    order: Order,
    refund: Refund,
    result: RefundAnswer,
    providerRefundId: string | null,
  ): Promise<void> {
    await m.update(
      Refund,
      { id: refund.id },
      {
        status: result.status,
        providerRefundId,
        failureMessage: result.status === 'failed' ? (result.message ?? 'refused by the provider') : null,
      },
    );
    if (result.status === 'succeeded') await this.applySucceeded(m, order, refund);
    else if (result.status === 'failed') await this.releaseHold(m, order, refund);
  }

  /** A refund failed: the credits its reservation held are spendable again. */
  private async releaseHold(m: EntityManager, order: Order, refund: Refund): Promise<void> {
    if (order.applicationId)
      await this.ledger.releaseCredits(m, {
        tenantId: order.tenantId,
        applicationId: order.applicationId,
        credits: new Money(refund.credits),
      });
  }

  private lockRefund(m: EntityManager, id: string): Promise<Refund> {
    return m
      .getRepository(Refund)
      .createQueryBuilder('r')
      .setLock('pessimistic_write')
      .where('r.id = :id', { id })
      .getOneOrFail();
  }

  private async applySucceeded(m: EntityManager, order: Order, refund: Refund): Promise<void> {
    const [sum] = await m.query<{ amount: string }[]>(
      `SELECT COALESCE(SUM(amount), 0) AS amount FROM refunds WHERE order_id = $1 AND status = 'succeeded'`,
      [order.id],
    );
    const whole = new Money(sum.amount).gte(new Money(order.price));
    const credits = new Money(refund.credits);
    await this.orders.recordRefund(m, order, whole, `refund ${refund.id}`);
    if (order.applicationId && credits.gt(0)) {
      // The money is back with the payer: the debit is recorded whatever the balance (and releases the
      // hold), then taken from the orders' remaining credits. The credits were held since the refund
      // was reserved, so an unforced one cannot go below zero; if it does, the books were already off,
      // and that is loud.
      const after = await this.ledger.debitRefund(m, {
        tenantId: order.tenantId,
        applicationId: order.applicationId,
        orderId: order.id,
        refundId: refund.id,
        credits,
      });
      await this.orderCredits.takeBackRefund(m, {
        tenantId: order.tenantId,
        applicationId: order.applicationId,
        orderId: order.id,
        credits,
      });
      if (after.lt(0) && !refund.forced)
        this.logger.error(
          `refund ${refund.id} took application ${order.applicationId} to ${after.toFixed()} credits without force`,
        );
    }
  }

  /** Ask providers about refunds still pending (reconciliation); returns how many were settled. */
  async settlePending(batch: number, tenantId?: string): Promise<number> {
    const due = await updateReturning<RefundDue>(
      this.db.manager,
      `UPDATE refunds SET updated_at = now()
        WHERE id IN (SELECT id FROM refunds WHERE status = 'pending'
                       AND updated_at <= now() - make_interval(secs => LEAST($4::float8,
                             GREATEST($2::float8, EXTRACT(EPOCH FROM now() - created_at)::float8 / 10)))
                       AND ($3::uuid IS NULL OR tenant_id = $3::uuid)
                     ORDER BY updated_at LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING id, tenant_id, payment_id, provider_refund_id, created_at`,
      [batch, REFUND_RECHECK_MIN_SECONDS, tenantId ?? null, REFUND_RECHECK_MAX_SECONDS],
    );
    let settled = 0;
    for (const r of due) {
      const [payment] = await this.db.query<
        { id: string; provider: string; provider_ref: string; amount: string; currency: string }[]
      >('SELECT id, provider, provider_ref, amount, currency FROM payments WHERE id = $1', [r.payment_id]);
      const provider = this.registry.get(payment.provider);
      try {
        const ctx = await this.registry.contextFor(r.tenant_id, payment.provider);
        if (!provider?.queryRefund || !ctx) continue;
        const result = await provider.queryRefund(ctx, refOf(payment), {
          refundId: r.id,
          providerRefundId: r.provider_refund_id ?? undefined,
          requestedAt: new Date(r.created_at),
        });
        await this.settle(r.id, result);
        if (result.status !== 'pending') settled++;
      } catch (err) {
        this.logger.warn(`query of refund ${r.id} failed: ${String(err)}`);
      }
    }
    return settled;
  }
}

/** A unique violation of the named index (PostgreSQL 23505, through TypeORM or the pg driver). */
function violates(err: unknown, constraint: string): boolean {
  if (!isUniqueViolation(err) || typeof err !== 'object' || err === null) return false;
  const e = err as { constraint?: unknown; driverError?: { constraint?: unknown } };
  return (e.driverError?.constraint ?? e.constraint) === constraint;
}
