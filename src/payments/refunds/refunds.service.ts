import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomUUID } from 'node:crypto';
import Decimal from 'decimal.js';
import { DataSource, EntityManager } from 'typeorm';
import { LedgerService } from '../../applications/ledger.service';
import { recordAudit } from '../../audit/audit-log';
import type { Principal } from '../../auth/principal';
import { CREDIT_SCALE, formatAmount, Money, MoneyError, parseAmount, roundTo } from '../../common/money';
import { isUniqueViolation } from '../../common/pg-errors';
import type { Order } from '../../orders/order.entity';
import { canRefund } from '../../orders/order-state';
import { OrdersService } from '../../orders/orders.service';
import type { Payment } from '../attempts/payment.entity';
import { ProviderError, RefundResult } from '../contract/payment-provider';
import { providerFailure } from '../provider-failure';
import { ProviderRegistry } from '../provider-registry';
import { Refund } from './refund.entity';
import { RefundSettlementService } from './refund-settlement.service';
import { refOf } from '../attempts/open-attempt';
import { CommonErrors } from '../../common/common.errors';
import { RefundErrors } from './refunds.errors';
import { ApplicationErrors } from '../../applications/applications.errors';
import { PaymentErrors } from '../payments.errors';

export interface RefundRequest {
  amount?: string | number;
  reason: string;
  /** Platform admins only: let the debit take the application's balance below zero. */
  force?: boolean;
}

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
 * held credits (LedgerService.lockBalance; the reservation holds them, LedgerService.holdCredits), and
 * the settlement's debit always fits. A failed refund releases its hold; a succeeded one releases it
 * with its debit. Reservation and settlement lock the application's balance row first, then the
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
    private readonly settlement: RefundSettlementService,
  ) {}

  /**
   * Refund an order of `tenantId`: the caller's own tenant for its staff, the order's tenant for a
   * platform operator (OrdersService.tenantOf). `p` is who asks: the force rule and the audit row.
   */
  async create(
    p: Principal,
    tenantId: string,
    orderId: string,
    req: RefundRequest,
    idempotencyKey?: string,
  ): Promise<{ refund: Refund; replayed: boolean }> {
    const requestHash = hashRequest(orderId, req);
    if (idempotencyKey) {
      const seen = await this.replay(tenantId, idempotencyKey, requestHash);
      if (seen) return { refund: seen, replayed: true };
    }
    if (req.force && !p.platformAdmin)
      throw CommonErrors.forbidden('only a platform admin may force a refund past the balance');
    const order = await this.orders.get(tenantId, orderId);
    const payment = await this.succeededPayment(tenantId, orderId);
    const provider = this.registry.get(payment.provider);
    const ctx = await this.registry.contextFor(tenantId, payment.provider);
    if (!provider?.refund || !ctx)
      throw RefundErrors.refund_unsupported(`${payment.provider} payments cannot be refunded here`);

    // Reserve the amount: the refund row is written under the order lock, counted by later refunds.
    let refund: Refund;
    try {
      refund = await this.db.transaction((m) =>
        this.reserve(m, p, tenantId, order, payment, req, idempotencyKey, requestHash),
      );
    } catch (err) {
      if (idempotencyKey && isUniqueViolation(err)) {
        const seen = await this.replay(tenantId, idempotencyKey, requestHash);
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
        await this.settlement.settle(refund.id, { status: 'failed', message: err.message });
        throw providerFailure(payment.provider, err, this.logger);
      }
      // No answer, or not a clear one: the money may have moved. Pending until reconciliation knows.
      this.logger.warn(`refund ${refund.id} at ${payment.provider}: outcome unknown: ${String(err)}`);
      return { refund: await this.get(tenantId, refund.id), replayed: false };
    }
    // The provider may answer with a refund already recorded (same refund number): that refund.
    const settledAs = await this.settlement.settle(refund.id, result);
    return { refund: await this.get(tenantId, settledAs), replayed: settledAs !== refund.id };
  }

  private async reserve(
    m: EntityManager,
    p: Principal,
    tenantId: string,
    unlocked: Order,
    payment: Payment,
    req: RefundRequest,
    idempotencyKey: string | undefined,
    requestHash: string,
  ): Promise<Refund> {
    // The application's balance row first, then the order (see the class comment).
    const spendable = unlocked.applicationId
      ? await this.ledger.lockBalance(m, tenantId, unlocked.applicationId)
      : null;
    const order = await this.orders.lock(m, tenantId, unlocked.id);
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
      throw ApplicationErrors.insufficient_balance(
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
      tenantId,
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
    await recordAudit(m, p, {
      tenantId,
      action: 'refund.create',
      target: `refund:${refund.id}`,
      after: {
        order_id: order.id,
        payment_id: payment.id,
        // With the currency's scale, as every amount on record ("10.00", not "10").
        amount: formatAmount(order.currency, amount),
        currency: refund.currency,
        credits: refund.credits,
        forced,
      },
      data: { reason: req.reason },
    });
    if (order.applicationId)
      await this.ledger.holdCredits(m, { tenantId, applicationId: order.applicationId, credits });
    return refund;
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
