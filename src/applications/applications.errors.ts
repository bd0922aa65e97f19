import { defineErrors } from '../common/domain-error';

/** Applications and their credit ledger. */
export const ApplicationErrors = defineErrors({
  application_not_found: 404,
  reference_reused: 409,
  insufficient_balance: {
    status: 409,
    pinnedAt: {
      422: 'POST /api/v1/orders/:id/refunds, a refund of credits already spent (README Refunds; test/refunds.e2e-spec.ts)',
    },
  },
});
