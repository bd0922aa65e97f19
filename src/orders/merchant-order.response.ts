import { Money } from '../common/money';
import type { Order } from './order.entity';
import { ORDER_STATE_CODE, OrderState } from './order-state';

/** The seed-004 view of an order (merchant dialect: money as strings, state as an integer). */
export function toMerchantOrder(o: Order, state: OrderState = o.state): Record<string, unknown> {
  return {
    id: o.id,
    order_no: o.merchantOrderNo,
    currency: o.currency,
    amount: new Money(o.price).toFixed(),
    // What the payer is charged in the collected token, after conversion.
    order_amount: new Money(o.chargeAmount ?? o.price).toFixed(),
    cancel_time: Math.floor(o.expiresAt.getTime() / 1000),
    state: ORDER_STATE_CODE[state],
    pay_url: o.payUrl,
  };
}
