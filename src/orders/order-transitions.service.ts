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

  /** The first history row of a new order. */
  async created(m: EntityManager, order: Order, reason: string): Promise<void> {
    await m.insert(OrderTransition, {
      tenantId: order.tenantId,
      orderId: order.id,
      fromState: null,
      toState: order.state,
      reason,
    });
  }
}
