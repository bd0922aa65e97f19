import { Module } from '@nestjs/common';
import { ApplicationsController } from './applications.controller';
import { ApplicationsService } from './applications.service';
import { LedgerService } from './ledger.service';

@Module({
  controllers: [ApplicationsController],
  providers: [ApplicationsService, LedgerService],
  exports: [ApplicationsService, LedgerService],
})
export class ApplicationsModule {}
