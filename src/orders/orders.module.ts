import { Module } from '@nestjs/common';
import { ApplicationsModule } from '../applications/applications.module';
import { OrderCounters } from './order-counters';
import { OrderCredits } from './order-credits';
import { OrderTransitionsService } from './order-transitions.service';
import { OrdersController } from './orders.controller';
import { OrdersService } from './orders.service';
import { PendingOrderWriter } from './pending-order-writer';
import { UsageController } from './usage.controller';
import { UsageService } from './usage.service';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdempotencyKey } from './idempotency-key.entity';
import { Order } from './order.entity';
import { OrderTransition } from './order-transition.entity';

@Module({
  imports: [TypeOrmModule.forFeature([Order, OrderTransition, IdempotencyKey]), ApplicationsModule],
  controllers: [OrdersController, UsageController],
  providers: [
    OrdersService,
    PendingOrderWriter,
    OrderTransitionsService,
    OrderCounters,
    OrderCredits,
    UsageService,
  ],
  exports: [OrdersService, OrderCounters, OrderCredits],
})
export class OrdersModule {}
