import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { toLedgerEntryResponse } from '../applications/application.response';
import { CurrentPrincipal } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { ApiErrorResponses } from '../common/api-docs';
import { toJsonNumber } from '../common/money';
import { UuidParam } from '../common/uuid-param';
import { UsageDto } from './dto/usage.dto';
import { UsageResponse } from './usage.response';
import { UsageService } from './usage.service';

/**
 * An application's usage debits. Part of the applications API (its URL and tag), served from the
 * orders layer because a debit is drawn from the application's orders (see UsageService).
 */
@ApiTags('Applications')
@ApiBearerAuth()
@ApiErrorResponses([401])
@Controller('api/v1/applications')
export class UsageController {
  constructor(private readonly usageDebits: UsageService) {}

  /** Debit credits for usage, idempotently per `reference`. 201 on a new debit, 200 on a replay. */
  @Post(':id/usage')
  @HttpCode(201)
  // The operation id it had when the route lived in ApplicationsController: generated clients keep it.
  @ApiOperation({ operationId: 'ApplicationsController_usage' })
  @ApiCreatedResponse({ type: UsageResponse, description: 'a new debit' })
  @ApiOkResponse({ type: UsageResponse, description: 'a replay of the same reference and amount' })
  @ApiErrorResponses([400, 404, 409])
  async usage(
    @CurrentPrincipal() p: Principal,
    @UuidParam() id: string,
    @Body() dto: UsageDto,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<UsageResponse> {
    const r = await this.usageDebits.recordUsage(p.tenantId, id, dto.amount, dto.reference);
    if (r.replayed) res.status(200);
    return { ...toLedgerEntryResponse(r.entry), balance: toJsonNumber(r.balance), replayed: r.replayed };
  }
}
