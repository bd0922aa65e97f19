import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * A tenant's account at a payment provider. The credentials are one JSON document sealed with
 * AES-256-GCM under the master key named by `key_id`; only a masked view is ever returned.
 */
@Entity({ name: 'provider_accounts' })
@Index('uq_provider_accounts_tenant_provider', ['tenantId', 'provider'], { unique: true })
export class ProviderAccount {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId!: string;

  @Column({ type: 'text' })
  provider!: string;

  @Column({ type: 'boolean', default: true })
  enabled!: boolean;

  @Column({ type: 'text', default: 'test' })
  mode!: 'live' | 'test';

  @Column({ name: 'key_id', type: 'text' })
  keyId!: string;

  @Column({ name: 'credentials_sealed', type: 'text' })
  credentialsSealed!: string;

  /** What may be shown: non-secret fields as they are, secret fields masked. */
  @Column({ name: 'credentials_masked', type: 'jsonb' })
  credentialsMasked!: Record<string, string | string[]>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
