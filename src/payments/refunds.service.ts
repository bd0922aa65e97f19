import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomUUID } from 'node:crypto';
import Decimal from 'decimal.js';
import { updateReturning } from '../common/sql';
import { DataSource, EntityManager } from 'typeorm';
import { LedgerService } from '../applications/ledger.service';
import type { Principal } from '../auth/principal';
import { conflict, DomainError, notFound } from '../common/domain-error';
import { CREDIT_SCALE, formatAmount, Money, MoneyError, parseAmount, roundTo } from '../common/money';
import { isUniqueViolation } from '../common/pg-errors';
import type { Order } from '../orders/order.entity';
import { OrderState } from '../orders/order-state';
import { OrdersService } from '../orders/orders.service';
import type { Payment } from './payment.entity';
import { ProviderError, RefundResult } from './payment-provider';
import { providerFailure } from './payments.service';
import { ProviderRegistry } from './provider-registry';
import { Refund } from './refund.entity';
import { refOf } from './reconciliation.service';

export interface RefundRequest {
  amount?: string | number;
  reason: string;
  /** Platform admins only: let the debit take the application's balance below zero. */
  force?: boolean;
}

interface RefundDue {
  id: string;
  tenant_id: string;
  payment_id: string;
  provider_refund_id: string | null;
}

/** How long a pending refund waits before reconciliation asks the provider again. */
const REFUND_RECHECK_SECONDS = 30;

/**
 * Refunds (owner or admin): give money back at the provider, then debit the credits from the
 * application. The refund row is written first (pending), so concurrent refunds can never give
 * back more than was paid; the ledger is debited once, when the provider confirms. An answer that
 * never came (timeout) leaves the refund pending for reconciliation: it is never reported failed.
 */
@Injectable()
export class RefundsService {
  private readonly logger = new Logger(RefundsService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly orders: OrdersService,
    private readonly ledger: LedgerService,
    private readonly registry: ProviderRegistry,
  ) {}

  async create(
    p: Principal,
    orderId: string,
    req: RefundRequest,
    idempotencyKey?: string,
  ): Promise<{ refund: Refund; replayed: boolean }> {
    const requestHash = hashRequest(orderId, req);
    if (idempotencyKey) {
      const seen = await this.replay(p.tenantId, idempotencyKey, requestHash);
      if (seen) return { refund: seen, replayed: true };
    }
    if (req.force && !p.platformAdmin)
      throw new DomainError('forbidden', 403, 'only a platform admin may force a refund past the balance');
    const order = await this.orders.get(p.tenantId, orderId);
    const payment = await this.succeededPayment(p.tenantId, orderId);
    const provider = this.registry.get(payment.provider);
    const ctx = await this.registry.contextFor(p.tenantId, payment.provider);
    if (!provider?.refund || !ctx)
      throw new DomainError(
        'refund_unsupported',
        422,
        `${payment.provider} payments cannot be refunded here`,
      );

    // Reserve the amount: the refund row is written under the order lock, counted by later refunds.
    let refund: Refund;
    try {
      refund = await this.db.transaction((m) =>
        this.reserve(m, p, order.id, payment, req, idempotencyKey, requestHash),
      );
    } catch (err) {
      if (idempotencyKey && isUniqueViolation(err)) {
        const seen = await this.replay(p.tenantId, idempotencyKey, requestHash);
        if (seen) return { refund: seen, replayed: true };
      }
      throw err;
    }

    let result: RefundResult;
    try {
      result = await provider.refund(ctx, refOf({ ...payment, provider_ref: payment.providerRef ?? '' }), {
        refundId: refund.id,
        amount: formatAmount(refund.chargeCurrency, new Money(refund.chargeAmount)),
        currency: refund.chargeCurrency,
        reason: refund.reason,
      });
    } catch (err) {
      if (err instanceof ProviderError && (err.kind === 'rejected' || err.kind === 'credentials')) {
        await this.settle(refund.id, { status: 'failed', message: err.message });
        throw providerFailure(payment.provider, err, this.logger);
      }
      // No answer, or not a clear one: the money may have moved. Pending until reconciliation knows.
      this.logger.warn(`refund ${refund.id} at ${payment.provider}: outcome unknown: ${String(err)}`);
      return { refund: await this.get(p.tenantId, refund.id), replayed: false };
    }
    await this.settle(refund.id, result);
    return { refund: await this.get(p.tenantId, refund.id), replayed: false };
  }

