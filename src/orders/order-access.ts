import type { Principal } from '../auth/principal';
import type { Order } from './order.entity';
import { CommonErrors } from '../common/common.errors';

/**
 * Who may act on an order (pay it, cancel it): its tenant's owners and admins, platform admins,
 * and a `member` only on the orders they created. Reading stays open to the whole tenant.
 */
export function assertMayActOnOrder(p: Principal, order: Pick<Order, 'userId'>): void {
  if (p.role === 'member' && !p.platformAdmin && order.userId !== p.userId)
    throw CommonErrors.forbidden('this order belongs to another user');
}
