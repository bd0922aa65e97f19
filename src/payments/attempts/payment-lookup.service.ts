import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Order } from '../../orders/order.entity';
import { Payment } from './payment.entity';

/** Reads of payment attempts: an order's attempts, and the order an attempt belongs to. */
@Injectable()
export class PaymentLookup {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The order a payment attempt belongs to, found by our id or the provider's reference. */
  async orderOfPayment(
    tenantId: string,
    provider: string,
    by: { paymentId?: string; providerRef?: string },
  ): Promise<Order | null> {
    const where = by.paymentId
      ? { tenantId, provider, id: by.paymentId }
      : by.providerRef
        ? { tenantId, provider, providerRef: by.providerRef }
        : null;
    if (!where) return null;
    const payment = await this.db.getRepository(Payment).findOne({ where });
    return payment
      ? this.db.getRepository(Order).findOne({ where: { tenantId, id: payment.orderId } })
      : null;
  }

  /** Latest payment attempts of an order, newest first (for the checkout and reconciliation). */
  async paymentsOf(
    tenantId: string,
    orderId: string,
    m: EntityManager = this.db.manager,
  ): Promise<Payment[]> {
    return m.find(Payment, { where: { tenantId, orderId }, order: { createdAt: 'DESC' } });
  }

  /** The latest attempt of an order, or null. */
  latestOf(tenantId: string, orderId: string): Promise<Payment | null> {
    return this.db.getRepository(Payment).findOne({
      where: { tenantId, orderId },
      order: { createdAt: 'DESC' },
    });
  }
}
