import { Module } from '@nestjs/common';
import { ApplicationsModule } from '../applications/applications.module';
import { OrderTransitionsService } from './order-transitions.service';
import { OrdersController } from './orders.controller';
import { OrdersService } from './orders.service';

@Module({
  imports: [ApplicationsModule],
  controllers: [OrdersController],
  providers: [OrdersService, OrderTransitionsService],
  exports: [OrdersService],
})
export class OrdersModule {}
