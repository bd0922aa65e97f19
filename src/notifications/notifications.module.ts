import { Global, Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { TenantUrlClient } from '../common/tenant-url-client';
import { ORDER_STATE_LISTENER } from '../orders/order-state-listener';
import { JobQueue } from './job-queue.service';
import { NotificationsController } from './notifications.controller';
import { NotificationDeliveryStore } from './notification-delivery.store';
import { NotificationsService } from './notifications.service';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Notification } from './notification.entity';
import { NotificationAttempt } from './notification-attempt.entity';

/**
 * Signed notifications to merchants on a durable queue. Global, so the orders module's transitions
 * find the listener without importing this module (orders sit below notifications).
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([Notification, NotificationAttempt]), AuthModule],
  controllers: [NotificationsController],
  providers: [
    JobQueue,
    NotificationsService,
    NotificationDeliveryStore,
    // The one client for tenants' URLs (notifications here, x402 facilitators in payments).
    TenantUrlClient,
    { provide: ORDER_STATE_LISTENER, useExisting: NotificationsService },
  ],
  exports: [JobQueue, ORDER_STATE_LISTENER, TenantUrlClient, NotificationsService],
})
export class NotificationsModule {}
