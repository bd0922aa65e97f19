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
