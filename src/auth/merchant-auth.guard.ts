import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ApiKeysService } from './api-keys.service';
import { ApiRateLimiter } from './api-rate-limiter';
import type { Principal } from './principal';

/**
 * The merchant API's guard (`/v1/*`, routes marked @Public() for the Bearer guard): a signed request
 * with X-API-Key, X-Timestamp, X-Nonce and X-Signature, checked over the exact raw body.
 */
@Injectable()
export class MerchantAuthGuard implements CanActivate {
  constructor(
    private readonly keys: ApiKeysService,
    private readonly limiter: ApiRateLimiter,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<{
      headers: Record<string, string | string[] | undefined>;
      method: string;
      url: string;
      rawBody?: Buffer;
      principal?: Principal;
    }>();
    const principal = await this.keys.authenticate({
      headers: req.headers,
      method: req.method,
      url: req.url,
      rawBody: req.rawBody ?? Buffer.alloc(0),
    });
    req.principal = principal;
    await this.limiter.hit(principal, principal.apiKeyId, ctx.switchToHttp().getResponse());
    return true;
  }
}
