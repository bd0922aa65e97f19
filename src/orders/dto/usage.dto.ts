import { IsString, MaxLength, MinLength, Validate } from 'class-validator';
import { IsDecimalLike } from '../../common/decimal-like.validator';

export class UsageDto {
  /** Credits to debit: a positive number or decimal string, at most 6 decimals. */
  @Validate(IsDecimalLike)
  amount!: number | string;

  /** Your reference for this usage; the same reference debits once. */
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  reference!: string;
}
