import { Body, Controller, Get, Patch } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { ApiErrorResponses } from '../common/api-docs';
import { UpdateTenantSettingsDto } from './dto/tenant-settings.dto';
import { TenantSettingsResponse, toTenantSettingsResponse } from './tenant-settings.response';
import { TenantsService } from './tenants.service';

@ApiTags('Tenant settings')
@ApiBearerAuth()
@ApiErrorResponses([401])
@Controller('api/v1/tenant/settings')
export class TenantSettingsController {
  constructor(private readonly tenants: TenantsService) {}

  @Get()
  @ApiOkResponse({ type: TenantSettingsResponse })
  async get(@CurrentPrincipal() p: Principal): Promise<TenantSettingsResponse> {
    return toTenantSettingsResponse(await this.tenants.settings(p.tenantId));
  }

  /** The platform orders' webhook endpoint and the merchant-API order lifetime. Owner or admin. */
  @Patch()
  @Roles('owner', 'admin')
  @ApiOkResponse({ type: TenantSettingsResponse })
  @ApiErrorResponses([400, 403])
  async update(
    @CurrentPrincipal() p: Principal,
    @Body() dto: UpdateTenantSettingsDto,
  ): Promise<TenantSettingsResponse> {
    return toTenantSettingsResponse(await this.tenants.updateSettings(p, p.tenantId, dto));
  }
}
