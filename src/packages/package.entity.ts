import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A price package: `amount` credits for `price` in `currency`, optionally discounted or custom-sized. */
@Entity({ name: 'packages' })
@Index('ix_packages_tenant', ['tenantId', 'createdAt'])
export class Package {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId!: string;

  /** When set, the package may only recharge this application. */
  @Column('uuid', { name: 'application_id', nullable: true })
  applicationId!: string | null;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'numeric', precision: 38, scale: 6 })
  amount!: string;

  @Column({ type: 'numeric', precision: 38, scale: 18 })
  price!: string;

  @Column({ type: 'text' })
  currency!: string;

  /** Multiplier in (0, 1]; 1 means no discount. */
  @Column({ type: 'numeric', precision: 7, scale: 6, default: 1 })
  discount!: string;

  @Column({ name: 'custom_unit_price', type: 'numeric', precision: 38, scale: 18, nullable: true })
  customUnitPrice!: string | null;

  @Column({ name: 'custom_min', type: 'numeric', precision: 38, scale: 6, nullable: true })
  customMin!: string | null;

  @Column({ name: 'custom_max', type: 'numeric', precision: 38, scale: 6, nullable: true })
  customMax!: string | null;

  @Column({ type: 'boolean', default: true })
  active!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
