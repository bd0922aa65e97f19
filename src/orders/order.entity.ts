import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { OPEN_FOR_PAYMENT_STATES, OrderState } from './order-state';

/**
 * The expiry index's predicate, from the states open for payment: `"state" = 'Pending'` while that is
 * the only one (the SQL the migrations created, so there is no drift).
 */
const OPEN_FOR_PAYMENT_PREDICATE =
  OPEN_FOR_PAYMENT_STATES.length === 1
    ? `"state" = '${OPEN_FOR_PAYMENT_STATES[0]}'`
    : `"state" IN (${OPEN_FOR_PAYMENT_STATES.map((s) => `'${s}'`).join(', ')})`;

@Entity({ name: 'orders' })
@Index('uq_orders_merchant_order_no', ['tenantId', 'merchantOrderNo'], {
  unique: true,
  where: '"merchant_order_no" IS NOT NULL',
})
@Index('ix_orders_tenant_created', ['tenantId', 'createdAt', 'id'])
// The platform operator's cross-tenant list (newest first) and look-ups by pay_id and order_no.
@Index('ix_orders_created', ['createdAt', 'id'])
@Index('ix_orders_pay_id', ['payId'], { where: '"pay_id" IS NOT NULL' })
@Index('ix_orders_merchant_order_no_any_tenant', ['merchantOrderNo'], {
  where: '"merchant_order_no" IS NOT NULL',
})
@Index('ix_orders_pending_expiry', ['expiresAt'], { where: OPEN_FOR_PAYMENT_PREDICATE })
@Index('ix_orders_application_remaining', ['applicationId', 'createdAt'], {
  where: `"remaining_amount" > 0`,
})
export class Order {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId!: string;

  @Column('uuid', { name: 'user_id', nullable: true })
  userId!: string | null;

  @Column('uuid', { name: 'application_id', nullable: true })
  applicationId!: string | null;

  @Column('uuid', { name: 'package_id', nullable: true })
  packageId!: string | null;

  /** Credits bought. */
  @Column({ type: 'numeric', precision: 38, scale: 6 })
  amount!: string;

  /** What the payer is charged, in `currency`, at the currency's scale. */
  @Column({ type: 'numeric', precision: 38, scale: 18 })
  price!: string;

  @Column({ type: 'text' })
  currency!: string;

  @Column({ type: 'numeric', precision: 7, scale: 6, default: 1 })
  discount!: string;

  /** Canonical provider name as the platform API spells it: Stripe, WechatPay, AliPay, X402, Sandbox, ... */
  @Column({ name: 'pay_way', type: 'text' })
  payWay!: string;

  @Column({ name: 'pay_id', type: 'text', nullable: true })
  payId!: string | null;

  @Column({ name: 'pay_url', type: 'text', nullable: true })
  payUrl!: string | null;

  /** Merchant API orders: the merchant's own order number, unique per tenant. */
  @Column({ name: 'merchant_order_no', type: 'text', nullable: true })
  merchantOrderNo!: string | null;

  /** Merchant API orders: where signed notifications of every state change go. */
  @Column({ name: 'notify_url', type: 'text', nullable: true })
  notifyUrl!: string | null;

  @Column({ name: 'product_name', type: 'text', nullable: true })
  productName!: string | null;

  /** Merchant API `meta`, kept as given and sent back in notifications. */
  @Column({ type: 'text', nullable: true })
  meta!: string | null;

  /** Crypto: the token and chain the order is paid with (`USDT` on `TRON`), when it asked for one. */
  @Column({ name: 'pay_currency', type: 'text', nullable: true })
  payCurrency!: string | null;

  @Column({ type: 'text', nullable: true })
  chain!: string | null;

  /** What the current payment attempt charges when the provider charges another currency (FX). */
  @Column({ name: 'charge_amount', type: 'numeric', precision: 38, scale: 18, nullable: true })
  chargeAmount!: string | null;

  @Column({ name: 'charge_currency', type: 'text', nullable: true })
  chargeCurrency!: string | null;

  /** 1 `currency` = fx_rate `charge_currency`, from the FX table when the attempt was opened. */
  @Column({ name: 'fx_rate', type: 'numeric', precision: 38, scale: 18, nullable: true })
  fxRate!: string | null;

  @Column({ type: 'text', default: OrderState.Pending })
  state!: OrderState;

  /** Credits of this order not yet consumed by usage (drawn oldest order first). */
  @Column({ name: 'remaining_amount', type: 'numeric', precision: 38, scale: 6, default: 0 })
  remainingAmount!: string;

  @Column({ type: 'jsonb', nullable: true })
  tags!: string[] | null;

  @Column({ type: 'jsonb', nullable: true })
  metadata!: Record<string, string> | null;

  @Column({ name: 'redirect_url', type: 'text', nullable: true })
  redirectUrl!: string | null;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'paid_at', type: 'timestamptz', nullable: true })
  paidAt!: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
