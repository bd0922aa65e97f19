import { ApiProperty } from '@nestjs/swagger';
import { OrderState } from '../../orders/order-state';

export const RECONCILE_OUTCOMES = ['paid', 'failed', 'pending', 'unchanged'] as const;
export type ReconcileOutcome = (typeof RECONCILE_OUTCOMES)[number];

/** "Reconcile now": what the providers answered about the order's open payments, as applied. */
export class OrderReconcileResponse {
  @ApiProperty({ format: 'uuid' })
  order_id!: string;

  @ApiProperty({ enum: OrderState, enumName: 'OrderState', example: OrderState.Finished })
  state!: OrderState;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'succeeded',
    description: "the status of the order's latest payment attempt after the answer; null without one",
  })
  payment_status!: string | null;

  @ApiProperty({
    enum: RECONCILE_OUTCOMES,
    example: 'paid',
    description:
      'paid: a provider confirmed the payment; failed: it failed or expired there; pending: still open ' +
      'there; unchanged: no open payment to ask about, or the provider could not be asked',
  })
  outcome!: ReconcileOutcome;

  @ApiProperty({ example: 'payment 6f1c2a9e-... at sandbox: paid' })
  detail!: string;
}
