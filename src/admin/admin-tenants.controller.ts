import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, PlatformAdminOnly } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { ApiErrorResponses } from '../common/api-docs';
import { UuidParam } from '../common/uuid-param';
import {
  AdminTenantDetailResponse,
  AdminTenantPageResponse,
  AdminTenantResponse,
} from './admin-tenant.response';
import { AdminTenantsService } from './admin-tenants.service';
import { ListTenantsQueryDto, SuspendTenantDto, UnsuspendTenantDto } from './dto/admin-tenants.dto';

/** Platform operators' view of every tenant, and suspension; each suspension change is audited. */
@ApiTags('Admin')
@ApiBearerAuth()
@ApiErrorResponses([400, 401, 403])
@PlatformAdminOnly()
@Controller('api/v1/admin/tenants')
export class AdminTenantsController {
  constructor(private readonly tenants: AdminTenantsService) {}

  /** Newest first; `q` searches the name, the id and the owners' emails. */
  @Get()
  @ApiOkResponse({ type: AdminTenantPageResponse })
  list(@Query() q: ListTenantsQueryDto): Promise<AdminTenantPageResponse> {
    return this.tenants.list({ q: q.q, limit: q.limit ?? 50, cursor: q.cursor });
  }

  /** Members, providers configured (never a credential), application balances, order volume. */
  @Get(':id')
  @ApiOkResponse({ type: AdminTenantDetailResponse })
  @ApiErrorResponses([404])
  detail(@UuidParam() id: string): Promise<AdminTenantDetailResponse> {
    return this.tenants.detail(id);
  }

  /**
   * Its platform API, merchant API and new orders answer 403 `tenant_suspended` (at once in this
   * process, within AUTH_RECHECK_SECONDS elsewhere); callbacks for its payments are still applied.
   */
  @Post(':id/suspend')
  @HttpCode(200)
  @ApiOkResponse({ type: AdminTenantResponse })
  @ApiErrorResponses([404])
  suspend(
    @CurrentPrincipal() p: Principal,
    @UuidParam() id: string,
    @Body() dto: SuspendTenantDto,
  ): Promise<AdminTenantResponse> {
    return this.tenants.setSuspended(p, id, true, dto.reason.trim());
  }

  @Post(':id/unsuspend')
  @HttpCode(200)
  @ApiOkResponse({ type: AdminTenantResponse })
  @ApiErrorResponses([404])
  unsuspend(
    @CurrentPrincipal() p: Principal,
    @UuidParam() id: string,
    @Body() dto: UnsuspendTenantDto,
  ): Promise<AdminTenantResponse> {
    return this.tenants.setSuspended(p, id, false, dto.reason?.trim() || undefined);
  }
}
