import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * The Sandbox's own "provider side" record: what the payer did on the sandbox checkout. It lets
 * queryPayment answer like a real provider would, even when the callback was never delivered.
 */
@Entity({ name: 'sandbox_charges' })
export class SandboxCharge {
  @PrimaryColumn({ name: 'pay_id', type: 'text' })
  payId!: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId!: string;

  @Column({ type: 'text' })
  outcome!: 'succeeded' | 'failed';

  @Column({ type: 'numeric', precision: 38, scale: 18 })
  amount!: string;

  @Column({ type: 'text' })
  currency!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
