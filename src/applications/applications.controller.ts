import { Body, Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { ApiErrorResponses } from '../common/api-docs';
import { toJsonNumber } from '../common/money';
import { ListQueryDto } from '../common/list-query.dto';
import { UuidParam } from '../common/uuid-param';
import {
  ApplicationListResponse,
  ApplicationResponse,
  LedgerPageResponse,
  toApplicationResponse,
  toLedgerEntryResponse,
  UsageResponse,
} from './application.response';
import { ApplicationsService } from './applications.service';
import { CreateApplicationDto, UsageDto } from './dto/application.dto';

@ApiTags('Applications')
@ApiBearerAuth()
@ApiErrorResponses([401])
@Controller('api/v1/applications')
export class ApplicationsController {
  constructor(private readonly apps: ApplicationsService) {}

  @Post()
  @ApiCreatedResponse({ type: ApplicationResponse })
  @ApiErrorResponses([400])
  async create(
    @CurrentPrincipal() p: Principal,
    @Body() dto: CreateApplicationDto,
  ): Promise<ApplicationResponse> {
    return toApplicationResponse(await this.apps.create(p.tenantId, dto.name));
  }

  @Get()
  @ApiOkResponse({ type: ApplicationListResponse })
  async list(@CurrentPrincipal() p: Principal): Promise<ApplicationListResponse> {
    return { data: (await this.apps.list(p.tenantId)).map(toApplicationResponse) };
  }

  @Get(':id')
  @ApiOkResponse({ type: ApplicationResponse })
  @ApiErrorResponses([400, 404])
  async get(@CurrentPrincipal() p: Principal, @UuidParam() id: string): Promise<ApplicationResponse> {
    return toApplicationResponse(await this.apps.get(p.tenantId, id));
  }

  @Get(':id/ledger')
  @ApiOkResponse({ type: LedgerPageResponse })
  @ApiErrorResponses([400, 404])
  async ledger(
    @CurrentPrincipal() p: Principal,
    @UuidParam() id: string,
    @Query() q: ListQueryDto,
  ): Promise<LedgerPageResponse> {
    const page = await this.apps.ledgerPage(p.tenantId, id, q.limit ?? 50, q.cursor);
    return { ...page, data: page.data.map(toLedgerEntryResponse) };
  }

  /** Debit credits for usage, idempotently per `reference`. 201 on a new debit, 200 on a replay. */
  @Post(':id/usage')
  @HttpCode(201)
  @ApiCreatedResponse({ type: UsageResponse, description: 'a new debit' })
  @ApiOkResponse({ type: UsageResponse, description: 'a replay of the same reference and amount' })
  @ApiErrorResponses([400, 404, 409])
  async usage(
    @CurrentPrincipal() p: Principal,
    @UuidParam() id: string,
    @Body() dto: UsageDto,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<UsageResponse> {
    const r = await this.apps.recordUsage(p.tenantId, id, dto.amount, dto.reference);
    if (r.replayed) res.status(200);
    return { ...toLedgerEntryResponse(r.entry), balance: toJsonNumber(r.balance), replayed: r.replayed };
  }
}
