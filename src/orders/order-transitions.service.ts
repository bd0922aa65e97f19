import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { DomainError } from '../common/domain-error';
import { updateReturning } from '../common/sql';
import type { Order } from './order.entity';
import { canTransition, OrderState } from './order-state';
import { OrderTransition } from './order-transition.entity';

/**
 * The only code that changes an order's state. Each move is checked against ORDER_TRANSITIONS,
 * guarded in SQL against a concurrent move (`WHERE state = from`), and writes one history row,
 * all inside the caller's transaction.
 */
@Injectable()
export class OrderTransitionsService {
  async move(m: EntityManager, order: Order, to: OrderState, reason: string): Promise<void> {
    const from = order.state;
    if (!canTransition(from, to)) {
      throw new DomainError('invalid_state_transition', 409, `an order cannot go from ${from} to ${to}`, {
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
      throw new DomainError('concurrent_state_change', 409, 'the order changed state meanwhile; retry');
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
        throw new DomainError(
          'invalid_state_transition',
          409,
          `an order cannot go from ${state} to ${step.to}`,
          {
            from: state,
            to: step.to,
          },
        );
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
      throw new DomainError('concurrent_state_change', 409, 'the order changed state meanwhile; retry');
    }
    order.state = state;
    order.updatedAt = rows[0].updated_at;
    order.paidAt = rows[0].paid_at;
    order.finishedAt = rows[0].finished_at;
    order.remainingAmount = rows[0].remaining_amount;
  }

  /**
   * Insert a new Pending order together with its first history row, in one statement (the hot path
   * of order creation), inside the caller's transaction. Fills in the database's timestamps.
   */
  async create(m: EntityManager, order: Order, reason: string): Promise<void> {
    order.state = OrderState.Pending;
    const rows = await m.query<{ created_at: Date; updated_at: Date }[]>(
      `WITH o AS (
         INSERT INTO orders (id, tenant_id, user_id, application_id, package_id, amount, price, currency, discount,
                             pay_way, pay_id, pay_url, state, remaining_amount, tags, metadata, redirect_url, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
         RETURNING created_at, updated_at),
       h AS (
         INSERT INTO order_transitions (tenant_id, order_id, from_state, to_state, reason)
         VALUES ($2, $1, NULL, $13, $19))
       SELECT created_at, updated_at FROM o`,
      [
        order.id,
        order.tenantId,
        order.userId,
        order.applicationId,
        order.packageId,
        order.amount,
        order.price,
        order.currency,
        order.discount,
        order.payWay,
        order.payId,
        order.payUrl,
        order.state,
        order.remainingAmount,
        order.tags === null ? null : JSON.stringify(order.tags),
        order.metadata === null ? null : JSON.stringify(order.metadata),
        order.redirectUrl,
        order.expiresAt,
        reason,
      ],
    );
    order.createdAt = rows[0].created_at;
    order.updatedAt = rows[0].updated_at;
  }
}
