import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { TenantRole } from '../tenants/membership.entity';
import { PLATFORM_ADMIN_ONLY, PUBLIC_ROUTE, REQUIRED_ROLES } from './auth.decorators';
import { ApiRateLimiter } from './api-rate-limiter';
import { AuthService } from './auth.service';
import type { Principal } from './principal';
import { CommonErrors } from '../common/common.errors';

/** Global guard: every route needs a Bearer JWT or platform token unless marked @Public(). */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    private readonly limiter: ApiRateLimiter,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const req = ctx
      .switchToHttp()
      .getRequest<{ headers: Record<string, string | undefined>; principal?: Principal }>();
    const header = req.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) throw CommonErrors.unauthenticated('a Bearer token is required');
    const principal = await this.auth.authenticate(match[1]);
    if (!principal) throw CommonErrors.unauthenticated('the token is invalid, expired or revoked');
    req.principal = principal;
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
}