  private async reserve(
    m: EntityManager,
    p: Principal,
    orderId: string,
    payment: Payment,
    req: RefundRequest,
    idempotencyKey: string | undefined,
    requestHash: string,
  ): Promise<Refund> {
    const order = await this.orders.lock(m, p.tenantId, orderId);
    if (order.state !== OrderState.Finished && order.state !== OrderState.PartiallyRefunded)
      throw new DomainError(
        'order_not_refundable',
        409,
        `the order is ${order.state} and cannot be refunded`,
      );
    const price = new Money(order.price);
    const [taken] = await m.query<{ amount: string; charge: string; credits: string }[]>(
      `SELECT COALESCE(SUM(amount), 0) AS amount, COALESCE(SUM(charge_amount), 0) AS charge,
              COALESCE(SUM(credits), 0) AS credits
         FROM refunds WHERE order_id = $1 AND status <> 'failed'`,
      [order.id],
    );
    const left = price.minus(taken.amount);
    let amount: Decimal;
    try {
      amount = req.amount === undefined ? left : parseAmount(req.amount, order.currency);
    } catch (err) {
      if (err instanceof MoneyError)
        throw new DomainError('invalid_amount', 400, `amount ${err.message}`, { field: 'amount' });
      throw err;
    }
    if (amount.lte(0))
      throw new DomainError('refund_exceeds_payment', 422, 'the order has nothing left to refund', {
        refundable: formatAmount(order.currency, left),
      });
    if (amount.gt(left))
      throw new DomainError(
        'refund_exceeds_payment',
        422,
        `at most ${formatAmount(order.currency, left)} ${order.currency} is left to refund`,
        { field: 'amount', refundable: formatAmount(order.currency, left) },
      );
    // The last refund takes exactly what is left, so partial refunds add up to the whole.
    const last = amount.eq(left);
    const paid = new Money(payment.amount);
    const charge = last
      ? paid.minus(taken.charge)
      : roundTo(payment.currency, paid.times(amount).dividedBy(price));
    const credits = last
      ? new Money(order.amount).minus(taken.credits)
      : new Money(order.amount)
          .times(amount)
          .dividedBy(price)
          .toDecimalPlaces(CREDIT_SCALE, Decimal.ROUND_DOWN);
    const forced = !!req.force && p.platformAdmin;
    if (order.applicationId && !forced) {
      const [app] = await m.query<{ balance: string }[]>(
        'SELECT balance FROM applications WHERE id = $1 AND tenant_id = $2 FOR UPDATE',
        [order.applicationId, p.tenantId],
      );
      if (app && new Money(app.balance).lt(credits))
        throw new DomainError(
          'insufficient_balance',
          422,
          `the application has ${app.balance} credits; this refund takes back ${credits.toFixed()}`,
          { balance: app.balance, credits: credits.toFixed() },
        );
    }
    const refund = m.create(Refund, {
      id: randomUUID(),
      tenantId: p.tenantId,
      orderId: order.id,
      paymentId: payment.id,
      provider: payment.provider,
      status: 'pending',
      amount: amount.toFixed(),
      currency: order.currency,
      chargeAmount: charge.toFixed(),
      chargeCurrency: payment.currency,
      credits: credits.toFixed(),
      reason: req.reason,
      forced,
      idempotencyKey: idempotencyKey ?? null,
      requestHash: idempotencyKey ? requestHash : null,
      providerRefundId: null,
      failureMessage: null,
      createdBy: p.userId,
    });
    await m.insert(Refund, refund);
    return refund;
  }

