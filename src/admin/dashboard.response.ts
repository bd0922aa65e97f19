import { ApiProperty } from '@nestjs/swagger';

/** Paid volume in one currency: exact decimal text at the currency's scale. */
export class DashboardVolume {
  @ApiProperty({ example: 'USD' })
  currency!: string;

  @ApiProperty({ example: '1249.75', description: "exact decimal text at the currency's scale" })
  amount!: string;
}

/** Figures over a set of orders (all orders created in the range, or one UTC day and provider). */
export class DashboardFigures {
  @ApiProperty({ example: 7, description: 'orders created' })
  orders!: number;

  @ApiProperty({
    example: 6,
    description: 'of those, orders that were paid (paid_at set: Paid, Finished, refunded)',
  })
  paid_orders!: number;

  @ApiProperty({
    type: String,
    nullable: true,
    example: '0.8571',
    description: 'paid_orders / orders as a decimal string with 4 places (half up); null without orders',
  })
  success_rate!: string | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 42.5,
    description:
      'median of paid_at - created_at over the paid orders, in seconds (ms precision); null without paid orders',
  })
  median_seconds_to_pay!: number | null;

  @ApiProperty({
    type: [DashboardVolume],
    description: "sum of the paid orders' prices, per currency (sorted by currency)",
  })
  paid_volume!: DashboardVolume[];
}

/** One UTC day (of the orders' creation) and one provider (the order's pay way). */
export class DashboardDay extends DashboardFigures {
  @ApiProperty({ example: '2026-01-31', description: 'UTC day the orders were created' })
  day!: string;

  @ApiProperty({ example: 'Stripe', description: "the order's pay way" })
  provider!: string;
}

/** Dashboard figures over orders created in [from, to] (UTC days, both included). */
export class DashboardResponse {
  @ApiProperty({ example: '2026-01-02' })
  from!: string;

  @ApiProperty({ example: '2026-01-31' })
  to!: string;

  @ApiProperty({ type: DashboardFigures })
  totals!: DashboardFigures;

  @ApiProperty({
    type: [DashboardDay],
    description:
      'one row per UTC day and provider with orders, by day then provider; days without orders are left out',
  })
  days!: DashboardDay[];
}
