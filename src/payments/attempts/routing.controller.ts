import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { IsArray, IsString } from 'class-validator';
import { CurrentPrincipal, Roles } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { CRYPTO_ROUTES } from '../routing';
import { RoutingService } from './routing.service';

export class RoutingPriorityDto {
  /** Provider ids, first choice first, e.g. ["tokenpay", "alchemy", "x402"]. */
  @IsArray()
  @IsString({ each: true })
  priority!: string[];
}

/** The tenant's provider priority for payments asked for by token and chain (`pay_way: Crypto`). */
@ApiTags('routing')
@ApiBearerAuth()
@Controller('api/v1/routing')
export class RoutingController {
  constructor(private readonly routing: RoutingService) {}

  @Get()
  async get(@CurrentPrincipal() p: Principal): Promise<Record<string, unknown>> {
    return { priority: await this.routing.priority(p.tenantId), routes: CRYPTO_ROUTES };
  }

  @Put()
  @Roles('owner', 'admin')
  async put(
    @CurrentPrincipal() p: Principal,
    @Body() dto: RoutingPriorityDto,
  ): Promise<Record<string, unknown>> {
    return { priority: await this.routing.setPriority(p.tenantId, dto.priority), routes: CRYPTO_ROUTES };
  }
}
