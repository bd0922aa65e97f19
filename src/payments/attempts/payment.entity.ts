import type { PaymentAction } from '../contract/payment-provider';
import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export type PaymentStatus = 'pending' | 'succeeded' | 'failed' | 'expired' | 'cancelled';

/** One attempt to collect an order's price at a provider. At most one succeeds per order. */
@Entity({ name: 'payments' })
@Index('uq_payments_one_success_per_order', ['orderId'], { unique: true, where: `"status" = 'succeeded'` })
@Index('ix_payments_order', ['tenantId', 'orderId'])
@Index('ix_payments_pending', ['createdAt'], { where: `"status" = 'pending'` })
@Index('ix_payments_provider_ref', ['provider', 'providerRef'])
@Index('ix_payments_flagged', ['orderId'], { where: `"flag_reason" IS NOT NULL` })
export class Payment {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId!: string;

  @Column('uuid', { name: 'order_id' })
  orderId!: string;

  @Column({ type: 'text' })
  provider!: string;

  @Column({ type: 'text' })
  method!: string;

  @Column({ type: 'text', default: 'pending' })
  status!: PaymentStatus;

  /** What this attempt charges, in `currency`. */
  @Column({ type: 'numeric', precision: 38, scale: 18 })
  amount!: string;

  @Column({ type: 'text' })
  currency!: string;

  /** 1 order currency = fx_rate `currency`, when this attempt charges another currency than the order's. */
  @Column({ name: 'fx_rate', type: 'numeric', precision: 38, scale: 18, nullable: true })
  fxRate!: string | null;

  /** When the reconciliation job may next ask the provider about this pending attempt (a lease). */
  @Column({ name: 'next_check_at', type: 'timestamptz', nullable: true })
  nextCheckAt!: Date | null;

  /** The provider's own id for the payment (session, trade no, ...). */
  @Column({ name: 'provider_ref', type: 'text', nullable: true })
  providerRef!: string | null;

  /** What the payer is shown: redirect URL, QR code, crypto address, ... */
  @Column({ type: 'jsonb', nullable: true })
  action!: PaymentAction | null;

  /** Routed payments: the token and chain, the provider chosen, and the providers that failed first. */
  @Column({ type: 'jsonb', nullable: true })
  route!: Record<string, unknown> | null;

  /** Set when a confirmation disagreed with this attempt (amount, currency); never credited. */
  @Column({ name: 'flag_reason', type: 'text', nullable: true })
  flagReason!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
