import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { OrderState } from '../../orders/order-state';

/**
 * What completing a Sandbox payment did. With `notify: false` only `pay_id`, `outcome` and
 * `delivered: false`; otherwise also the callback that was sent and what applying it did.
 */
export class SandboxCompletionResponse {
  @ApiProperty({ example: 'sbx_3kq9d0a1' })
  pay_id!: string;

  @ApiProperty({ enum: ['succeeded', 'failed'], example: 'succeeded' })
  outcome!: 'succeeded' | 'failed';

  @ApiProperty({ description: 'the signed callback was accepted' })
  delivered!: boolean;

  @ApiPropertyOptional({ example: 'sbxevt_7f3a9c2e1b4d' })
  event_id?: string;

  @ApiPropertyOptional({
    type: String,
    enum: ['applied', 'ignored', 'flagged', 'duplicate'],
    nullable: true,
    example: 'applied',
  })
  result?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'why the event was ignored or flagged' })
  note?: string | null;

  @ApiPropertyOptional({ enum: OrderState, enumName: 'OrderState', nullable: true, example: OrderState.Paid })
  order_state?: OrderState | null;
}
