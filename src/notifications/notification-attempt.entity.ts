import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One delivery attempt of a notification: when, what came back, how long it took. */
@Entity({ name: 'notification_attempts' })
@Index('ix_notification_attempts_notification', ['notificationId', 'attemptedAt'])
export class NotificationAttempt {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'notification_id' })
  notificationId!: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId!: string;

  @Column({ type: 'integer' })
  attempt!: number;

  @Column({ name: 'attempted_at', type: 'timestamptz' })
  attemptedAt!: Date;

  /** The receiver's HTTP status; null when no answer came (refused, timeout, private address). */
  @Column({ name: 'status_code', type: 'integer', nullable: true })
  statusCode!: number | null;

  @Column({ name: 'latency_ms', type: 'integer' })
  latencyMs!: number;

  /** The first 512 characters of the answer. */
  @Column({ name: 'body_excerpt', type: 'text', nullable: true })
  bodyExcerpt!: string | null;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ type: 'boolean' })
  success!: boolean;
}
