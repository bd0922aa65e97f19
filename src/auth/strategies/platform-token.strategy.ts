import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-custom';
import { sha256Hex } from '../../common/crypto';
import type { Principal } from '../principal';
import { PrincipalCache } from '../principal-cache';
import { PlatformTokenCache } from '../platform-token-cache';
import { APP_SCOPED_PASSPORT, forgetStrategy } from './app-scoped-passport';
import { bearerToken, isPlatformToken } from './bearer-token';
import { tokenHolder } from './token-holder';

/**
 * `Authorization: Bearer pmx_...`: a platform token, found by its sha256 (PlatformTokenCache), whose
 * owner's current role and flags make the principal (tokenHolder). Other tokens are left to JwtStrategy.
 */
@Injectable()
export class PlatformTokenStrategy
  extends PassportStrategy(Strategy, 'platform-token')
  implements OnModuleDestroy
{
  constructor(
    private readonly tokens: PlatformTokenCache,
    private readonly access: PrincipalCache,
  ) {
    super();
  }

  getPassportInstance(): typeof APP_SCOPED_PASSPORT {
    return APP_SCOPED_PASSPORT;
  }

  async validate(req: Parameters<typeof bearerToken>[0]): Promise<Principal | null> {
    const token = bearerToken(req);
    if (!token || !isPlatformToken(token)) return null;
    const owner = await this.tokens.get(sha256Hex(token));
    if (!owner) return null;
    return tokenHolder(
      owner.userId,
      owner.tenantId,
      'platform_token',
      await this.access.get(owner.userId, owner.tenantId),
    );
  }

  onModuleDestroy(): void {
    forgetStrategy(this);
  }
}
