import { defineErrors } from '../common/domain-error';

/** Sign-in, registration, tokens, API keys and users. */
export const AuthErrors = defineErrors({
  invalid_credentials: 401,
  account_disabled: 401,
  stale_request: 401,
  registration_disabled: 403,
  csrf_failed: 403,
  no_tenant: 403,
  user_not_found: 404,
  token_not_found: 404,
  /** A password-reset link that is unknown, expired or already used (one code for all three). */
  reset_token_not_found: 404,
  api_key_not_found: 404,
  email_taken: 409,
  api_key_inactive: 409,
});
