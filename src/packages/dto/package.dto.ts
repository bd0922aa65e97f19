import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
  MinLength,
  Validate,
  ValidateNested,
} from 'class-validator';
import { IsDecimalLike } from '../../common/decimal-like.validator';
import { CURRENCIES } from '../../common/money';

export class CustomAmountDto {
  /** Price of one credit, in the package currency (may have more decimals than the currency). */
  @Validate(IsDecimalLike)
  unit_price!: number | string;

  /** Smallest number of credits an order may buy. */
  @Validate(IsDecimalLike)
  min!: number | string;

  /** Largest number of credits an order may buy. */
  @Validate(IsDecimalLike)
  max!: number | string;
}

export class CreatePackageDto {
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name!: string;

  /** Credits the package buys. */
  @Validate(IsDecimalLike)
  amount!: number | string;

  /** Price before discount, at the currency's scale (1.999 USD is refused). */
  @Validate(IsDecimalLike)
  price!: number | string;

  @IsIn(CURRENCIES)
  currency!: string;

  /** Multiplier in (0, 1]; 0.8 is 20% off. Default 1. */
  @IsOptional()
  @Validate(IsDecimalLike)
  discount?: number | string;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => CustomAmountDto)
  custom_amount?: CustomAmountDto;

  /** Restrict the package to one application. */
  @IsOptional()
  @IsUUID()
  application_id?: string;
}

export class UpdatePackageDto {
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name?: string;

  @IsOptional()
  @Validate(IsDecimalLike)
  amount?: number | string;

  @IsOptional()
  @Validate(IsDecimalLike)
  price?: number | string;

  @IsOptional()
  @Validate(IsDecimalLike)
  discount?: number | string;

  @IsOptional()
  @IsBoolean()
  active?: boolean;
}
