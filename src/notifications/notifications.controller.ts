import { Controller, Get, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { isoMicros } from '../common/time';
import { UuidParam } from '../common/uuid-param';
import type { Notification } from './notification.entity';
import type { NotificationAttempt } from './notification-attempt.entity';
import { NotificationsService } from './notifications.service';

export class ListNotificationsQuery {
  @IsUUID()
  order_id!: string;
}

const toAttempt = (a: NotificationAttempt): Record<string, unknown> => ({
  attempt: a.attempt,
  attempted_at: isoMicros(a.attemptedAt),
  status_code: a.statusCode,
  latency_ms: a.latencyMs,
  body_excerpt: a.bodyExcerpt,
  error: a.error,
  success: a.success,
});

const toNotification = (
  n: Notification & { attemptsLog?: NotificationAttempt[] },
): Record<string, unknown> => ({
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

/** Deliveries of merchant notifications, with every attempt; resend one. */
@ApiTags('notifications')
@ApiBearerAuth()
@Controller('api/v1/notifications')
export class NotificationsController {
  constructor(private readonly notifications: NotificationsService) {}

  @Get()
  async list(
    @CurrentPrincipal() p: Principal,
    @Query() q: ListNotificationsQuery,
  ): Promise<Record<string, unknown>> {
    return { data: (await this.notifications.list(p.tenantId, q.order_id)).map(toNotification) };
  }

  @Post(':id/resend')
  @Roles('owner', 'admin')
  async resend(@CurrentPrincipal() p: Principal, @UuidParam() id: string): Promise<Record<string, unknown>> {
    return toNotification(await this.notifications.resend(p.tenantId, id));
  }
}
