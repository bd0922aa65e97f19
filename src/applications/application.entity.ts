import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity({ name: 'applications' })
@Index('ix_applications_tenant', ['tenantId', 'createdAt'])
export class Application {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId!: string;

  @Column({ type: 'text' })
  name!: string;

  /** Credits; exact decimal text. Changed only together with a ledger entry. */
  @Column({ type: 'numeric', precision: 38, scale: 6, default: 0 })
  balance!: string;

  /**
   * Credits of the application's refunds still pending at the provider: held from the refund's
   * reservation until it settles (released, and debited on success) or fails (released). Exact
   * decimal text; written only by LedgerService, under the balance row lock.
   */
  @Column({ name: 'held_credits', type: 'numeric', precision: 38, scale: 6, default: 0 })
  heldCredits!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
