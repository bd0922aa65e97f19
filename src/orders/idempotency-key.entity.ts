import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** An `Idempotency-Key` seen on order creation, with a hash of the request it came with. */
@Entity({ name: 'idempotency_keys' })
export class IdempotencyKey {
  @PrimaryColumn('uuid', { name: 'tenant_id' })
  tenantId!: string;

  @PrimaryColumn({ type: 'text' })
  key!: string;

  @Column({ name: 'request_hash', type: 'text' })
  requestHash!: string;

  @Column('uuid', { name: 'order_id' })
  orderId!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
