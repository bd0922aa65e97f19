import { ApiProperty } from '@nestjs/swagger';
import { ApiAmount, ApiDateTime, PageOf } from '../common/api-docs';
import { formatAmount, Money, toJsonNumber } from '../common/money';
import { isoMicros } from '../common/time';
import type { Order } from './order.entity';
import { OrderState } from './order-state';

/** An order on the platform API (money as JSON numbers). */
export class OrderResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'who created it; null for merchant orders',
  })
  user_id!: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  application_id!: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  package_id!: string | null;

  @ApiAmount(500, { description: 'credits bought' })
  amount!: number;

  @ApiAmount(49.99, { description: 'what the payer pays, in `currency`' })
  price!: number;

  @ApiAmount(0)
  discount!: number;

  @ApiProperty({ example: 'Sandbox', description: 'payment method name' })
  pay_way!: string;

  @ApiProperty({ type: String, nullable: true, description: "the provider's id for the payment" })
  pay_id!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'where the payer pays' })
  pay_url!: string | null;

  @ApiProperty({ enum: OrderState, enumName: 'OrderState', example: OrderState.Pending })
  state!: OrderState;

  @ApiAmount(49.99, { description: 'what can still be refunded' })
  remaining_amount!: number;

  @ApiProperty({ type: [String], nullable: true })
  tags!: string[] | null;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, nullable: true })
  metadata!: Record<string, string> | null;

  @ApiDateTime()
  created_at!: string;

  @ApiDateTime()
  updated_at!: string;

  @ApiProperty({ example: 'USD' })
  currency!: string;

  @ApiDateTime()
  expires_at!: string;

  @ApiDateTime({ nullable: true })
  paid_at!: string | null;

  @ApiDateTime({ nullable: true })
  finished_at!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'token asked for with `pay_way: Crypto`' })
  pay_currency!: string | null;

  @ApiProperty({ type: String, nullable: true, example: null })
  chain!: string | null;

  @ApiAmount(355.15, {
    nullable: true,
    description: 'what the provider charges when it charges another currency (e.g. CNY)',
  })
  charge_amount!: number | null;

  @ApiProperty({ type: String, nullable: true, example: null })
  charge_currency!: string | null;

  @ApiAmount(7.1043, { nullable: true, description: '1 `currency` = fx_rate `charge_currency`' })
  fx_rate!: number | null;
}

export class OrderPageResponse extends PageOf(OrderResponse) {}

/** The platform view of an order (money as JSON numbers), plus a few extra fields. */
export const toOrderResponse = (o: Order): OrderResponse => ({
  id: o.id,
  user_id: o.userId,
  application_id: o.applicationId,
  package_id: o.packageId,
  amount: toJsonNumber(o.amount),
  price: toJsonNumber(formatAmount(o.currency, new Money(o.price))),
  discount: toJsonNumber(o.discount),
  pay_way: o.payWay,
  pay_id: o.payId,
  pay_url: o.payUrl,
  state: o.state,
  remaining_amount: toJsonNumber(o.remainingAmount),
  tags: o.tags,
  metadata: o.metadata,
  created_at: isoMicros(o.createdAt),
  updated_at: isoMicros(o.updatedAt),
  currency: o.currency,
  expires_at: isoMicros(o.expiresAt),
  paid_at: isoMicros(o.paidAt),
  finished_at: isoMicros(o.finishedAt),
  // Set when the provider charges another currency (WeChat Pay, Alipay: CNY): what it charges and
  // the FX rate used (1 `currency` = fx_rate `charge_currency`).
  pay_currency: o.payCurrency,
  chain: o.chain,
  charge_amount: o.chargeAmount === null ? null : toJsonNumber(o.chargeAmount),
  charge_currency: o.chargeCurrency,
  fx_rate: o.fxRate === null ? null : toJsonNumber(o.fxRate),
});
