import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { PlatformAdminOnly } from '../auth/auth.decorators';
import { ApiErrorResponses } from '../common/api-docs';
import { AdminAuditPageResponse, AttentionListResponse } from './admin-audit.response';
import { AdminAuditService } from './admin-audit.service';
import { AdminAttentionQueryDto, AdminAuditQueryDto } from './dto/admin-audit.dto';

/** The audit log and the needs-attention queue, for platform operators: read-only. */
@ApiTags('Admin')
@ApiBearerAuth()
@ApiErrorResponses([400, 401, 403])
@PlatformAdminOnly()
@Controller('api/v1/admin')
export class AdminAuditController {
  constructor(private readonly audit: AdminAuditService) {}

  /**
   * Audit rows of every tenant and of the platform, newest first (ties broken by id), with filters and
   * cursor pages; before/after as the row stored them.
   */
  @Get('audit')
  @ApiOkResponse({ type: AdminAuditPageResponse })
  list(@Query() q: AdminAuditQueryDto): Promise<AdminAuditPageResponse> {
    const { limit, cursor, ...filters } = q;
    return this.audit.list(filters, limit ?? 50, cursor);
  }

  /**
   * What needs an operator, oldest first: flagged payments not resolved, x402 settles of unknown
   * outcome, refunds pending for more than an hour, notifications that keep failing; `tenant_id`
   * narrows it to one tenant.
   */
  @Get('attention')
  @ApiOkResponse({ type: AttentionListResponse })
  attention(@Query() q: AdminAttentionQueryDto): Promise<AttentionListResponse> {
    return this.audit.attention({ tenantId: q.tenant_id }, q.limit ?? 50);
  }
}
