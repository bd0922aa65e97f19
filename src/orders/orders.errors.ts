import { defineErrors } from '../common/domain-error';

/** Orders and their state machine. */
export const OrderErrors = defineErrors({
  order_not_found: 404,
  invalid_state_transition: 409,
  concurrent_state_change: 409,
});
