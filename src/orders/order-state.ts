/** Order states (docs/design.md, Order states) and the one table of allowed transitions. */
export enum OrderState {
  Pending = 'Pending',
  Paid = 'Paid',
  Finished = 'Finished',
  Expired = 'Expired',
  Cancelled = 'Cancelled',
  Failed = 'Failed',
  Refunded = 'Refunded',
  PartiallyRefunded = 'PartiallyRefunded',
}

export const ORDER_STATES: readonly OrderState[] = Object.values(OrderState);

/**
 * Allowed moves. Money received is never dropped: a provider confirmation still moves an
 * Expired, Cancelled or Failed order to Paid.
 */
export const ORDER_TRANSITIONS: Readonly<Record<OrderState, readonly OrderState[]>> = Object.freeze({
  [OrderState.Pending]: [OrderState.Paid, OrderState.Expired, OrderState.Cancelled, OrderState.Failed],
  [OrderState.Paid]: [OrderState.Finished],
  [OrderState.Finished]: [OrderState.Refunded, OrderState.PartiallyRefunded],
  [OrderState.PartiallyRefunded]: [OrderState.PartiallyRefunded, OrderState.Refunded],
  [OrderState.Refunded]: [],
  [OrderState.Expired]: [OrderState.Paid],
  [OrderState.Cancelled]: [OrderState.Paid],
  [OrderState.Failed]: [OrderState.Paid],
});

export function canTransition(from: OrderState, to: OrderState): boolean {
  return ORDER_TRANSITIONS[from].includes(to);
}

/*
 * What a state allows, read from the table above: the one place these rules are written.
 */

/** The payer may be asked to pay it (open a payment, settle an x402 payment): only a Pending order. */
export const isOpenForPayment = (state: OrderState): boolean => state === OrderState.Pending;

/** The states open for payment, for SQL: a bind parameter (`state = ANY($1)`) and the expiry index. */
export const OPEN_FOR_PAYMENT_STATES: readonly OrderState[] = ORDER_STATES.filter(isOpenForPayment);

/** A confirmed payment moves it to Paid (money received is never dropped, even after it closed). */
export const acceptsPayment = (state: OrderState): boolean => canTransition(state, OrderState.Paid);

/** Closed without a payment (expired, cancelled, failed); a late payment still moves it to Paid. */
export const isClosedUnpaid = (state: OrderState): boolean =>
  !isOpenForPayment(state) && acceptsPayment(state);

/** Its credits may be refunded (in part or whole). */
export const canRefund = (state: OrderState): boolean => canTransition(state, OrderState.Refunded);

/** The merchant API's state integers (docs/design.md, Order states). */
export const ORDER_STATE_CODE: Readonly<Record<OrderState, number>> = Object.freeze({
  [OrderState.Pending]: 1,
  [OrderState.Paid]: 2,
  [OrderState.Finished]: 3,
  [OrderState.Expired]: 4,
  [OrderState.Cancelled]: 5,
  [OrderState.Failed]: 6,
  [OrderState.Refunded]: 7,
  [OrderState.PartiallyRefunded]: 8,
});
