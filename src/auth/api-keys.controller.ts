import { Body, Controller, Delete, Get, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { UuidParam } from '../common/uuid-param';
import { CurrentPrincipal, Roles } from './auth.decorators';
import { ApiKeysService, toApiKeyResponse } from './api-keys.service';
import type { Principal } from './principal';

export class CreateApiKeyDto {
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name!: string;
}

export class RotateApiKeyDto {
  /** How long the old key keeps working, seconds (default one day, at most 30 days). */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(30 * 86400)
  overlap_seconds?: number;
}

/** Merchant API keys (owner or admin). The secret is shown once, when a key is created or rotated. */
@ApiTags('api-keys')
@ApiBearerAuth()
@Roles('owner', 'admin')
@Controller('api/v1/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  async create(
    @CurrentPrincipal() p: Principal,
    @Body() dto: CreateApiKeyDto,
  ): Promise<Record<string, unknown>> {
    const { key, secret } = await this.keys.create(p, dto.name);
    return { ...toApiKeyResponse(key), secret };
  }

  @Get()
  async list(@CurrentPrincipal() p: Principal): Promise<Record<string, unknown>> {
    return { data: (await this.keys.list(p.tenantId)).map(toApiKeyResponse) };
  }

  @Delete(':id')
  async revoke(@CurrentPrincipal() p: Principal, @UuidParam() id: string): Promise<Record<string, unknown>> {
    return toApiKeyResponse(await this.keys.revoke(p.tenantId, id));
  }

  /** A new key and secret; the old key keeps working for `overlap_seconds`. */
  @Post(':id/rotate')
  async rotate(
    @CurrentPrincipal() p: Principal,
    @UuidParam() id: string,
    @Body() dto: RotateApiKeyDto,
  ): Promise<Record<string, unknown>> {
    const { key, secret, old } = await this.keys.rotate(p, id, dto.overlap_seconds);
    return { ...toApiKeyResponse(key), secret, previous: toApiKeyResponse(old) };
  }
}
