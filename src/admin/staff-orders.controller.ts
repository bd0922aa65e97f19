import { Controller, Get, Query, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { ApiErrorResponses } from '../common/api-docs';
import { UuidParam } from '../common/uuid-param';
import { AttentionListResponse } from './admin-audit.response';
import { AdminAuditService } from './admin-audit.service';
import { ordersCsv } from './admin-orders.controller';
import { AdminOrderTimelineResponse } from './admin-orders.response';
import { AdminOrdersService } from './admin-orders.service';
import { AttentionQueryDto } from './dto/admin-audit.dto';
import { StaffOrdersExportQueryDto } from './dto/admin-orders.dto';

/**
 * The operator's order views for a merchant's staff (any role may read), scoped to the caller's own
 * tenant: the same services and response shapes as /api/v1/admin/orders and /api/v1/admin/attention.
 * The list itself is GET /api/v1/orders (its filters are the same; its rows keep the platform API's
 * order shape).
 */
@ApiTags('Orders')
@ApiBearerAuth()
@ApiErrorResponses([400, 401])
@Controller('api/v1')
export class StaffOrdersController {
  constructor(
    private readonly orders: AdminOrdersService,
    private readonly audit: AdminAuditService,
  ) {}

  /** The tenant's orders matching the list's filters as CSV (same columns as the operator's export). */
  @Get('orders/export.csv')
  @ApiProduces('text/csv')
  @ApiOkResponse({ description: 'CSV with a header row', schema: { type: 'string' } })
  export(@CurrentPrincipal() p: Principal, @Query() q: StaffOrdersExportQueryDto): StreamableFile {
    return ordersCsv(this.orders, { tenantId: p.tenantId }, q);
  }

  /** Everything about one of the tenant's orders in one call (another tenant's order: 404). */
  @Get('orders/:id/timeline')
  @ApiOkResponse({ type: AdminOrderTimelineResponse })
  @ApiErrorResponses([404])
  timeline(@CurrentPrincipal() p: Principal, @UuidParam() id: string): Promise<AdminOrderTimelineResponse> {
    return this.orders.timeline({ tenantId: p.tenantId }, id);
  }

  /** What needs attention in the tenant, oldest first (same items as the operator's queue). */
  @Get('attention')
  @ApiOkResponse({ type: AttentionListResponse })
  attention(@CurrentPrincipal() p: Principal, @Query() q: AttentionQueryDto): Promise<AttentionListResponse> {
    return this.audit.attention(
      { tenantId: p.tenantId },
      q.limit ?? 50,
      (orderId) => `/api/v1/orders/${orderId}/timeline`,
    );
  }
}
