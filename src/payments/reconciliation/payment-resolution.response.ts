import { ApiProperty } from '@nestjs/swagger';
import { OrderState } from '../../orders/order-state';

/** An operator's decision on a pending payment, as applied. */
export class PaymentResolutionResponse {
  @ApiProperty({ format: 'uuid' })
  payment_id!: string;

  @ApiProperty({ example: 'succeeded', description: "the payment's status after the decision" })
  status!: string;

  @ApiProperty({ format: 'uuid' })
  order_id!: string;

  @ApiProperty({ enum: OrderState, enumName: 'OrderState', example: OrderState.Paid })
  order_state!: string;

  @ApiProperty({
    enum: ['applied', 'ignored', 'flagged'],
    example: 'applied',
    description: 'what applying the decision did (flagged: recorded for review, e.g. an amount mismatch)',
  })
  result!: string;
}
