import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A tenant's provider priority for routed (currency + chain) payments. */
@Entity({ name: 'routing_preferences' })
export class RoutingPreference {
  @PrimaryColumn('uuid', { name: 'tenant_id' })
  tenantId!: string;

  /** Provider ids, first choice first. */
  @Column({ type: 'jsonb' })
  priority!: string[];

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
