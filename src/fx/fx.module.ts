import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { FxRate } from './fx-rate.entity';
import { FxService } from './fx.service';

/** The FX table: conversions for payments, rates set by platform operators (admin API). */
@Module({
  imports: [TypeOrmModule.forFeature([FxRate]), AuditModule],
  providers: [FxService],
  exports: [FxService],
})
export class FxModule {}
