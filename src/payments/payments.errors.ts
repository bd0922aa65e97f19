import { defineErrors } from '../common/domain-error';

/** Order creation, payment attempts, routing, provider calls and provider callbacks. */
export const PaymentErrors = defineErrors({
  // Order creation and idempotency.
  invalid_idempotency_key: 400,
  idempotency_key_reused: 409,
  duplicate_order_no: 409,
  /** Merchant API (/v1) input refusals; the merchant dialect shows them as 10003. */
  invalid_parameter: 400,
  // Paying an order.
  invalid_pay_way: 400,
  openid_required: 400,
  order_not_payable: 409,
  order_not_closable: 409,
  pay_way_unsupported: 422,
  pay_way_unavailable: 422,
  zero_amount: 422,
  // Routing by token and chain.
  route_required: 400,
  unsupported_route: 400,
  invalid_priority: 400,
  route_unsupported: 422,
  no_provider_for_route: 422,
  route_exhausted: 502,
  // Provider calls.
  provider_credentials_rejected: 422,
  provider_rejected: 422,
  provider_timeout: 502,
  provider_unavailable: 502,
  provider_error: 502,
  // Payments and callbacks.
  payment_not_found: 404,
  return_not_found: 404,
  webhook_not_found: 404,
  payment_not_pending: 409,
  // Replaying a stored provider event (operator CLI).
  provider_event_not_found: 404,
  provider_event_ambiguous: 409,
  provider_event_not_replayable: 409,
});
