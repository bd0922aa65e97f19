import { defineErrors } from './domain-error';

/**
 * Codes shared by every module, and the codes the edge itself produces (the exception filter, the
 * body-shape guard, Nest/Fastify refusals mapped by status in error-dialect.ts).
 */
export const CommonErrors = defineErrors({
  bad_request: 400,
  validation_failed: 400,
  invalid_json: 400,
  invalid_id: 400,
  invalid_cursor: 400,
  invalid_amount: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  not_acceptable: 406,
  payload_too_large: 413,
  body_too_complex: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
});
