import { Validate } from 'class-validator';
import { IsDecimalLike } from '../../common/decimal-like.validator';

export class PutFxRateDto {
  /** 1 base = rate quote: a positive number or decimal string, up to 18 decimals. */
  @Validate(IsDecimalLike)
  rate!: number | string;
}
