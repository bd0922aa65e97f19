import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'tenants' })
export class Tenant {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  /** Where the tenant's platform orders (those without their own notify_url) are notified; null: nowhere. */
  @Column({ name: 'webhook_url', type: 'text', nullable: true })
  webhookUrl!: string | null;

  /** How long the tenant's merchant-API orders stay payable; null: ORDER_TTL_SECONDS. */
  @Column({ name: 'order_ttl_seconds', type: 'integer', nullable: true })
  orderTtlSeconds!: number | null;

  /** Set while the tenant is suspended: its platform API, merchant API and new orders answer 403. */
  @Column({ name: 'suspended_at', type: 'timestamptz', nullable: true })
  suspendedAt!: Date | null;

  /** Why the operator suspended it (kept after unsuspension for the record; null if never given). */
  @Column({ name: 'suspension_reason', type: 'text', nullable: true })
  suspensionReason!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
