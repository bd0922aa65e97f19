import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { OrdersModule } from '../orders/orders.module';
import { HealthController } from './health.controller';
import { MetricsService } from './metrics.service';

@Module({
  imports: [TerminusModule, OrdersModule],
  controllers: [HealthController],
  providers: [MetricsService],
})
export class HealthModule {}
