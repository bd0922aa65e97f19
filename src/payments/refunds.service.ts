import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomUUID } from 'node:crypto';
import Decimal from 'decimal.js';
import { updateReturning } from '../common/sql';
import { DataSource, EntityManager } from 'typeorm';
import { LedgerService } from '../applications/ledger.service';
import type { Principal } from '../auth/principal';
import { CREDIT_SCALE, formatAmount, Money, MoneyError, parseAmount, roundTo } from '../common/money';
import { isUniqueViolation } from '../common/pg-errors';
import type { Order } from '../orders/order.entity';
import { canRefund } from '../orders/order-state';
import { OrdersService } from '../orders/orders.service';
import type { Payment } from './payment.entity';
import { ProviderError, RefundResult } from './payment-provider';
import { providerFailure } from './payments.service';
import { ProviderRegistry } from './provider-registry';
import { Refund } from './refund.entity';
import { refOf } from './open-attempt';
import { CommonErrors } from '../common/common.errors';
import { RefundErrors } from './refunds.errors';
import { ApplicationErrors } from '../applications/applications.errors';
import { PaymentErrors } from './payments.errors';

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
  created_at: Date;
}

/** A provider's answer about a refund, with its message when it refused it. */
type RefundAnswer = RefundResult & { message?: string };

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
 * Refunds (owner or admin): give money back at the provider, then debit the credits from the
 * application. The refund row is written first (pending), so concurrent refunds can never give
 * back more than was paid; the ledger is debited once, when the provider confirms. An answer that
 * never came (timeout) leaves the refund pending for reconciliation: it is never reported failed.
 *
 * The balance: a refund does not take the application below zero unless a platform admin forces
 * it. The check cannot wait for the settlement: by then the provider has given the money back, and
 * the debit must be recorded whatever the balance is. So the credits of a pending refund are held
 * from the moment it is reserved: usage debits and new refunds may only spend the balance minus the
 * held credits (LedgerService.lockBalance), and the settlement's debit always fits. A failed refund
 * releases its hold. Reservation and settlement lock the application's balance row first, then the
 * order, then the refund, the same order as usage debits, so they never deadlock with one another.
 *
 * Idempotent by key (Idempotency-Key) and by provider refund number: a unique index lets one
 * refund row hold a given number, and an answer naming a number another refund of the same payment
 * already holds is that refund (see resolveDuplicate).
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
      throw CommonErrors.forbidden('only a platform admin may force a refund past the balance');
    const order = await this.orders.get(p.tenantId, orderId);
    const payment = await this.succeededPayment(p.tenantId, orderId);
    const provider = this.registry.get(payment.provider);
    const ctx = await this.registry.contextFor(p.tenantId, payment.provider);
    if (!provider?.refund || !ctx)
      throw RefundErrors.refund_unsupported(`${payment.provider} payments cannot be refunded here`);

    // Reserve the amount: the refund row is written under the order lock, counted by later refunds.
    let refund: Refund;
    try {
      refund = await this.db.transaction((m) =>
        this.reserve(m, p, order, payment, req, idempotencyKey, requestHash),
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
    // The provider may answer with a refund already recorded (same refund number): that refund.
    const settledAs = await this.settle(refund.id, result);
    return { refund: await this.get(p.tenantId, settledAs), replayed: settledAs !== refund.id };
  }

  private async reserve(
    m: EntityManager,
    p: Principal,
    unlocked: Order,
    payment: Payment,
    req: RefundRequest,
    idempotencyKey: string | undefined,
    requestHash: string,
  ): Promise<Refund> {
    // The application's balance row first, then the order (see the class comment).
    const spendable = unlocked.applicationId
      ? await this.ledger.lockBalance(m, p.tenantId, unlocked.applicationId)
      : null;
    const order = await this.orders.lock(m, p.tenantId, unlocked.id);
    if (!canRefund(order.state))
      throw RefundErrors.order_not_refundable(`the order is ${order.state} and cannot be refunded`);
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
        throw CommonErrors.invalid_amount(`amount ${err.message}`, { field: 'amount' });
      throw err;
    }
    if (amount.lte(0))
      throw RefundErrors.refund_exceeds_payment('the order has nothing left to refund', {
        refundable: formatAmount(order.currency, left),
      });
    if (amount.gt(left))
      throw RefundErrors.refund_exceeds_payment(
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
    // Only credits not already held by other pending refunds can be taken back; this refund's own are
    // held from now on (the row below is pending), until it settles or fails.
    if (spendable && !forced && spendable.available.lt(credits)) {
      const { balance, held, available } = spendable;
      throw ApplicationErrors.insufficient_balance.withPinnedStatus(
        422,
        held.gt(0)
          ? `the application has ${available.toFixed()} credits available (${held.toFixed()} of its ${balance.toFixed()} are held by pending refunds); this refund takes back ${credits.toFixed()}`
          : `the application has ${balance.toFixed()} credits; this refund takes back ${credits.toFixed()}`,
        {
          balance: balance.toFixed(),
          held: held.toFixed(),
          available: available.toFixed(),
          credits: credits.toFixed(),
        },
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
      // The money is back with the payer: the debit is recorded whatever the balance. The credits were
      // held since the refund was reserved, so an unforced one cannot go below zero; if it does, the
      // books were already off (say, data from before holds existed), and that is loud.
      const after = await this.ledger.debitRefund(m, {
        tenantId: order.tenantId,
        applicationId: order.applicationId,
        orderId: order.id,
        refundId: refund.id,
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

  async get(tenantId: string, id: string): Promise<Refund> {
    const refund = await this.db.getRepository(Refund).findOne({ where: { tenantId, id } });
    if (!refund) throw RefundErrors.refund_not_found('refund not found');
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
    if (!row) throw RefundErrors.order_not_refundable('the order has no successful payment to refund');
    return row;
  }

  private async replay(tenantId: string, key: string, requestHash: string): Promise<Refund | null> {
    const seen = await this.db.getRepository(Refund).findOne({ where: { tenantId, idempotencyKey: key } });
    if (!seen) return null;
    if (seen.requestHash !== requestHash)
      throw PaymentErrors.idempotency_key_reused('this Idempotency-Key was used with a different request');
    return seen;
  }
}

/** A unique violation of the named index (PostgreSQL 23505, through TypeORM or the pg driver). */
function violates(err: unknown, constraint: string): boolean {
  if (!isUniqueViolation(err) || typeof err !== 'object' || err === null) return false;
  const e = err as { constraint?: unknown; driverError?: { constraint?: unknown } };
  return (e.driverError?.constraint ?? e.constraint) === constraint;
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
