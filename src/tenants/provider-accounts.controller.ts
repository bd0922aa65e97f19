import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { isoMicros } from '../common/time';
import { PutProviderAccountDto } from './dto/provider-account.dto';
import type { ProviderAccount } from './provider-account.entity';
import { ProviderCredentials } from './provider-credentials';
import { ProviderAccountsService } from './provider-accounts.service';

const toResponse = (a: ProviderAccount, creds: ProviderCredentials): Record<string, unknown> => ({
  provider: a.provider,
  enabled: a.enabled,
  mode: a.mode,
  credentials: creds.mask(a.provider, a.credentialsMasked),
  key_id: a.keyId,
  created_at: isoMicros(a.createdAt),
  updated_at: isoMicros(a.updatedAt),
});

@ApiTags('providers')
@ApiBearerAuth()
@Controller('api/v1/providers')
export class ProviderAccountsController {
  constructor(private readonly accounts: ProviderAccountsService) {}

  /** Set up (or replace) the tenant's account at a provider. Owner or admin. Secrets are never returned. */
  @Put(':provider')
  @Roles('owner', 'admin')
  async put(
    @CurrentPrincipal() p: Principal,
    @Param('provider') provider: string,
    @Body() dto: PutProviderAccountDto,
  ): Promise<Record<string, unknown>> {
    return toResponse(await this.accounts.put(p.tenantId, provider, dto), this.accounts.credentials);
  }

  @Get()
  async list(@CurrentPrincipal() p: Principal): Promise<{ data: Record<string, unknown>[] }> {
    return {
      data: (await this.accounts.list(p.tenantId)).map((a) => toResponse(a, this.accounts.credentials)),
    };
  }
}
