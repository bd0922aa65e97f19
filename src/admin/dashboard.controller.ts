import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, PlatformAdminOnly } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { ApiErrorResponses } from '../common/api-docs';
import { DashboardResponse } from './dashboard.response';
import { DashboardService } from './dashboard.service';
import { AdminDashboardQueryDto, DashboardQueryDto } from './dto/dashboard.dto';

/** Dashboard figures across tenants (or of one), for platform operators. */
@ApiTags('Admin')
@ApiBearerAuth()
@ApiErrorResponses([400, 401, 403])
@PlatformAdminOnly()
@Controller('api/v1/admin/dashboard')
export class AdminDashboardController {
  constructor(private readonly dashboard: DashboardService) {}

  /**
   * Per UTC day and provider: orders created, paid orders, success rate, median seconds to pay and
   * paid volume per currency (exact decimal text), with totals. Default range: the last 30 UTC days;
   * at most 366 days (400 range_too_long).
   */
  @Get()
  @ApiOkResponse({ type: DashboardResponse })
  figures(@Query() q: AdminDashboardQueryDto): Promise<DashboardResponse> {
    return this.dashboard.figures({ from: q.from, to: q.to, tenantId: q.tenant_id });
  }
}

/** The same figures for the caller's own tenant: any role. */
@ApiTags('Dashboard')
@ApiBearerAuth()
@ApiErrorResponses([400, 401])
@Controller('api/v1/dashboard')
export class DashboardController {
  constructor(private readonly dashboard: DashboardService) {}

  /** As GET /api/v1/admin/dashboard, over the caller's tenant's orders only. */
  @Get()
  @ApiOkResponse({ type: DashboardResponse })
  figures(@CurrentPrincipal() p: Principal, @Query() q: DashboardQueryDto): Promise<DashboardResponse> {
    return this.dashboard.figures({ from: q.from, to: q.to, tenantId: p.tenantId });
  }
}
