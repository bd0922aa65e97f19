import { ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { ApiRateLimiter } from './api-rate-limiter';
import type { Principal } from './principal';
import { requestOriginOf } from '../common/request-origin';
import { passportNameOf } from './strategies/app-scoped-passport';
import { MerchantSignatureStrategy } from './strategies/merchant-signature.strategy';
import { CommonErrors } from '../common/common.errors';

/**
 * The merchant API's guard (`/v1/*`, routes marked @Public() for the Bearer guard): a signed request
 * (MerchantSignatureStrategy), then the API rate limit per key.
 */
@Injectable()
export class MerchantAuthGuard extends AuthGuard() {
  constructor(
    private readonly limiter: ApiRateLimiter,
    signatures: MerchantSignatureStrategy,
  ) {
    super({ defaultStrategy: passportNameOf(signatures), property: 'principal', session: false });
  }

  override async canActivate(ctx: ExecutionContext): Promise<boolean> {
    await (super.canActivate(ctx) as Promise<boolean>);
    const req = ctx.switchToHttp().getRequest<{ principal?: Principal; id?: string; ip?: string }>();
    const principal = req.principal as Principal;
    principal.origin = requestOriginOf(req);
    await this.limiter.hit(principal, principal.apiKeyId, ctx.switchToHttp().getResponse());
    return true;
  }

  /** The strategy's DomainError as it is (the merchant envelope maps it). */
  override handleRequest<T = Principal>(err: Error | null, principal: T | false | null): T {
    if (err) throw err;
    if (!principal)
      throw CommonErrors.unauthenticated('X-API-Key, X-Timestamp, X-Nonce and X-Signature are required');
    return principal;
  }
}
