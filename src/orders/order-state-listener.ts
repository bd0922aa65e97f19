import type { EntityManager } from 'typeorm';
import type { InsertBatch } from '../common/sql';
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

  /**
   * The same writes as parts of one caller's statement that also makes the change (an autocommitted
   * data-modifying CTE, see NotificationsService.addTransitionWrites for the contract): `url` is where
   * the order is notified as the caller read it (null: nowhere). Returns the CTEs that must each
   * return `expected` rows, or the caller's statement must fail.
   */
  addTransitionWrites(
    batch: InsertBatch,
    name: string,
    gate: string,
    order: Order,
    targets: readonly OrderState[],
    url: string | null,
  ): Promise<{ expected: number; ctes: string[] }>;
}

export const ORDER_STATE_LISTENER = Symbol('ORDER_STATE_LISTENER');
