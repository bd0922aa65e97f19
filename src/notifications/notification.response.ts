import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ApiDateTime, ListOf } from '../common/api-docs';
import { isoMicros } from '../common/time';
import type { Notification, NotificationStatus } from './notification.entity';
import type { NotificationAttempt } from './notification-attempt.entity';

const NOTIFICATION_STATUSES: readonly NotificationStatus[] = ['pending', 'delivered', 'failed'];

/** One delivery attempt of a notification. */
export class NotificationAttemptResponse {
  @ApiProperty({ example: 1 })
  attempt!: number;

  @ApiDateTime()
  attempted_at!: string;

  @ApiProperty({ type: Number, nullable: true, example: 200, description: "the merchant's HTTP status" })
  status_code!: number | null;

  @ApiProperty({ example: 35 })
  latency_ms!: number;

  @ApiProperty({ type: String, nullable: true, description: "the start of the merchant's answer" })
  body_excerpt!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'why the attempt failed, when it did' })
  error!: string | null;

  @ApiProperty()
  success!: boolean;
}

/** A merchant notification: where it goes, whether it arrived, and (in lists) every attempt. */
export class NotificationResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  order_id!: string;

  @ApiProperty({ example: 'order.paid' })
  event!: string;

  @ApiProperty({ example: 'https://merchant.example/notify' })
  url!: string;

  @ApiProperty({ enum: NOTIFICATION_STATUSES, example: 'delivered' })
  status!: NotificationStatus;

  @ApiProperty({ example: 1, description: 'attempts so far' })
  attempts!: number;

  @ApiDateTime({ nullable: true })
  next_attempt_at!: string | null;

  @ApiDateTime()
  created_at!: string;

  @ApiDateTime({ nullable: true })
  delivered_at!: string | null;

  @ApiPropertyOptional({ type: [NotificationAttemptResponse], description: 'in lists only' })
  attempt_log?: NotificationAttemptResponse[];
}

export class NotificationListResponse extends ListOf(NotificationResponse) {}

const toAttempt = (a: NotificationAttempt): NotificationAttemptResponse => ({
  attempt: a.attempt,
  attempted_at: isoMicros(a.attemptedAt),
  status_code: a.statusCode,
  latency_ms: a.latencyMs,
  body_excerpt: a.bodyExcerpt,
  error: a.error,
  success: a.success,
});

export const toNotificationResponse = (
  n: Notification & { attemptsLog?: NotificationAttempt[] },
): NotificationResponse => ({
  id: n.id,
  order_id: n.orderId,
  event: n.event,
  url: n.url,
  status: n.status,
  attempts: n.attempts,
  next_attempt_at: isoMicros(n.nextAttemptAt),
  created_at: isoMicros(n.createdAt),
  delivered_at: isoMicros(n.deliveredAt),
  ...(n.attemptsLog ? { attempt_log: n.attemptsLog.map(toAttempt) } : {}),
});
