import { Global, Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ORDER_STATE_LISTENER } from '../orders/order-state-listener';
import { JobQueue } from './job-queue.service';
import { NotificationsController } from './notifications.controller';
import { NotificationsService } from './notifications.service';

/**
 * Signed notifications to merchants on a durable queue. Global, so the orders module's transitions
 * find the listener without importing this module (orders sit below notifications).
 */
@Global()
@Module({
  imports: [AuthModule],
  controllers: [NotificationsController],
  providers: [
    JobQueue,
    NotificationsService,
    { provide: ORDER_STATE_LISTENER, useExisting: NotificationsService },
  ],
  exports: [JobQueue, ORDER_STATE_LISTENER],
})
export class NotificationsModule {}
