import type { RequestOrigin } from '../common/request-origin';
import type { TenantRole } from '../tenants/membership.entity';

/** Who is calling: resolved from a JWT or a platform token by the Bearer guard. */
export interface Principal {
  userId: string;
  tenantId: string;
  role: TenantRole;
  platformAdmin: boolean;
  via: 'jwt' | 'platform_token' | 'api_key' | 'session';
  /**
   * The tenant is suspended: only a platform admin gets this far (as an operator), and no new order
   * may be created in it.
   */
  tenantSuspended?: boolean;
  /** The request this principal came with (request id, IP), for the audit log. */
  origin?: RequestOrigin;
  /** The console session the request came with (via `session`). */
  consoleSessionId?: string;
  /** The merchant API key that signed the request (via `api_key`). */
  apiKeyId?: string;
}
