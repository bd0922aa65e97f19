import { ApiProperty } from '@nestjs/swagger';
import { ApiDateTime, ListOf } from '../common/api-docs';
import { Money } from '../common/money';
import { isoMicros } from '../common/time';
import type { FxRate } from '../fx/fx-rate.entity';

/** 1 `base` = `rate` `quote`. */
export class FxRateResponse {
  @ApiProperty({ example: 'USD' })
  base!: string;

  @ApiProperty({ example: 'CNY' })
  quote!: string;

  @ApiProperty({ example: '7.1234', description: 'exact decimal string' })
  rate!: string;

  @ApiProperty({ format: 'uuid', description: 'the operator who set it' })
  updated_by!: string;

  @ApiDateTime()
  updated_at!: string;
}

export class FxRateListResponse extends ListOf(FxRateResponse) {}

export const toFxRateResponse = (r: FxRate): FxRateResponse => ({
  base: r.base,
  quote: r.quote,
  rate: new Money(r.rate).toFixed(),
  updated_by: r.updatedBy,
  updated_at: isoMicros(r.updatedAt),
});
