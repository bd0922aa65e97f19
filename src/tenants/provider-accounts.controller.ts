import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { ApiErrorResponses } from '../common/api-docs';
import { PutProviderAccountDto } from './dto/provider-account.dto';
import {
  ProviderAccountListResponse,
  ProviderAccountResponse,
  toProviderAccountResponse,
} from './provider-account.response';
import { ProviderAccountsService } from './provider-accounts.service';

@ApiTags('Provider accounts')
@ApiBearerAuth()
@ApiErrorResponses([401])
@Controller('api/v1/providers')
export class ProviderAccountsController {
  constructor(private readonly accounts: ProviderAccountsService) {}

  /** Set up (or replace) the tenant's account at a provider. Owner or admin. Secrets are never returned. */
  @Put(':provider')
  @Roles('owner', 'admin')
  @ApiOkResponse({ type: ProviderAccountResponse })
  @ApiErrorResponses([400, 403, 404])
  async put(
    @CurrentPrincipal() p: Principal,
    @Param('provider') provider: string,
    @Body() dto: PutProviderAccountDto,
  ): Promise<ProviderAccountResponse> {
    return toProviderAccountResponse(
      await this.accounts.put(p, p.tenantId, provider, dto),
      this.accounts.credentials,
    );
  }

  @Get()
  @ApiOkResponse({ type: ProviderAccountListResponse })
  async list(@CurrentPrincipal() p: Principal): Promise<ProviderAccountListResponse> {
    return {
      data: (await this.accounts.list(p.tenantId)).map((a) =>
        toProviderAccountResponse(a, this.accounts.credentials),
      ),
    };
  }
}
