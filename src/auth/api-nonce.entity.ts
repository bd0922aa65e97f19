import { CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** A nonce seen with an API key inside the timestamp window; pruned once the window has passed. */
@Entity({ name: 'api_nonces' })
@Index('ix_api_nonces_created', ['createdAt'])
export class ApiNonce {
  @PrimaryColumn('uuid', { name: 'api_key_id' })
  apiKeyId!: string;

  @PrimaryColumn({ type: 'text' })
  nonce!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
