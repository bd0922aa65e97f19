import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal';
import { AppConfig } from '../config/app-config';
import { conflict, DomainError, forbidden } from '../common/domain-error';
import { formatAmount, Money } from '../common/money';
import { isUniqueViolation } from '../common/pg-errors';
import { InsertBatch } from '../common/sql';
import { IdempotencyKey } from '../orders/idempotency-key.entity';
import { Order } from '../orders/order.entity';
import { OrderState } from '../orders/order-state';
import { OrdersService } from '../orders/orders.service';
import { PackagesService } from '../packages/packages.service';
import { quote } from '../packages/pricing';
import { Payment, PaymentStatus } from './payment.entity';
import type { CreatedPayment, PaymentAction, ProviderContext, VerifiedEvent } from './payment-provider';
import { parsePayWay, PayWay } from './pay-way';
import { ProviderEvent, ProviderEventOutcome } from './provider-event.entity';
import { ProviderRegistry } from './provider-registry';

export interface NewOrderInput {
  application_id: string;
  package_id: string;
  pay_way: string;
  amount?: number | string;
  redirect_url?: string;
}

export type EventResult = {
  outcome: ProviderEventOutcome | 'duplicate';
  note?: string;
  orderState?: OrderState;
};

@Injectable()
export class PaymentsService {
  private readonly logger = new Logger(PaymentsService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: AppConfig,
    private readonly registry: ProviderRegistry,
    private readonly orders: OrdersService,
    private readonly packages: PackagesService,
  ) {}

  /**
   * Seed 000: create a recharge order and open its payment. The provider is called before anything
   * is written, so a provider failure leaves no row; the order, its first payment attempt, its
   * history row and the idempotency key are then written as one atomic statement.
   */
  async createOrder(
    p: Principal,
    input: NewOrderInput,
    idempotencyKey?: string,
  ): Promise<{ order: Order; replayed: boolean }> {
    const requestHash = idempotencyKey ? hashRequest(input) : '';
    if (idempotencyKey) {
      const replay = await this.replay(p.tenantId, idempotencyKey, requestHash);
      if (replay) return { order: replay, replayed: true };
    }
    const way = parsePayWay(input.pay_way);
    if (!way)
      throw new DomainError(
        'invalid_pay_way',
        400,
        `pay_way ${input.pay_way} is not a known payment method`,
        { field: 'pay_way' },
      );
    const pkg = await this.packages.getForOrder(p.tenantId, input.package_id, input.application_id);
    const q = quote(pkg, input.amount);
    const ctx = await this.requireContext(p.tenantId, way);

    const now = Date.now();
    const order: Order = Object.assign(new Order(), {
      id: randomUUID(),
      tenantId: p.tenantId,
      userId: p.userId,
      applicationId: input.application_id,
      packageId: pkg.id,
      amount: q.amount.toFixed(),
      price: formatAmount(pkg.currency, q.price),
      currency: pkg.currency,
      discount: q.discount.toFixed(),
      payWay: way.display,
      payId: null,
      payUrl: null,
      remainingAmount: '0',
      tags: null,
      metadata: null,
      redirectUrl: input.redirect_url ?? null,
      expiresAt: new Date(now + this.config.orderTtlSeconds * 1000),
      paidAt: null,
      finishedAt: null,
    });
    const paymentId = randomUUID();
    const opened = q.price.isZero() ? null : await this.callProvider(ctx, way, order, paymentId);
    if (opened) {
      order.payId = opened.providerRef;
      order.payUrl = payUrlOf(opened.action, this.checkoutUrl(order.id));
    }
    // The order, its history row, its payment attempt and the idempotency key: one atomic statement.
    const batch = new InsertBatch();
    if (opened) this.addPayment(batch, paymentId, order, way, opened);
    if (idempotencyKey) {
      batch.add(
        'new_idempotency_key',
        `INSERT INTO idempotency_keys (tenant_id, key, request_hash, order_id)
         VALUES (${batch.param(p.tenantId)}, ${batch.param(idempotencyKey)}, ${batch.param(requestHash)}, ${batch.param(order.id)})`,
      );
    }
    try {
      await this.orders.insertPending(order, batch);
    } catch (err) {
      // A concurrent request with the same key won the race: answer as a replay of it.
      if (idempotencyKey && isUniqueViolation(err)) {
        const replay = await this.replay(p.tenantId, idempotencyKey, requestHash);
        if (replay) return { order: replay, replayed: true };
      }
      throw err;
    }
    // insertPending filled in the database timestamps: no re-read needed.
    return { order, replayed: false };
  }

