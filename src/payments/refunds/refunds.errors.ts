import { defineErrors } from '../../common/domain-error';

/** Refunds (a short application balance is ApplicationErrors.insufficient_balance). */
export const RefundErrors = defineErrors({
  refund_not_found: 404,
  order_not_refundable: 409,
  refund_exceeds_payment: 422,
  refund_unsupported: 422,
});
