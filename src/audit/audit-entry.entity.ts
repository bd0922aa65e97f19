import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Who changed what on the platform, and from what to what. */
@Entity({ name: 'audit_log' })
@Index('ix_audit_log_target', ['target', 'id'])
export class AuditEntry {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id!: string;

  @Column('uuid', { name: 'tenant_id', nullable: true })
  tenantId!: string | null;

  @Column('uuid', { name: 'actor_id' })
  actorId!: string;

  @Column({ type: 'text' })
  action!: string;

  @Column({ type: 'text' })
  target!: string;

  @Column({ type: 'jsonb' })
  data!: object;

  /** The X-Request-Id of the request that made the change; null from the CLI. */
  @Column({ name: 'request_id', type: 'text', nullable: true })
  requestId!: string | null;

  /** The client address of that request; null from the CLI. */
  @Column({ type: 'text', nullable: true })
  ip!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
