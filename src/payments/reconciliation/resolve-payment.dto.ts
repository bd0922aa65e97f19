import { IsIn, IsString, MaxLength, MinLength } from 'class-validator';

/** POST /api/v1/admin/payments/:id/resolve: an operator's decision on a payment no provider can settle. */
export class ResolvePaymentDto {
  /** `succeeded` credits the order (the money arrived, checked on chain or at the provider); `failed` releases it. */
  @IsIn(['succeeded', 'failed'])
  outcome!: 'succeeded' | 'failed';

  /** What the operator checked (a transaction hash, a provider ticket); kept in the audit log. */
  @IsString()
  @MinLength(3)
  @MaxLength(500)
  reason!: string;
}
