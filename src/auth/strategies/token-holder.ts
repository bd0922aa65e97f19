import { DomainError } from '../../common/domain-error';
import type { CurrentAccess } from '../principal-cache';
import type { Principal } from '../principal';
import { AuthErrors } from '../auth.errors';
import { CommonErrors } from '../../common/common.errors';
import { TenantErrors } from '../../tenants/tenants.errors';

/** A suspended tenant's platform API, merchant API and new orders are refused with this. */
export const tenantSuspended = (): DomainError =>
  TenantErrors.tenant_suspended('this tenant is suspended; ask a platform admin');

/** A disabled account's logins and tokens (JWT and platform) are refused with this. */
export const accountDisabled = (): DomainError =>
  AuthErrors.account_disabled('this account is disabled; ask a platform admin');

/**
 * The principal of a Bearer token that names this user and tenant, with the role and platform-admin
 * flag they have now (PrincipalCache, at most AUTH_RECHECK_SECONDS old), never the claims of a token
 * signed days ago. null when the user is gone; a disabled account or a membership that is gone is
 * refused (401); a member of a suspended tenant is refused (403), unless a platform admin (an operator).
 */
export function tokenHolder(
  userId: string,
  tenantId: string,
  via: 'jwt' | 'platform_token' | 'session',
  now: CurrentAccess,
): Principal | null {
  if (!now.exists) return null;
  if (now.disabled) throw accountDisabled();
  if (!now.role) throw CommonErrors.unauthenticated('this account is no longer a member of the tenant');
  if (now.tenantSuspended && !now.platformAdmin) throw tenantSuspended();
  const p: Principal = { userId, tenantId, role: now.role, platformAdmin: now.platformAdmin, via };
  if (now.tenantSuspended) p.tenantSuspended = true;
  return p;
}