  /**
   * Seed 001: open (or reopen) a payment for a Pending order with the given method. A member may pay
   * only orders they created; owners and admins any order of the tenant.
   */
  async payOrder(
    p: Principal,
    orderId: string,
    payWayRaw: string,
    openid?: string,
  ): Promise<{ way: PayWay; action: PaymentAction }> {
    const order = await this.orders.get(p.tenantId, orderId);
    if (p.role === 'member' && !p.platformAdmin && order.userId !== p.userId)
      throw forbidden('this order belongs to another user');
    if (order.state !== OrderState.Pending) {
      throw new DomainError('order_not_payable', 409, `the order is ${order.state} and cannot be paid`);
    }
    if (order.expiresAt.getTime() <= Date.now())
      throw new DomainError('order_not_payable', 409, 'the order has expired');
    const way = parsePayWay(payWayRaw);
    if (!way) throw new DomainError('pay_way_unsupported', 422, `pay_way ${payWayRaw} is not supported`);
    if (new Money(order.price).isZero())
      throw new DomainError('zero_amount', 422, 'the order amount is 0; no payment is needed');
    if (way.method === 'wechat_jsapi' && !openid) {
      throw new DomainError('openid_required', 400, 'openid is required for weapp payments', {
        field: 'openid',
      });
    }
    const ctx = await this.requireContext(p.tenantId, way);

    const reusable = await this.db.getRepository(Payment).findOne({
      where: { tenantId: p.tenantId, orderId, provider: way.provider, method: way.method, status: 'pending' },
      order: { createdAt: 'DESC' },
    });
    if (reusable?.action && way.method !== 'wechat_jsapi') return { way, action: reusable.action };

    const paymentId = randomUUID();
    const opened = await this.callProvider(ctx, way, order, paymentId, openid);
    await this.db.transaction(async (m) => {
      const locked = await this.orders.lock(m, p.tenantId, orderId);
      if (locked.state !== OrderState.Pending) {
        throw new DomainError('order_not_payable', 409, `the order is ${locked.state} and cannot be paid`);
      }
      await this.addPayment(new InsertBatch(), paymentId, locked, way, opened).run(m);
      await m.update(
        Order,
        { id: orderId, tenantId: p.tenantId },
        {
          payWay: way.display,
          payId: opened.providerRef,
          payUrl: payUrlOf(opened.action, this.checkoutUrl(orderId)),
        },
      );
    });
    return { way, action: opened.action };
  }

  /**
   * Apply a verified provider event, exactly once per (provider, event id). Locks the order, then the
   * payment (always in that order). A success whose amount or currency differs from the attempt is
   * recorded and flagged, never credited.
   */
  async applyEvent(tenantId: string, providerId: string, event: VerifiedEvent): Promise<EventResult> {
    const found = await this.db
      .getRepository(Payment)
      .findOne({ where: { tenantId, provider: providerId, providerRef: event.providerRef } });
    return this.db.transaction(async (m) => {
      const eventRowId = randomUUID();
      const inserted = await m.query<{ id: string }[]>(
        `INSERT INTO provider_events (id, tenant_id, provider, event_id, type, payment_id, outcome, payload)
         VALUES ($1, $2, $3, $4, $5, $6, 'applied', $7)
         ON CONFLICT (provider, event_id) DO NOTHING RETURNING id`,
        [
          eventRowId,
          tenantId,
          providerId,
          event.eventId,
          event.type,
          found?.id ?? null,
          JSON.stringify(event.payload),
        ],
      );
      if (inserted.length === 0) return { outcome: 'duplicate' };
      // Recorded as 'applied' (the common case); any other outcome is written over it.
      const record = async (
        outcome: ProviderEventOutcome,
        note?: string,
        orderState?: OrderState,
      ): Promise<EventResult> => {
        if (outcome !== 'applied')
          await m.update(ProviderEvent, { id: eventRowId }, { outcome, note: note ?? null });
        return { outcome, note, orderState };
      };
      if (!found) return record('ignored', 'no payment with this reference');

      const order = await this.orders.lock(m, tenantId, found.orderId);
      const [payment] = await m.query<Pick<Payment, 'id' | 'status' | 'amount' | 'currency'>[]>(
        'SELECT id, status, amount, currency FROM payments WHERE id = $1 FOR UPDATE',
        [found.id],
      );
      const setPayment = (values: { status?: PaymentStatus; flag_reason?: string }): Promise<unknown> =>
        m.query(
          `UPDATE payments SET status = COALESCE($2, status), flag_reason = COALESCE($3, flag_reason), updated_at = now() WHERE id = $1`,
          [payment.id, values.status ?? null, values.flag_reason ?? null],
        );

      switch (event.outcome) {
        case 'succeeded': {
          if (payment.status === 'succeeded')
            return record('ignored', 'payment already succeeded', order.state);
          const mismatch = this.mismatch(payment, event);
          if (mismatch) {
            await setPayment({ flag_reason: mismatch });
            this.logger.warn(`payment ${payment.id} flagged: ${mismatch}`);
            return record('flagged', mismatch, order.state);
          }
          // Paid, Finished or refunded: another attempt of this order already succeeded.
          if (!this.orders.isPayable(order)) {
            const note = 'order already paid by another payment: refund needed';
            await setPayment({ flag_reason: note });
            return record('flagged', note, order.state);
          }
          await setPayment({ status: 'succeeded' });
          await this.orders.confirmPaid(m, order, `${providerId} ${event.type}`);
          return record('applied', undefined, order.state);
        }
        case 'failed':
        case 'expired': {
          if (payment.status !== 'pending')
            return record('ignored', `payment already ${payment.status}`, order.state);
          await setPayment({ status: event.outcome });
          return record('applied', undefined, order.state);
        }
        case 'pending':
          return record('ignored', 'not final', order.state);
      }
    });
  }

