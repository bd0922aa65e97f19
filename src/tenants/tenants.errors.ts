import { defineErrors } from '../common/domain-error';

/** Tenants, their settings and provider accounts. */
export const TenantErrors = defineErrors({
  tenant_not_found: 404,
  provider_not_found: 404,
  /** Provider credentials that fail their provider's schema (details.field names the field). */
  invalid_provider_credentials: 400,
  /** A suspended tenant's platform API, merchant API and new orders (callbacks are still applied). */
  tenant_suspended: 403,
});
