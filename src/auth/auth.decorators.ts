import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { TenantRole } from '../tenants/membership.entity';
import type { Principal } from './principal';

export const PUBLIC_ROUTE = 'paymux:public';
export const REQUIRED_ROLES = 'paymux:roles';
export const PLATFORM_ADMIN_ONLY = 'paymux:platform-admin';

/** The route needs no Bearer token (webhooks, checkout, health, login). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE, true);

/** Only these tenant roles may call the route. */
export const Roles = (...roles: TenantRole[]): MethodDecorator & ClassDecorator =>
  SetMetadata(REQUIRED_ROLES, roles);

/** Only a platform admin (ADMIN_EMAIL) may call the route. */
export const PlatformAdminOnly = (): MethodDecorator & ClassDecorator =>
  SetMetadata(PLATFORM_ADMIN_ONLY, true);

export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const req = ctx.switchToHttp().getRequest<{ principal?: Principal }>();
  if (!req.principal) throw new Error('CurrentPrincipal used on a public route');
  return req.principal;
});
