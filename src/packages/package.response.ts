import { ApiProperty } from '@nestjs/swagger';
import { ApiAmount, ApiDateTime, ListOf } from '../common/api-docs';
import { formatAmount, Money, toJsonNumber } from '../common/money';
import { isoMicros } from '../common/time';
import type { Package } from './package.entity';

/** A package that lets the buyer choose the quantity: price = unit_price x amount, min <= amount <= max. */
export class CustomAmountResponse {
  @ApiAmount(0.1)
  unit_price!: number;

  @ApiAmount(10)
  min!: number;

  @ApiAmount(10000)
  max!: number;
}

export class PackageResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: '500 credits' })
  name!: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  application_id!: string | null;

  @ApiAmount(500, { description: 'credits' })
  amount!: number;

  @ApiAmount(49.99)
  price!: number;

  @ApiProperty({ example: 'USD' })
  currency!: string;

  @ApiAmount(0)
  discount!: number;

  @ApiProperty({ type: CustomAmountResponse, nullable: true })
  custom_amount!: CustomAmountResponse | null;

  @ApiProperty()
  active!: boolean;

  @ApiDateTime()
  created_at!: string;

  @ApiDateTime()
  updated_at!: string;
}

export class PackageListResponse extends ListOf(PackageResponse) {}

export const toPackageResponse = (p: Package): PackageResponse => ({
  id: p.id,
  name: p.name,
  application_id: p.applicationId,
  amount: toJsonNumber(p.amount),
  price: toJsonNumber(formatAmount(p.currency, new Money(p.price))),
  currency: p.currency,
  discount: toJsonNumber(p.discount),
  custom_amount: p.customUnitPrice
    ? {
        unit_price: toJsonNumber(p.customUnitPrice),
        min: toJsonNumber(p.customMin ?? '0'),
        max: toJsonNumber(p.customMax ?? '0'),
      }
    : null,
  active: p.active,
  created_at: isoMicros(p.createdAt),
  updated_at: isoMicros(p.updatedAt),
});
