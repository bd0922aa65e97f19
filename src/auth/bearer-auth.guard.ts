import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { TenantRole } from '../tenants/membership.entity';
import { PLATFORM_ADMIN_ONLY, PUBLIC_ROUTE, REQUIRED_ROLES } from './auth.decorators';
import { ApiRateLimiter } from './api-rate-limiter';
import type { Principal } from './principal';
import { requestOriginOf } from '../common/request-origin';
import { passportNameOf } from './strategies/app-scoped-passport';
import { bearerToken } from './strategies/bearer-token';
import { JwtStrategy } from './strategies/jwt.strategy';
import { ConsoleSessionStrategy, sessionCookie } from './strategies/console-session.strategy';
import { PlatformTokenStrategy } from './strategies/platform-token.strategy';
import { CommonErrors } from '../common/common.errors';

type BearerRequest = Parameters<typeof bearerToken>[0] &
  Parameters<typeof sessionCookie>[0] & { principal?: Principal };

/**
 * The global guard: every route needs a Bearer JWT (JwtStrategy) or platform token
 * (PlatformTokenStrategy), or, without an Authorization header, the console's session cookie
 * (ConsoleSessionStrategy, which also checks X-CSRF-Token on writes), unless marked @Public(). The
 * principal goes to `request.principal`; then the API rate limit, @PlatformAdminOnly() and @Roles()
 * are checked.
 */
@Injectable()
export class BearerAuthGuard extends AuthGuard() {
  constructor(
    private readonly reflector: Reflector,
    private readonly limiter: ApiRateLimiter,
    jwt: JwtStrategy,
    platformTokens: PlatformTokenStrategy,
    consoleSessions: ConsoleSessionStrategy,
  ) {
    // Tried in this order; a token only one of them reads (JWT or `pmx_...`), so at most one looks it up;
    // the session cookie only counts when there is no Authorization header.
    super({
      defaultStrategy: [passportNameOf(jwt), passportNameOf(platformTokens), passportNameOf(consoleSessions)],
      property: 'principal',
      session: false,
    });
  }

  override async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    await (super.canActivate(ctx) as Promise<boolean>);
    const req = ctx.switchToHttp().getRequest<BearerRequest & { id?: string; ip?: string }>();
    const principal = req.principal as Principal;
    principal.origin = requestOriginOf(req);
    await this.limiter.hit(principal, undefined, ctx.switchToHttp().getResponse());
    if (this.reflector.getAllAndOverride<boolean>(PLATFORM_ADMIN_ONLY, targets) && !principal.platformAdmin) {
      throw CommonErrors.forbidden('this needs a platform admin');
    }
    const roles = this.reflector.getAllAndOverride<TenantRole[] | undefined>(REQUIRED_ROLES, targets);
    if (roles && !roles.includes(principal.role) && !principal.platformAdmin) {
      throw CommonErrors.forbidden(`this needs the role ${roles.join(' or ')}`);
    }
    return true;
  }

  /** Our envelope for every refusal: a strategy's DomainError as it is, else 401 unauthenticated. */
  override handleRequest<T = Principal>(
    err: Error | null,
    principal: T | false | null,
    _info: unknown,
    ctx: ExecutionContext,
  ): T {
    if (err) throw err;
    if (!principal) {
      const req = ctx.switchToHttp().getRequest<BearerRequest>();
      throw CommonErrors.unauthenticated(
        bearerToken(req)
          ? 'the token is invalid, expired or revoked'
          : sessionCookie(req)
            ? 'the console session has ended or expired; sign in again'
            : 'a Bearer token is required',
      );
    }
    return principal;
  }
}