  private mismatch(payment: Pick<Payment, 'amount' | 'currency'>, event: VerifiedEvent): string | null {
    if (event.currency !== undefined && event.currency.toUpperCase() !== payment.currency) {
      return `currency mismatch: expected ${payment.currency}, got ${event.currency}`;
    }
    if (event.amount !== undefined) {
      let got: Money;
      try {
        got = new Money(event.amount);
      } catch {
        return `amount unreadable: ${event.amount}`;
      }
      if (!got.equals(new Money(payment.amount))) {
        return `amount mismatch: expected ${formatAmount(payment.currency, new Money(payment.amount))}, got ${event.amount}`;
      }
    }
    if (event.amount === undefined || event.currency === undefined)
      return 'confirmation carries no amount or currency';
    return null;
  }

  private async replay(tenantId: string, key: string, requestHash: string): Promise<Order | null> {
    const seen = await this.db.getRepository(IdempotencyKey).findOne({ where: { tenantId, key } });
    if (!seen) return null;
    if (seen.requestHash !== requestHash) {
      throw conflict('idempotency_key_reused', 'this Idempotency-Key was used with a different request');
    }
    return this.orders.get(tenantId, seen.orderId);
  }

  private async requireContext(tenantId: string, way: PayWay): Promise<ProviderContext> {
    const ctx = await this.registry.contextFor(tenantId, way.provider);
    if (!ctx)
      throw new DomainError('pay_way_unavailable', 422, `${way.display} is not enabled for this tenant`, {
        pay_way: way.display,
      });
    return ctx;
  }

  private async callProvider(
    ctx: ProviderContext,
    way: PayWay,
    order: Order,
    paymentId: string,
    openid?: string,
  ): Promise<CreatedPayment> {
    const provider = this.registry.get(way.provider);
    if (!provider) throw new DomainError('pay_way_unavailable', 422, `${way.display} is not available`);
    try {
      return await provider.createPayment(ctx, {
        paymentId,
        orderId: order.id,
        method: way.method,
        amount: formatAmount(order.currency, new Money(order.price)),
        currency: order.currency,
        description: `Order ${order.id}`,
        expiresAt: order.expiresAt,
        checkoutUrl: this.checkoutUrl(order.id),
        returnUrl: order.redirectUrl ?? undefined,
        openid,
      });
    } catch (err) {
      if (err instanceof DomainError) throw err;
      this.logger.warn(
        `${way.provider} createPayment failed: ${err instanceof Error ? err.message : String(err)}`,
      );
      throw new DomainError(
        'provider_error',
        502,
        `${way.display} could not open the payment: ${err instanceof Error ? err.message : 'unknown error'}`,
      );
    }
  }

  /** Add a new pending payment attempt to an insert batch. */
  private addPayment(
    batch: InsertBatch,
    id: string,
    order: Order,
    way: PayWay,
    opened: CreatedPayment,
  ): InsertBatch {
    const v = (value: unknown): string => batch.param(value);
    return batch.add(
      'new_payment',
      `INSERT INTO payments (id, tenant_id, order_id, provider, method, status, amount, currency, provider_ref, action)
       VALUES (${v(id)}, ${v(order.tenantId)}, ${v(order.id)}, ${v(way.provider)}, ${v(way.method)}, 'pending',
               ${v(order.price)}, ${v(order.currency)}, ${v(opened.providerRef)}, ${v(JSON.stringify(opened.action))})`,
    );
  }

  checkoutUrl(orderId: string): string {
    return `${this.config.baseUrl()}/checkout/${orderId}`;
  }

  /** Latest payment attempts of an order, newest first (for the checkout and reconciliation). */
  async paymentsOf(
    tenantId: string,
    orderId: string,
    m: EntityManager = this.db.manager,
  ): Promise<Payment[]> {
    return m.find(Payment, { where: { tenantId, orderId }, order: { createdAt: 'DESC' } });
  }
}

/** The URL a payer follows for an action: the redirect target, else our checkout (QR, crypto, ...). */
export function payUrlOf(action: PaymentAction, checkoutUrl: string): string {
  return action.kind === 'redirect' ? action.url : checkoutUrl;
}

function hashRequest(input: NewOrderInput): string {
  const canonical = JSON.stringify({
    application_id: input.application_id,
    package_id: input.package_id,
    pay_way: input.pay_way.toLowerCase(),
    amount: input.amount === undefined ? null : String(input.amount),
    redirect_url: input.redirect_url ?? null,
  });
  return createHash('sha256').update(canonical).digest('hex');
}
