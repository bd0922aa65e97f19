import { defineErrors } from '../common/domain-error';

/** The FX rate table and conversions with it. */
export const FxErrors = defineErrors({
  invalid_currency: 400,
  invalid_rate: 400,
  fx_rate_missing: 422,
  fx_rate_stale: 422,
});
