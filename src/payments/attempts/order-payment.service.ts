import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { Principal } from '../../auth/principal';
import { Money } from '../../common/money';
import { RowInserts } from '../../common/sql';
import { Order } from '../../orders/order.entity';
import { assertMayActOnOrder } from '../../orders/order-access';
import { isOpenForPayment } from '../../orders/order-state';
import { OrdersService } from '../../orders/orders.service';
import type { PaymentAction } from '../contract/payment-provider';
import { parsePayWay, PayWay } from '../pay-way';
import { AttemptCloser } from './attempt-closer.service';
import { AttemptOpener } from './attempt-opener.service';
import { PaymentLookup } from './payment-lookup.service';
import { PaymentErrors } from '../payments.errors';

/**
 * The order payment API: open (or reopen) a payment for a Pending order with the given method. A
 * member may pay only orders they created; owners and admins any order of the tenant. The order's latest attempt
 * is reused when it is of the same method (except weapp, whose openid may differ); a new attempt
 * closes the order's other open attempts at their providers, after commit and in the background
 * (AttemptCloser), so the payer cannot pay an earlier one too.
 */
@Injectable()
export class OrderPaymentService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly orders: OrdersService,
    private readonly opener: AttemptOpener,
    private readonly lookup: PaymentLookup,
    private readonly closer: AttemptCloser,
  ) {}

  async payOrder(
    p: Principal,
    orderId: string,
    payWayRaw: string,
    openid?: string,
  ): Promise<{ way: PayWay; action: PaymentAction }> {
    const order = await this.orders.get(p.tenantId, orderId);
    assertMayActOnOrder(p, order);
    if (!isOpenForPayment(order.state)) {
      throw PaymentErrors.order_not_payable(`the order is ${order.state} and cannot be paid`);
    }
    if (order.expiresAt.getTime() <= Date.now())
      throw PaymentErrors.order_not_payable('the order has expired');
    const way = parsePayWay(payWayRaw);
    if (!way) throw PaymentErrors.pay_way_unsupported(`pay_way ${payWayRaw} is not supported`);
    if (new Money(order.price).isZero())
      throw PaymentErrors.zero_amount('the order amount is 0; no payment is needed');
    if (way.method === 'wechat_jsapi' && !openid) {
      throw PaymentErrors.openid_required('openid is required for weapp payments', {
        field: 'openid',
      });
    }
    await this.opener.requireContext(p.tenantId, way);

    const latest = await this.lookup.latestOf(p.tenantId, orderId);
    const reusable =
      latest?.provider === way.provider && latest.method === way.method && latest.status === 'pending'
        ? latest
        : null;
    if (reusable?.action && way.method !== 'wechat_jsapi') return { way, action: reusable.action };

    const paymentId = randomUUID();
    const route =
      order.payCurrency && order.chain ? { currency: order.payCurrency, chain: order.chain } : undefined;
    const attempt = await this.opener.open(p.tenantId, way, order, paymentId, route, openid);
    await this.db.transaction(async (m) => {
      const locked = await this.orders.lock(m, p.tenantId, orderId);
      if (!isOpenForPayment(locked.state)) {
        throw PaymentErrors.order_not_payable(`the order is ${locked.state} and cannot be paid`);
      }
      await this.opener.addRow(new RowInserts(), paymentId, locked, attempt).run(m);
      await m.update(
        Order,
        { id: orderId, tenantId: p.tenantId },
        this.opener.orderFieldsOf(attempt, orderId),
      );
    });
    this.closer.closeOthersLater(p.tenantId, orderId, paymentId);
    return { way, action: attempt.opened.action };
  }
}
