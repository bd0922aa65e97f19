import type { TenantRole } from '../tenants/membership.entity';

/** Who is calling: resolved from a JWT or a platform token by the Bearer guard. */
export interface Principal {
  userId: string;
  tenantId: string;
  role: TenantRole;
  platformAdmin: boolean;
  via: 'jwt' | 'platform_token' | 'api_key';
  /** The merchant API key that signed the request (via `api_key`). */
  apiKeyId?: string;
}
