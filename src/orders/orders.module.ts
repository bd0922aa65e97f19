import { Module } from '@nestjs/common';
import { ApplicationsModule } from '../applications/applications.module';
import { OrderCounters } from './order-counters';
import { OrderTransitionsService } from './order-transitions.service';
import { OrdersController } from './orders.controller';
import { OrdersService } from './orders.service';

@Module({
  imports: [ApplicationsModule],
  controllers: [OrdersController],
  providers: [OrdersService, OrderTransitionsService, OrderCounters],
  exports: [OrdersService, OrderCounters],
})
export class OrdersModule {}