  /**
   * Record the provider's answer once: a success debits the ledger and moves the order to Refunded
   * or PartiallyRefunded; a failure releases the reserved amount; pending changes nothing.
   */
  async settle(refundId: string, result: RefundResult & { message?: string }): Promise<void> {
    if (result.status === 'pending') {
      if (result.providerRefundId)
        await this.db.query(
          `UPDATE refunds SET provider_refund_id = COALESCE(provider_refund_id, $2) WHERE id = $1`,
          [refundId, result.providerRefundId],
        );
      return;
    }
    await this.db.transaction(async (m) => {
      const [head] = await m.query<{ tenant_id: string; order_id: string }[]>(
        'SELECT tenant_id, order_id FROM refunds WHERE id = $1',
        [refundId],
      );
      if (!head) return;
      // Order first, then the refund: the same lock order as every other writer of the order.
      const order = await this.orders.lock(m, head.tenant_id, head.order_id);
      const refund = await m
        .getRepository(Refund)
        .createQueryBuilder('r')
        .setLock('pessimistic_write')
        .where('r.id = :id', { id: refundId })
        .getOneOrFail();
      if (refund.status !== 'pending') return;
      await m.update(
        Refund,
        { id: refund.id },
        {
          status: result.status,
          providerRefundId: result.providerRefundId ?? refund.providerRefundId,
          failureMessage: result.status === 'failed' ? (result.message ?? 'refused by the provider') : null,
        },
      );
      if (result.status === 'failed') return;
      await this.applySucceeded(m, order, refund);
    });
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
      await m.query(
        `UPDATE orders SET remaining_amount = GREATEST(remaining_amount - $2::numeric, 0) WHERE id = $1`,
        [order.id, credits.toFixed()],
      );
      await this.ledger.debitRefund(m, {
        tenantId: order.tenantId,
        applicationId: order.applicationId,
        orderId: order.id,
        refundId: refund.id,
        credits,
      });
    }
  }

  /** Ask providers about refunds still pending (reconciliation); returns how many were settled. */
  async settlePending(batch: number, tenantId?: string): Promise<number> {
    const due = await updateReturning<RefundDue>(
      this.db.manager,
      `UPDATE refunds SET updated_at = now()
        WHERE id IN (SELECT id FROM refunds WHERE status = 'pending'
                       AND updated_at <= now() - make_interval(secs => $2)
                       AND ($3::uuid IS NULL OR tenant_id = $3::uuid)
                     ORDER BY updated_at LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING id, tenant_id, payment_id, provider_refund_id`,
      [batch, REFUND_RECHECK_SECONDS, tenantId ?? null],
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
        });
        await this.settle(r.id, result);
        if (result.status !== 'pending') settled++;
      } catch (err) {
        this.logger.warn(`query of refund ${r.id} failed: ${String(err)}`);
      }
    }
    return settled;
  }

  async get(tenantId: string, id: string): Promise<Refund> {
    const refund = await this.db.getRepository(Refund).findOne({ where: { tenantId, id } });
    if (!refund) throw notFound('refund');
    return refund;
  }

  async listForOrder(tenantId: string, orderId: string): Promise<Refund[]> {
    await this.orders.get(tenantId, orderId);
    return this.db
      .getRepository(Refund)
      .find({ where: { tenantId, orderId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  private async succeededPayment(tenantId: string, orderId: string): Promise<Payment> {
    const [row] = await this.db.query<Payment[]>(
      `SELECT id, provider, provider_ref AS "providerRef", amount, currency FROM payments
        WHERE tenant_id = $1 AND order_id = $2 AND status = 'succeeded'`,
      [tenantId, orderId],
    );
    if (!row)
      throw new DomainError('order_not_refundable', 409, 'the order has no successful payment to refund');
    return row;
  }

  private async replay(tenantId: string, key: string, requestHash: string): Promise<Refund | null> {
    const seen = await this.db.getRepository(Refund).findOne({ where: { tenantId, idempotencyKey: key } });
    if (!seen) return null;
    if (seen.requestHash !== requestHash)
      throw conflict('idempotency_key_reused', 'this Idempotency-Key was used with a different request');
    return seen;
  }
}

function hashRequest(orderId: string, req: RefundRequest): string {
  return createHash('sha256')
    .update(
      JSON.stringify({
        order_id: orderId,
        amount: req.amount === undefined ? null : String(req.amount),
        reason: req.reason,
        force: !!req.force,
      }),
    )
    .digest('hex');
}
