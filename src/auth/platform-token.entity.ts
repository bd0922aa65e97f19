import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** A long-lived Bearer token. Only its SHA-256 is stored; the token itself is shown once. */
@Entity({ name: 'platform_tokens' })
@Index('uq_platform_tokens_hash', ['tokenHash'], { unique: true })
@Index('ix_platform_tokens_tenant', ['tenantId'])
export class PlatformToken {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId!: string;

  @Column('uuid', { name: 'user_id' })
  userId!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'token_hash', type: 'text' })
  tokenHash!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;
}
