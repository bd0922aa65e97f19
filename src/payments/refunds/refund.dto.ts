import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, MaxLength, MinLength, Validate } from 'class-validator';
import { IsDecimalLike } from '../../common/decimal-like.validator';

export class CreateRefundDto {
  /** In the order's currency, at its scale; omitted: everything not refunded yet. */
  @ApiPropertyOptional({ oneOf: [{ type: 'string', example: '10.00' }, { type: 'number' }] })
  @IsOptional()
  @Validate(IsDecimalLike)
  amount?: number | string;

  /** Why the money goes back (kept on the refund and sent to the provider where it takes one). */
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  reason!: string;

  /** Platform admins only: allow the credit debit to take the balance below zero. */
  @IsOptional()
  @IsBoolean()
  force?: boolean;
}
