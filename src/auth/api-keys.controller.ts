import { Body, Controller, Delete, Get, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { ApiErrorResponses } from '../common/api-docs';
import { UuidParam } from '../common/uuid-param';
import { CurrentPrincipal, Roles } from './auth.decorators';
import {
  ApiKeyCreatedResponse,
  ApiKeyListResponse,
  ApiKeyResponse,
  ApiKeyRotatedResponse,
  toApiKeyResponse,
} from './api-key.response';
import { ApiKeysService } from './api-keys.service';
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
@ApiTags('API keys')
@ApiBearerAuth()
@ApiErrorResponses([401, 403])
@Roles('owner', 'admin')
@Controller('api/v1/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @ApiCreatedResponse({ type: ApiKeyCreatedResponse })
  @ApiErrorResponses([400])
  async create(
    @CurrentPrincipal() p: Principal,
    @Body() dto: CreateApiKeyDto,
  ): Promise<ApiKeyCreatedResponse> {
    const { key, secret } = await this.keys.create(p, dto.name);
    return { ...toApiKeyResponse(key), secret };
  }

  @Get()
  @ApiOkResponse({ type: ApiKeyListResponse })
  async list(@CurrentPrincipal() p: Principal): Promise<ApiKeyListResponse> {
    return { data: (await this.keys.list(p.tenantId)).map(toApiKeyResponse) };
  }

  @Delete(':id')
  @ApiOkResponse({ type: ApiKeyResponse, description: 'the key, now revoked' })
  @ApiErrorResponses([400, 404])
  async revoke(@CurrentPrincipal() p: Principal, @UuidParam() id: string): Promise<ApiKeyResponse> {
    return toApiKeyResponse(await this.keys.revoke(p, id));
  }

  /** A new key and secret; the old key keeps working for `overlap_seconds`. */
  @Post(':id/rotate')
  @ApiCreatedResponse({ type: ApiKeyRotatedResponse })
  @ApiErrorResponses([400, 404, 409])
  async rotate(
    @CurrentPrincipal() p: Principal,
    @UuidParam() id: string,
    @Body() dto: RotateApiKeyDto,
  ): Promise<ApiKeyRotatedResponse> {
    const { key, secret, old } = await this.keys.rotate(p, id, dto.overlap_seconds);
    return { ...toApiKeyResponse(key), secret, previous: toApiKeyResponse(old) };
  }
}
