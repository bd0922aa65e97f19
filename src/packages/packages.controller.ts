import { Body, Controller, Delete, Get, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { ApiErrorResponses } from '../common/api-docs';
import { UuidParam } from '../common/uuid-param';
import { CreatePackageDto, UpdatePackageDto } from './dto/package.dto';
import { PackageListResponse, PackageResponse, toPackageResponse } from './package.response';
import { PackagesService } from './packages.service';

@ApiTags('Packages')
@ApiBearerAuth()
@ApiErrorResponses([401])
@Controller('api/v1/packages')
export class PackagesController {
  constructor(private readonly packages: PackagesService) {}

  @Post()
  @Roles('owner', 'admin')
  @ApiCreatedResponse({ type: PackageResponse })
  @ApiErrorResponses([400, 403, 404])
  async create(@CurrentPrincipal() p: Principal, @Body() dto: CreatePackageDto): Promise<PackageResponse> {
    return toPackageResponse(await this.packages.create(p, p.tenantId, dto));
  }

  /** Active packages; `?include_inactive=true` lists deactivated ones too. */
  @Get()
  @ApiOkResponse({ type: PackageListResponse })
  async list(
    @CurrentPrincipal() p: Principal,
    @Query('include_inactive') inactive?: string,
  ): Promise<PackageListResponse> {
    return { data: (await this.packages.list(p.tenantId, inactive === 'true')).map(toPackageResponse) };
  }

  @Get(':id')
  @ApiOkResponse({ type: PackageResponse })
  @ApiErrorResponses([400, 404])
  async get(@CurrentPrincipal() p: Principal, @UuidParam() id: string): Promise<PackageResponse> {
    return toPackageResponse(await this.packages.get(p.tenantId, id));
  }

  @Patch(':id')
  @Roles('owner', 'admin')
  @ApiOkResponse({ type: PackageResponse })
  @ApiErrorResponses([400, 403, 404])
  async update(
    @CurrentPrincipal() p: Principal,
    @UuidParam() id: string,
    @Body() dto: UpdatePackageDto,
  ): Promise<PackageResponse> {
    return toPackageResponse(await this.packages.update(p, p.tenantId, id, dto));
  }

  @Delete(':id')
  @Roles('owner', 'admin')
  @ApiOkResponse({ type: PackageResponse, description: 'the package, now inactive' })
  @ApiErrorResponses([400, 403, 404])
  async deactivate(@CurrentPrincipal() p: Principal, @UuidParam() id: string): Promise<PackageResponse> {
    return toPackageResponse(await this.packages.deactivate(p, p.tenantId, id));
  }
}
