import { Inject, Injectable, Optional } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { InsertBatch, updateReturning } from '../common/sql';
import type { Order } from './order.entity';
import { canTransition, OrderState } from './order-state';
import { ORDER_STATE_LISTENER, OrderStateListener } from './order-state-listener';
import { OrderCounters } from './order-counters';
import { OrderTransition } from './order-transition.entity';
import { OrderErrors } from './orders.errors';

/**
 * The only code that changes an order's state. Each move is checked against ORDER_TRANSITIONS,
 * guarded in SQL against a concurrent move (`WHERE state = from`), and writes one history row,
 * all inside the caller's transaction.
 */
@Injectable()
export class OrderTransitionsService {
  constructor(
    @Optional() private readonly counters?: OrderCounters,
    @Optional() @Inject(ORDER_STATE_LISTENER) private readonly listener?: OrderStateListener,
  ) {}

  async move(m: EntityManager, order: Order, to: OrderState, reason: string): Promise<void> {
    const from = order.state;
    if (!canTransition(from, to)) {
      throw OrderErrors.invalid_state_transition(`an order cannot go from ${from} to ${to}`, {
        from,
        to,
      });
    }
    const stamp =
      to === OrderState.Paid
        ? ', paid_at = now()'
        : to === OrderState.Finished
          ? ', finished_at = now()'
          : '';
    const rows = await updateReturning<{ updated_at: Date; paid_at: Date | null; finished_at: Date | null }>(
      m,
      `UPDATE orders SET state = $3, updated_at = now()${stamp}
        WHERE id = $1 AND tenant_id = $2 AND state = $4
        RETURNING updated_at, paid_at, finished_at`,
      [order.id, order.tenantId, to, from],
    );
    if (rows.length !== 1) {
      throw OrderErrors.concurrent_state_change('the order changed state meanwhile; retry');
    }
    await m.insert(OrderTransition, {
      tenantId: order.tenantId,
      orderId: order.id,
      fromState: from,
      toState: to,
      reason,
    });
    order.state = to;
    order.updatedAt = rows[0].updated_at;
    order.paidAt = rows[0].paid_at;
    order.finishedAt = rows[0].finished_at;
    this.counters?.entered(m, order.payWay, [to]);
    await this.listener?.onTransitions(m, order, [to]);
  }

  /**
   * Several moves in a row (Paid then Finished), each checked against the table, applied with one
   * guarded UPDATE and one history row per move, in a single statement. `fillRemaining` sets the
   * order's remaining credits to its amount in the same UPDATE (the credit).
   */
  async moveThrough(
    m: EntityManager,
    order: Order,
    steps: readonly { to: OrderState; reason: string }[],
    opts: { fillRemaining?: boolean } = {},
  ): Promise<void> {
    let state = order.state;
    for (const step of steps) {
      if (!canTransition(state, step.to)) {
        throw OrderErrors.invalid_state_transition(`an order cannot go from ${state} to ${step.to}`, {
          from: state,
          to: step.to,
        });
      }
      state = step.to;
    }
    const targets = steps.map((s) => s.to);
    const sets = [
      'state = $3',
      'updated_at = now()',
      ...(targets.includes(OrderState.Paid) ? ['paid_at = now()'] : []),
      ...(targets.includes(OrderState.Finished) ? ['finished_at = now()'] : []),
      ...(opts.fillRemaining ? ['remaining_amount = amount'] : []),
    ];
    const froms = [order.state, ...targets.slice(0, -1)];
    const rows = await m.query<
      { updated_at: Date; paid_at: Date | null; finished_at: Date | null; remaining_amount: string }[]
    >(
      `WITH u AS (
         UPDATE orders SET ${sets.join(', ')} WHERE id = $1 AND tenant_id = $2 AND state = $4
         RETURNING id, tenant_id, updated_at, paid_at, finished_at, remaining_amount),
       h AS (
         INSERT INTO order_transitions (tenant_id, order_id, from_state, to_state, reason)
         SELECT u.tenant_id, u.id, s.from_state, s.to_state, s.reason
           FROM u, unnest($5::text[], $6::text[], $7::text[]) WITH ORDINALITY AS s(from_state, to_state, reason, n)
          ORDER BY s.n)
       SELECT updated_at, paid_at, finished_at, remaining_amount FROM u`,
      [order.id, order.tenantId, state, order.state, froms, targets, steps.map((s) => s.reason)],
    );
    if (rows.length !== 1) {
      throw OrderErrors.concurrent_state_change('the order changed state meanwhile; retry');
    }
    order.state = state;
    order.updatedAt = rows[0].updated_at;
    order.paidAt = rows[0].paid_at;
    order.finishedAt = rows[0].finished_at;
    order.remainingAmount = rows[0].remaining_amount;
    this.counters?.entered(m, order.payWay, targets);
    await this.listener?.onTransitions(m, order, targets);
  }

  /**
   * Add a new Pending order and its first history row to an insert batch (order creation's one
   * statement). The batch returns the database's timestamps; pass its first row to `created`.
   */
  addCreate(batch: InsertBatch, order: Order, reason: string): void {
    order.state = OrderState.Pending;
    batch
      .row('orders', {
        id: order.id,
        tenant_id: order.tenantId,
        user_id: order.userId,
        application_id: order.applicationId,
        package_id: order.packageId,
        amount: order.amount,
        price: order.price,
        currency: order.currency,
        discount: order.discount,
        pay_way: order.payWay,
        pay_id: order.payId,
        pay_url: order.payUrl,
        pay_currency: order.payCurrency,
        chain: order.chain,
        charge_amount: order.chargeAmount,
        charge_currency: order.chargeCurrency,
        fx_rate: order.fxRate,
        state: order.state,
        remaining_amount: order.remainingAmount,
        tags: order.tags === null ? null : JSON.stringify(order.tags),
        metadata: order.metadata === null ? null : JSON.stringify(order.metadata),
        redirect_url: order.redirectUrl,
        expires_at: order.expiresAt,
        merchant_order_no: order.merchantOrderNo ?? null,
        notify_url: order.notifyUrl ?? null,
        product_name: order.productName ?? null,
        meta: order.meta ?? null,
      })
      .row('order_transitions', {
        tenant_id: order.tenantId,
        order_id: order.id,
        from_state: null,
        to_state: order.state,
        reason,
      })
      .returning('orders', 'id, created_at, updated_at');
  }

  /** Take the timestamps an addCreate batch returned. */
  created(order: Order, row: { created_at: Date; updated_at: Date }): void {
    order.createdAt = row.created_at;
    order.updatedAt = row.updated_at;
    this.counters?.orderCreated(order.payWay);
  }
}
