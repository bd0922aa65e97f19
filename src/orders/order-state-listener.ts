import type { EntityManager } from 'typeorm';
import type { Order } from './order.entity';
import type { OrderState } from './order-state';

/**
 * Told of every state change inside the transaction that makes it, so what it writes (a merchant
 * notification, say) commits or rolls back with the change. Provided by a module above orders.
 */
export interface OrderStateListener {
  onTransition(m: EntityManager, order: Order, to: OrderState): Promise<void>;
}

export const ORDER_STATE_LISTENER = Symbol('ORDER_STATE_LISTENER');
