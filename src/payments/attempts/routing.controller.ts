import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { IsArray, IsString } from 'class-validator';
import { CurrentPrincipal, Roles } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { ApiErrorResponses } from '../../common/api-docs';
import { CRYPTO_ROUTES } from '../routing';
import { RoutingResponse } from './routing.response';
import { RoutingService } from './routing.service';

export class RoutingPriorityDto {
  /** Provider ids, first choice first, e.g. ["tokenpay", "alchemy", "x402"]. */
  @IsArray()
  @IsString({ each: true })
  priority!: string[];
}

/** The tenant's provider priority for payments asked for by token and chain (`pay_way: Crypto`). */
@ApiTags('Routing')
@ApiBearerAuth()
@ApiErrorResponses([401])
@Controller('api/v1/routing')
export class RoutingController {
  constructor(private readonly routing: RoutingService) {}

  @Get()
  @ApiOkResponse({ type: RoutingResponse })
  async get(@CurrentPrincipal() p: Principal): Promise<RoutingResponse> {
    return { priority: await this.routing.priority(p.tenantId), routes: CRYPTO_ROUTES };
  }

  @Put()
  @Roles('owner', 'admin')
  @ApiOkResponse({ type: RoutingResponse })
  @ApiErrorResponses([400, 403])
  async put(@CurrentPrincipal() p: Principal, @Body() dto: RoutingPriorityDto): Promise<RoutingResponse> {
    return { priority: await this.routing.setPriority(p, p.tenantId, dto.priority), routes: CRYPTO_ROUTES };
  }
}
