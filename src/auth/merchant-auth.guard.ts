import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { signedBodyOf } from '../common/raw-body';
import { ApiKeysService } from './api-keys.service';
import { ApiRateLimiter } from './api-rate-limiter';
import type { Principal } from './principal';
import { CommonErrors } from '../common/common.errors';

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
      body?: unknown;
      principal?: Principal;
    }>();
    // The signature covers the bytes received, whatever the content type; a body whose bytes were not
    // kept is refused rather than checked as an empty one.
    const rawBody = signedBodyOf(req);
    if (rawBody === undefined) throw CommonErrors.unsupported_media_type('the body must be application/json');
    const principal = await this.keys.authenticate({
      headers: req.headers,
      method: req.method,
      url: req.url,
      rawBody,
    });
    req.principal = principal;
    await this.limiter.hit(principal, principal.apiKeyId, ctx.switchToHttp().getResponse());
    return true;
  }
}
