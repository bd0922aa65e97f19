import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AuditActor } from '../../audit/audit-log';
import type { Order } from '../../orders/order.entity';
import { OrdersService } from '../../orders/orders.service';
import { AttemptCloser } from '../attempts/attempt-closer.service';
import { PaymentQueryService } from './payment-query.service';

/** Cancelling an order (platform cancel, merchant close) and closing its attempts at their providers. */
@Injectable()
export class OrderCancellationService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly orders: OrdersService,
    private readonly closer: AttemptCloser,
    private readonly query: PaymentQueryService,
  ) {}

  /**
   * Cancel a Pending order (platform cancel, merchant close), then close its open attempts at their
   * providers, so the payer can no longer pay them. Best effort: an attempt the provider could not be
   * told about stays pending and reconciliation keeps asking; money that still arrives moves the
   * order to Paid (never dropped). `tenantId`: the caller's own tenant for its staff, the order's
   * tenant for a platform operator. With `actor` (an operator or staff), the cancel is audited
   * (`order.cancel`, in the cancel's transaction).
   */
  async cancelOrder(
    tenantId: string,
    orderId: string,
    mayCancel?: (order: Order) => void,
    actor?: AuditActor,
  ): Promise<Order> {
    let order = await this.orders.cancel(tenantId, orderId, mayCancel, actor);
    for (const p of await this.closer.openAttempts(tenantId, orderId)) {
      if (!(await this.query.closeAtProvider(p))) continue;
      // Closing a session that was paid a moment ago is no error at most providers: ask, so a
      // payment whose callback is still on its way is confirmed now (Cancelled -> Paid), and only
      // one the provider still calls open is marked cancelled. Unreachable: reconciliation asks later.
      const verdict = await this.query.checkPayment(p, 'cancel');
      if (verdict === 'paid') order = await this.orders.get(tenantId, orderId);
      if (verdict === 'pending')
        await this.db.query(
          `UPDATE payments SET status = 'cancelled', updated_at = now() WHERE id = $1 AND status = 'pending'`,
          [p.id],
        );
    }
    return order;
  }
}
