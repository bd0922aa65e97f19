import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

export type LedgerKind = 'credit' | 'usage' | 'refund';

/**
 * One movement of an application's credits. One credit per order, so an order is credited once
 * whatever races; `(application_id, reference)` is unique for usage debits and `reference` (the
 * refund id) for refund debits.
 */
@Entity({ name: 'ledger_entries' })
@Index('uq_ledger_order_credit', ['orderId'], { unique: true, where: `"kind" = 'credit'` })
@Index('uq_ledger_refund_reference', ['reference'], { unique: true, where: `"kind" = 'refund'` })
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
