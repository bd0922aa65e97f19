import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One admin-managed exchange rate: 1 `base` = `rate` `quote`. Platform-wide, not per tenant. */
@Entity({ name: 'fx_rates' })
export class FxRate {
  @PrimaryColumn({ type: 'text' })
  base!: string;

  @PrimaryColumn({ type: 'text' })
  quote!: string;

  @Column({ type: 'numeric', precision: 38, scale: 18 })
  rate!: string;

  @Column('uuid', { name: 'updated_by' })
  updatedBy!: string;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
