import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A merchant API key (docs/api-contract.md, Merchant API). The secret is needed to check HMAC
 * signatures, so it is sealed with AES-256-GCM under the master key (not hashed) and shown once, at
 * creation.
 */
@Entity({ name: 'api_keys' })
@Index('uq_api_keys_key_id', ['keyId'], { unique: true })
@Index('ix_api_keys_tenant', ['tenantId'])
export class ApiKey {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId!: string;

  /** The public identifier sent as `X-API-Key`. */
  @Column({ name: 'key_id', type: 'text' })
  keyId!: string;

  @Column({ type: 'text' })
  name!: string;

  /** Which master key sealed the secret. */
  @Column({ name: 'master_key_id', type: 'text' })
  masterKeyId!: string;

  @Column({ name: 'secret_sealed', type: 'text' })
  secretSealed!: string;

  @Column('uuid', { name: 'created_by', nullable: true })
  createdBy!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** Set when the key was rotated: it keeps working until then (the overlap window). */
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;
}
