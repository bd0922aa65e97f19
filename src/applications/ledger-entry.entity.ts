import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

export type LedgerKind = 'credit' | 'usage' | 'refund';

/**
 * One movement of an application's credits. `(order_id, kind)` is unique, so an order is
 * credited once whatever races; `(application_id, reference)` is unique for usage debits.
 */
@Entity({ name: 'ledger_entries' })
@Index('uq_ledger_order_kind', ['orderId', 'kind'], { unique: true, where: '"order_id" IS NOT NULL' })
@Index('uq_ledger_usage_reference', ['applicationId', 'reference'], {
  unique: true,
  where: `"kind" = 'usage'`,
})
@Index('ix_ledger_application', ['tenantId', 'applicationId', 'createdAt'])
export class LedgerEntry {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId!: string;

  @Column('uuid', { name: 'application_id' })
  applicationId!: string;

  @Column('uuid', { name: 'order_id', nullable: true })
  orderId!: string | null;

  @Column({ type: 'text' })
  kind!: LedgerKind;

  @Column({ type: 'text', nullable: true })
  reference!: string | null;

  /** Signed: positive credits, negative debits. */
  @Column({ type: 'numeric', precision: 38, scale: 6 })
  amount!: string;

  @Column({ name: 'balance_after', type: 'numeric', precision: 38, scale: 6 })
  balanceAfter!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
