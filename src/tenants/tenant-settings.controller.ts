import { Body, Controller, Get, Patch } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { UpdateTenantSettingsDto } from './dto/tenant-settings.dto';
import { TenantSettings, TenantsService } from './tenants.service';

const toResponse = (s: TenantSettings): Record<string, unknown> => ({
  webhook_url: s.webhookUrl,
  order_ttl_seconds: s.orderTtlSeconds,
});

@ApiTags('tenant')
@ApiBearerAuth()
@Controller('api/v1/tenant/settings')
export class TenantSettingsController {
  constructor(private readonly tenants: TenantsService) {}

  @Get()
  async get(@CurrentPrincipal() p: Principal): Promise<Record<string, unknown>> {
    return toResponse(await this.tenants.settings(p.tenantId));
  }

  /** The platform orders' webhook endpoint and the merchant-API order lifetime. Owner or admin. */
  @Patch()
  @Roles('owner', 'admin')
  async update(
    @CurrentPrincipal() p: Principal,
    @Body() dto: UpdateTenantSettingsDto,
  ): Promise<Record<string, unknown>> {
    return toResponse(await this.tenants.updateSettings(p.tenantId, dto));
  }
}
