import { ApiProperty } from '@nestjs/swagger';
import { Money } from '../common/money';
import type { Order } from './order.entity';
import { ORDER_STATE_CODE, OrderState } from './order-state';

/** An order on the merchant API (money as decimal strings, state as an integer). */
export class MerchantOrderResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'Pay1678886400000',
    description: "the merchant's order_no",
  })
  order_no!: string | null;

  @ApiProperty({ example: 'EUR' })
  currency!: string;

  @ApiProperty({ example: '0.1', description: 'decimal string, in `currency`' })
  amount!: string;

  @ApiProperty({
    example: '0.108',
    description: 'what the payer is charged in the collected token, after conversion',
  })
  order_amount!: string;

  @ApiProperty({ example: 1678890000, description: 'unix seconds when the order expires' })
  cancel_time!: number;

  @ApiProperty({
    enum: Object.values(ORDER_STATE_CODE),
    example: 1,
    description:
      '1 Pending, 2 Paid, 3 Finished, 4 Expired, 5 Cancelled, 6 Failed, 7 Refunded, 8 PartiallyRefunded',
  })
  state!: number;

  @ApiProperty({ type: String, nullable: true, description: 'where the payer pays' })
  pay_url!: string | null;
}

/** The merchant view of an order (money as strings, state as an integer). */
export function toMerchantOrder(o: Order, state: OrderState = o.state): MerchantOrderResponse {
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
