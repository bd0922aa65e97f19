import { Module } from '@nestjs/common';
import { ApplicationsController } from './applications.controller';
import { ApplicationsService } from './applications.service';
import { LedgerService } from './ledger.service';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Application } from './application.entity';
import { LedgerEntry } from './ledger-entry.entity';

@Module({
  imports: [TypeOrmModule.forFeature([Application, LedgerEntry])],
  controllers: [ApplicationsController],
  providers: [ApplicationsService, LedgerService],
  exports: [ApplicationsService, LedgerService],
})
export class ApplicationsModule {}
