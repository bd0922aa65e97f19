import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import type { TenantRole } from './membership.entity';

/**
 * An invitation to join a tenant with a role. The token in the link is never stored: only its SHA-256
 * (a lookup by hash). Single use (accepted_at), revocable (revoked_at), valid until expires_at.
 */
@Entity({ name: 'invitations' })
@Index('uq_invitations_token_hash', ['tokenHash'], { unique: true })
@Index('ix_invitations_tenant', ['tenantId', 'createdAt'])
export class Invitation {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId!: string;

  /** Stored lower-cased. */
  @Column({ type: 'text' })
  email!: string;

  @Column({ type: 'text' })
  role!: TenantRole;

  @Column({ name: 'token_hash', type: 'text' })
  tokenHash!: string;

  @Column('uuid', { name: 'invited_by' })
  invitedBy!: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'accepted_at', type: 'timestamptz', nullable: true })
  acceptedAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
