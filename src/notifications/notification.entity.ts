import { Column, CreateDateColumn, Entity, Generated, Index, PrimaryColumn } from 'typeorm';

export type NotificationStatus = 'pending' | 'delivered' | 'failed';

/**
 * One signed notification of an order's state change to the merchant's notify_url, written in the
 * same transaction as the change (the outbox) and delivered by the durable job queue.
 */
@Entity({ name: 'notifications' })
@Index('ix_notifications_order', ['tenantId', 'orderId', 'seq'])
export class Notification {
  @PrimaryColumn('uuid')
  id!: string;

  /** Delivery order within an order: an earlier notification is delivered (or given up) first. */
  @Column({ type: 'bigint' })
  @Generated('increment')
  seq!: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId!: string;

  @Column('uuid', { name: 'order_id' })
  orderId!: string;

  /** The order state this notification announces. */
  @Column({ type: 'text' })
  event!: string;

  @Column({ type: 'text' })
  url!: string;

  /** The exact JSON body sent (the order as the merchant API shows it, at the time of the change). */
  @Column({ type: 'text' })
  body!: string;

  @Column({ type: 'text', default: 'pending' })
  status!: NotificationStatus;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true })
  nextAttemptAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt!: Date | null;
}
