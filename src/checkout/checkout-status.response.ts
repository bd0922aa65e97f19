import { ApiProperty } from '@nestjs/swagger';
import { OrderState } from '../orders/order-state';

/** What the hosted checkout page polls: the order's state, and where to go when it is paid. */
export class CheckoutStatusResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: OrderState, enumName: 'OrderState' })
  state!: OrderState;

  @ApiProperty({ format: 'date-time', description: 'ISO-8601 with milliseconds' })
  expires_at!: string;

  @ApiProperty({ type: String, nullable: true })
  redirect_url!: string | null;
}
