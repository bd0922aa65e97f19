import { Body, Controller, Delete, Get, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { UuidParam } from '../common/uuid-param';
import { CreatePackageDto, UpdatePackageDto } from './dto/package.dto';
import { toPackageResponse } from './package.response';
import { PackagesService } from './packages.service';

@ApiTags('packages')
@ApiBearerAuth()
@Controller('api/v1/packages')
export class PackagesController {
  constructor(private readonly packages: PackagesService) {}

  @Post()
  @Roles('owner', 'admin')
  async create(
    @CurrentPrincipal() p: Principal,
    @Body() dto: CreatePackageDto,
  ): Promise<Record<string, unknown>> {
    return toPackageResponse(await this.packages.create(p.tenantId, dto));
  }

  /** Active packages; `?include_inactive=true` lists deactivated ones too. */
  @Get()
  async list(
    @CurrentPrincipal() p: Principal,
    @Query('include_inactive') inactive?: string,
  ): Promise<{ data: Record<string, unknown>[] }> {
    return { data: (await this.packages.list(p.tenantId, inactive === 'true')).map(toPackageResponse) };
  }

  @Get(':id')
  async get(@CurrentPrincipal() p: Principal, @UuidParam() id: string): Promise<Record<string, unknown>> {
    return toPackageResponse(await this.packages.get(p.tenantId, id));
  }

  @Patch(':id')
  @Roles('owner', 'admin')
  async update(
    @CurrentPrincipal() p: Principal,
    @UuidParam() id: string,
    @Body() dto: UpdatePackageDto,
  ): Promise<Record<string, unknown>> {
    return toPackageResponse(await this.packages.update(p.tenantId, id, dto));
  }

  @Delete(':id')
  @Roles('owner', 'admin')
  async deactivate(
    @CurrentPrincipal() p: Principal,
    @UuidParam() id: string,
  ): Promise<Record<string, unknown>> {
    return toPackageResponse(await this.packages.deactivate(p.tenantId, id));
  }
}
