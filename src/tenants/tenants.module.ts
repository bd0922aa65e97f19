import { Module } from '@nestjs/common';
import { ProviderAccountsController } from './provider-accounts.controller';
import { ProviderAccountsService } from './provider-accounts.service';
import { TenantsService } from './tenants.service';

@Module({
  controllers: [ProviderAccountsController],
  providers: [TenantsService, ProviderAccountsService],
  exports: [TenantsService, ProviderAccountsService],
})
export class TenantsModule {}
