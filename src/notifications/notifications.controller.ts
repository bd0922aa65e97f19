import { Controller, Get, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { ApiErrorResponses } from '../common/api-docs';
import { UuidParam } from '../common/uuid-param';
import {
  NotificationListResponse,
  NotificationResponse,
  toNotificationResponse,
} from './notification.response';
import { NotificationsService } from './notifications.service';

export class ListNotificationsQuery {
  @ApiProperty({ format: 'uuid', description: 'the order whose notifications to list' })
  @IsUUID()
  order_id!: string;
}

/** Deliveries of merchant notifications, with every attempt; resend one. */
@ApiTags('Notifications')
@ApiBearerAuth()
@ApiErrorResponses([400, 401])
@Controller('api/v1/notifications')
export class NotificationsController {
  constructor(private readonly notifications: NotificationsService) {}

  @Get()
  @ApiOkResponse({ type: NotificationListResponse })
  async list(
    @CurrentPrincipal() p: Principal,
    @Query() q: ListNotificationsQuery,
  ): Promise<NotificationListResponse> {
    return { data: (await this.notifications.list(p.tenantId, q.order_id)).map(toNotificationResponse) };
  }

  @Post(':id/resend')
  @Roles('owner', 'admin')
  @ApiCreatedResponse({ type: NotificationResponse, description: 'queued again' })
  @ApiErrorResponses([403, 404])
  async resend(@CurrentPrincipal() p: Principal, @UuidParam() id: string): Promise<NotificationResponse> {
    return toNotificationResponse(await this.notifications.resend(p, { tenantId: p.tenantId }, id));
  }
}
