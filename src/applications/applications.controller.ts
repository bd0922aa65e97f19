import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { ApiErrorResponses } from '../common/api-docs';
import { ListQueryDto } from '../common/list-query.dto';
import { UuidParam } from '../common/uuid-param';
import {
  ApplicationListResponse,
  ApplicationResponse,
  LedgerPageResponse,
  toApplicationResponse,
  toLedgerEntryResponse,
} from './application.response';
import { ApplicationsService } from './applications.service';
import { CreateApplicationDto } from './dto/application.dto';

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
    return toApplicationResponse(await this.apps.create(p, p.tenantId, dto.name));
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
}
