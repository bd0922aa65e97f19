import { defineErrors } from '../common/domain-error';

/** Applications and their credit ledger. */
export const ApplicationErrors = defineErrors({
  application_not_found: 404,
  reference_reused: 409,
  insufficient_balance: 409,
});
