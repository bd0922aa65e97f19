import { IsBoolean, IsIn, IsOptional, IsString, MaxLength, Validate } from 'class-validator';
import { IsDecimalLike } from '../../common/decimal-like.validator';

export class CompleteSandboxPaymentDto {
  @IsIn(['succeeded', 'failed'])
  outcome!: 'succeeded' | 'failed';

  /** Simulate a payer who paid another amount (the confirmation is then flagged, not credited). */
  @IsOptional()
  @Validate(IsDecimalLike)
  amount?: number | string;

  /** Simulate a confirmation in another currency. */
  @IsOptional()
  @IsString()
  @MaxLength(8)
  currency?: string;

  /** false simulates a lost callback: the sandbox records the charge but sends nothing. */
  @IsOptional()
  @IsBoolean()
  notify?: boolean;
}
