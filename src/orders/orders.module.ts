import { Module } from '@nestjs/common';
import { ApplicationsModule } from '../applications/applications.module';
import { OrderCounters } from './order-counters';
import { OrderTransitionsService } from './order-transitions.service';
import { OrdersController } from './orders.controller';
import { OrdersService } from './orders.service';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdempotencyKey } from './idempotency-key.entity';
import { Order } from './order.entity';
import { OrderTransition } from './order-transition.entity';

@Module({
  imports: [TypeOrmModule.forFeature([Order, OrderTransition, IdempotencyKey]), ApplicationsModule],
  controllers: [OrdersController],
  providers: [OrdersService, OrderTransitionsService, OrderCounters],
  exports: [OrdersService, OrderCounters],
})
export class OrdersModule {}
