import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Principal } from '../../auth/principal';
import { DomainError } from '../../common/domain-error';
import { Order } from '../../orders/order.entity';
import { isOpenForPayment } from '../../orders/order-state';
import { DirectOrderInput } from '../order-creation/new-order-input';
import { OrderCreationService } from '../order-creation/order-creation.service';
import { OrderCancellationService } from '../reconciliation/order-cancellation.service';
import { PaymentErrors } from '../payments.errors';
import { OrderErrors } from '../../orders/orders.errors';

/** The merchant API's orders, found by the merchant's own order number. */
@Injectable()
export class MerchantPaymentsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly creation: OrderCreationService,
    private readonly cancellation: OrderCancellationService,
  ) {}

  async create(p: Principal, d: DirectOrderInput): Promise<Order> {
    try {
      return await this.creation.createDirectOrder(p, d);
    } catch (err) {
      // Nobody takes this token on this chain: the merchant API names the field.
      if (err instanceof DomainError && err.code === 'no_provider_for_route')
        throw PaymentErrors.no_provider_for_route(
          `Invalid parameter \`chain_type\`: no enabled provider takes ${d.route.currency} on ${d.route.chain}`,
          { field: 'chain_type' },
        );
      throw err;
    }
  }

  async get(tenantId: string, orderNo: string): Promise<Order> {
    // No order has another form (POST /v1/payment refuses it), and a NUL byte would be a 500 in SQL.
    if (!/^[A-Za-z0-9]{8,32}$/.test(orderNo)) throw OrderErrors.order_not_found('order not found');
    const order = await this.db
      .getRepository(Order)
      .findOne({ where: { tenantId, merchantOrderNo: orderNo } });
    if (!order) throw OrderErrors.order_not_found(`order ${orderNo} not found`);
    return order;
  }

  /** Cancel a Pending order and close its open attempts at their providers (best effort). */
  async close(tenantId: string, orderNo: string): Promise<Order> {
    const found = await this.get(tenantId, orderNo);
    if (!isOpenForPayment(found.state))
      throw PaymentErrors.order_not_closable(`the order is ${found.state} and cannot be closed`);
    return this.cancellation.cancelOrder(tenantId, found.id);
  }
}
