import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A signed-in browser of the /admin console (cookie `paymux_session`). Only the SHA-256 of the session
 * token is stored. Ended by logout, expiry, or revocation (the user disabled, their membership removed,
 * their password reset: ConsoleSessionsService.revokeForUser).
 */
@Entity({ name: 'console_sessions' })
@Index('uq_console_sessions_hash', ['tokenHash'], { unique: true })
@Index('ix_console_sessions_user', ['userId'])
export class ConsoleSession {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'user_id' })
  userId!: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId!: string;

  @Column({ name: 'token_hash', type: 'text' })
  tokenHash!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;
}
