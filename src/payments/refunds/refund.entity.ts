import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export type RefundStatus = 'pending' | 'succeeded' | 'failed';

/**
 * Money given back for a paid order. `pending` until the provider settles it (a timeout stays
 * pending and reconciliation asks again); the ledger is debited once, when it succeeds.
 */
@Entity({ name: 'refunds' })
@Index('uq_refunds_idempotency_key', ['tenantId', 'idempotencyKey'], {
  unique: true,
  where: '"idempotency_key" IS NOT NULL',
})
@Index('uq_refunds_provider_refund', ['provider', 'providerRefundId'], {
  unique: true,
  where: '"provider_refund_id" IS NOT NULL',
})
@Index('ix_refunds_order', ['tenantId', 'orderId'])
@Index('ix_refunds_pending', ['updatedAt'], { where: `"status" = 'pending'` })
export class Refund {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId!: string;

  @Column('uuid', { name: 'order_id' })
  orderId!: string;

  @Column('uuid', { name: 'payment_id' })
  paymentId!: string;

  @Column({ type: 'text' })
  provider!: string;

  @Column({ type: 'text', default: 'pending' })
  status!: RefundStatus;

  /** In the order's currency. */
  @Column({ type: 'numeric', precision: 38, scale: 18 })
  amount!: string;

  @Column({ type: 'text' })
  currency!: string;

  /** What the provider gives back, in the payment's currency (differs after an FX conversion). */
  @Column({ name: 'charge_amount', type: 'numeric', precision: 38, scale: 18 })
  chargeAmount!: string;

  @Column({ name: 'charge_currency', type: 'text' })
  chargeCurrency!: string;

  /** Credits taken back from the application when the refund succeeds. */
  @Column({ type: 'numeric', precision: 38, scale: 6 })
  credits!: string;

  @Column({ type: 'text' })
  reason!: string;

  /** A platform admin allowed the debit to take the balance below zero. */
  @Column({ type: 'boolean', default: false })
  forced!: boolean;

  @Column({ name: 'idempotency_key', type: 'text', nullable: true })
  idempotencyKey!: string | null;

  @Column({ name: 'request_hash', type: 'text', nullable: true })
  requestHash!: string | null;

  @Column({ name: 'provider_refund_id', type: 'text', nullable: true })
  providerRefundId!: string | null;

  @Column({ name: 'failure_message', type: 'text', nullable: true })
  failureMessage!: string | null;

  @Column('uuid', { name: 'created_by', nullable: true })
  createdBy!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
