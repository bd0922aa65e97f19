import type { EntityManager } from 'typeorm';
import type { Order } from './order.entity';
import type { OrderState } from './order-state';

/**
 * Told of every state change inside the transaction that makes it, so what it writes (a merchant
 * notification, say) commits or rolls back with the change. Provided by a module above orders.
 * `targets` are the states the order went through in this change, in order (Paid then Finished on a
 * confirmation); `order` is as it is after the last of them.
 */
export interface OrderStateListener {
  onTransitions(m: EntityManager, order: Order, targets: readonly OrderState[]): Promise<void>;
}

export const ORDER_STATE_LISTENER = Symbol('ORDER_STATE_LISTENER');
