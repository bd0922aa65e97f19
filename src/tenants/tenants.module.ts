import { Module } from '@nestjs/common';
import { ProviderAccountsController } from './provider-accounts.controller';
import { ProviderAccountsService } from './provider-accounts.service';
import { ProviderCredentials } from './provider-credentials';
import { TenantSettingsController } from './tenant-settings.controller';
import { TenantsService } from './tenants.service';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Membership } from './membership.entity';
import { ProviderAccount } from './provider-account.entity';
import { Tenant } from './tenant.entity';

@Module({
  imports: [TypeOrmModule.forFeature([Tenant, Membership, ProviderAccount])],
  controllers: [ProviderAccountsController, TenantSettingsController],
  providers: [TenantsService, ProviderAccountsService, ProviderCredentials],
  exports: [TenantsService, ProviderAccountsService],
})
export class TenantsModule {}
