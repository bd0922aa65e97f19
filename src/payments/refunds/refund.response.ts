import { ApiProperty } from '@nestjs/swagger';
import { ApiAmount, ApiDateTime, ListOf } from '../../common/api-docs';
import { formatAmount, Money, toJsonNumber } from '../../common/money';
import { isoMicros } from '../../common/time';
import type { Refund, RefundStatus } from './refund.entity';

const REFUND_STATUSES: readonly RefundStatus[] = ['pending', 'succeeded', 'failed'];

export class RefundResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  order_id!: string;

  @ApiProperty({ enum: REFUND_STATUSES, example: 'succeeded' })
  status!: RefundStatus;

  @ApiAmount(49.99, { description: "in the order's currency" })
  amount!: number;

  @ApiProperty({ example: 'USD' })
  currency!: string;

  @ApiAmount(49.99, { description: 'what the provider refunds, in `charge_currency`' })
  charge_amount!: number;

  @ApiProperty({ example: 'USD' })
  charge_currency!: string;

  @ApiAmount(500, { description: 'credits taken back from the application' })
  credits!: number;

  @ApiProperty({ example: 'customer request' })
  reason!: string;

  @ApiProperty({ description: 'a platform admin let the credit debit take the balance below zero' })
  forced!: boolean;

  @ApiProperty({ example: 'stripe' })
  provider!: string;

  @ApiProperty({ type: String, nullable: true })
  provider_refund_id!: string | null;

  @ApiProperty({ type: String, nullable: true })
  failure_message!: string | null;

  @ApiDateTime()
  created_at!: string;

  @ApiDateTime()
  updated_at!: string;
}

export class RefundListResponse extends ListOf(RefundResponse) {}

export const toRefundResponse = (r: Refund): RefundResponse => ({
  id: r.id,
  order_id: r.orderId,
  status: r.status,
  amount: toJsonNumber(formatAmount(r.currency, new Money(r.amount))),
  currency: r.currency,
  charge_amount: toJsonNumber(formatAmount(r.chargeCurrency, new Money(r.chargeAmount))),
  charge_currency: r.chargeCurrency,
  credits: toJsonNumber(r.credits),
  reason: r.reason,
  forced: r.forced,
  provider: r.provider,
  provider_refund_id: r.providerRefundId,
  failure_message: r.failureMessage,
  created_at: isoMicros(r.createdAt),
  updated_at: isoMicros(r.updatedAt),
});
