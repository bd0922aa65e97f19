import { Body, Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { toJsonNumber } from '../common/money';
import { ListQueryDto } from '../common/list-query.dto';
import { UuidParam } from '../common/uuid-param';
import { toApplicationResponse, toLedgerEntryResponse } from './application.response';
import { ApplicationsService } from './applications.service';
import { CreateApplicationDto, UsageDto } from './dto/application.dto';

@ApiTags('applications')
@ApiBearerAuth()
@Controller('api/v1/applications')
export class ApplicationsController {
  constructor(private readonly apps: ApplicationsService) {}

  @Post()
  async create(
    @CurrentPrincipal() p: Principal,
    @Body() dto: CreateApplicationDto,
  ): Promise<Record<string, unknown>> {
    return toApplicationResponse(await this.apps.create(p.tenantId, dto.name));
  }

  @Get()
  async list(@CurrentPrincipal() p: Principal): Promise<{ data: Record<string, unknown>[] }> {
    return { data: (await this.apps.list(p.tenantId)).map(toApplicationResponse) };
  }

  @Get(':id')
  async get(@CurrentPrincipal() p: Principal, @UuidParam() id: string): Promise<Record<string, unknown>> {
    return toApplicationResponse(await this.apps.get(p.tenantId, id));
  }

  @Get(':id/ledger')
  async ledger(
    @CurrentPrincipal() p: Principal,
    @UuidParam() id: string,
    @Query() q: ListQueryDto,
  ): Promise<Record<string, unknown>> {
    const page = await this.apps.ledgerPage(p.tenantId, id, q.limit ?? 50, q.cursor);
    return { ...page, data: page.data.map(toLedgerEntryResponse) };
  }

  /** Debit credits for usage, idempotently per `reference`. 201 on a new debit, 200 on a replay. */
  @Post(':id/usage')
  @HttpCode(201)
  async usage(
    @CurrentPrincipal() p: Principal,
    @UuidParam() id: string,
    @Body() dto: UsageDto,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<Record<string, unknown>> {
    const r = await this.apps.recordUsage(p.tenantId, id, dto.amount, dto.reference);
    if (r.replayed) res.status(200);
    return { ...toLedgerEntryResponse(r.entry), balance: toJsonNumber(r.balance), replayed: r.replayed };
  }
}
