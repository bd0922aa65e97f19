/**
 * The x402 resource server behind an X402 order's pay_url (`GET|POST /api/v1/x402/orders/:id`):
 *
 * - paid through x402 already: 200 with the stored settlement (`X-PAYMENT-RESPONSE`), whatever the
 *   request carries: a payer is never asked to pay twice, and a replayed payment credits nothing;
 * - not payable (Expired, Cancelled, Failed: 410; paid otherwise or refunded: 409);
 * - a settle in flight or unresolved: 202 `{status: 'pending'}`, never a 402;
 * - no payment header: 402 with the requirements (v1 JSON body, v2 `PAYMENT-REQUIRED` header);
 * - a payment header: local checks (x402.offer.ts), then the settle guard (x402.store.ts) taken for
 *   this payment (its key: payer and EIP-3009 nonce, or the Solana transaction's hash) BEFORE the
 *   facilitator's /verify, then /verify and /settle. Success is applied like a provider callback
 *   (deduplicated by event id) and answered 200; a refusal answers 402 and releases the guard; a
 *   timeout, 5xx or an ambiguous refusal answers 202 and leaves the outcome to reconciliation
 *   (X402Provider.queryPayment).
 * - the same payment sent again while its twin holds the guard (a client retrying, or sending it
 *   several times at once): never verified again (the facilitator would call its nonce used, a 402
 *   that tells the payer to pay again): 202 while the twin settles, 200 with the twin's settlement
 *   once it settled, even before it is applied (this request applies it then).
 */
import { Injectable, Logger } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { randomUUID } from 'node:crypto';
import { fromMinorUnits } from '../../common/money';
import { unixSeconds } from '../../common/time';
import { Order } from '../../orders/order.entity';
import { isClosedUnpaid, isOpenForPayment } from '../../orders/order-state';
import { OrdersService } from '../../orders/orders.service';
import { Payment } from '../attempts/payment.entity';
import { ProviderError } from '../contract/payment-provider';
import { PaymentLookup } from '../attempts/payment-lookup.service';
import { PaymentEventsService } from '../events/payment-events.service';
import { ProviderRegistry } from '../provider-registry';
import type { FacilitatorClient } from '../providers/x402/x402.facilitator';
import { checkPayment, CheckedPayment, paymentKeyOf } from '../providers/x402/x402.offer';
import { settleRefusalIsFinal, X402Provider } from '../providers/x402/x402.provider';
import { X402Store } from './x402.store';
import {
  DecodedPayment,
  decodePaymentHeader,
  FacilitatorRequest,
  PAYMENT_HEADER_V1,
  PaymentRefused,
  PAYMENT_HEADER_V2,
  paymentRequiredHeader,
  paymentResponseHeader,
  REQUIRED_HEADER_V2,
  RESPONSE_HEADER_V1,
  RESPONSE_HEADER_V2,
  SettleAnswer,
  SettlementRecord,
  settledValue,
  toV2,
  X402Action,
  X402Requirement,
} from '../providers/x402/x402.wire';
import { OrderErrors } from '../../orders/orders.errors';

export interface X402Answer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

type Headers = Readonly<Record<string, string | string[] | undefined>>;

const logger = new Logger('X402Checkout');

@Injectable()
export class X402Checkout {
  constructor(
    private readonly orders: OrdersService,
    private readonly events: PaymentEventsService,
    private readonly lookup: PaymentLookup,
    private readonly registry: ProviderRegistry,
    private readonly provider: X402Provider,
    private readonly store: X402Store,
  ) {}

  /** `retried`: a duplicate whose twin gave up its guard without settling is handled once more. */
  async handle(orderId: string, headers: Headers, retried = false): Promise<X402Answer> {
    if (!isUUID(orderId)) throw OrderErrors.order_not_found('order not found');
    const order = await this.orders.getForCheckout(orderId);
    if (!order) throw OrderErrors.order_not_found('order not found');
    const attempts = await this.x402Attempts(order);
    const paid = attempts.find((p) => p.status === 'succeeded');
    if (paid) return this.alreadyPaid(order, paid);
    const open = attempts.find((p) => p.status === 'pending');
    const action = open?.action as X402Action | undefined;
    // Settled but not applied yet (the process stopped in between): apply it now, whatever the state.
    if (open && action?.settlement?.response.success) return this.apply(order, open, action.settlement);
    // The money may have moved: whatever happened to the order since, the payer must not pay again.
    if (action?.settling) return pendingAnswer(order);
    if (!isOpenForPayment(order.state)) return notPayable(order, `the order is ${order.state}`);
    if (order.expiresAt.getTime() <= Date.now()) return notPayable(order, 'the order has expired', 410);
    if (!open || !action) return notPayable(order, 'the order has no open x402 payment');
    const ctx = await this.registry.contextFor(order.tenantId, 'x402');
    if (!ctx) return notPayable(order, 'x402 is not enabled for this merchant');
    const offer = await this.provider.offerOf(ctx, action);

    const header = paymentHeaderOf(headers);
    if (header === undefined) return paymentRequired(offer, 'X-PAYMENT header is required');
    let decoded: DecodedPayment;
    let checked: CheckedPayment;
    try {
      decoded = decodePaymentHeader(header);
      checked = checkPayment(decoded, offer, unixSeconds());
    } catch (err) {
      if (err instanceof PaymentRefused) return paymentRequired(offer, err.message);
      throw err;
    }
    const request: FacilitatorRequest = {
      x402Version: decoded.x402Version,
      paymentPayload: decoded.payload,
      paymentRequirements: decoded.x402Version === 1 ? checked.requirement : toV2(checked.requirement),
    };
    const paymentKey = paymentKeyOf(decoded, checked);
    // The guard before /verify: a duplicate of a payment being settled never reaches the facilitator.
    const claim = randomUUID();
    const took = await this.store.claim(order.tenantId, open.id, {
      claim,
      phase: 'in_flight',
      started_at: new Date().toISOString(),
      request,
      nonce: checked.nonce,
      payment_key: paymentKey,
    });
    if (!took) {
      const answer = await this.afterLostClaim(order, open.id);
      return answer === 'retry'
        ? retried
          ? pendingAnswer(order)
          : this.handle(orderId, headers, true)
        : answer;
    }
    const facilitator = this.provider.facilitator(ctx);
    try {
      const verified = await facilitator.verify(request);
      if (!verified.isValid) {
        await this.store.release(order.tenantId, open.id, claim);
        return paymentRequired(offer, reasonCode(order, verified.invalidReason, 'invalid_payment'));
      }
    } catch (err) {
      await this.store.release(order.tenantId, open.id, claim);
      return facilitatorFailed(order, 'verify', err);
    }
    return this.settle(order, open, offer, request, paymentKey, claim, facilitator);
  }

  /** Settle a verified payment under the guard `claim` this request holds. */
  private async settle(
    order: Order,
    payment: Payment,
    offer: X402Requirement[],
    request: FacilitatorRequest,
    paymentKey: string,
    claim: string,
    facilitator: FacilitatorClient,
  ): Promise<X402Answer> {
    let answer: SettleAnswer;
    try {
      answer = await facilitator.settle(request);
    } catch (err) {
      // A 4xx without a settle answer: the facilitator refused the request itself, nothing moved.
      if (err instanceof ProviderError && (err.kind === 'rejected' || err.kind === 'credentials')) {
        await this.store.release(order.tenantId, payment.id, claim);
        return facilitatorFailed(order, 'settle', err);
      }
      // Timeout, 5xx, connection lost: the transfer may have been broadcast. Reconciliation decides.
      await this.store.markUnknown(order.tenantId, payment.id, claim, errorText(err));
      return pendingAnswer(order);
    }
    if (!answer.success) {
      if (settleRefusalIsFinal(answer.errorReason)) {
        await this.store.release(order.tenantId, payment.id, claim);
        return paymentRequired(offer, reasonCode(order, answer.errorReason, 'settle_failed'));
      }
      await this.store.markUnknown(order.tenantId, payment.id, claim, answer.errorReason ?? 'no reason');
      return pendingAnswer(order);
    }
    const settlement: SettlementRecord = {
      x402Version: request.x402Version,
      response: answer,
      value: settledValue(request, answer),
      settled_at: new Date().toISOString(),
      payment_key: paymentKey,
    };
    await this.store.recordSettlement(order.tenantId, payment.id, settlement);
    return this.apply(order, payment, settlement);
  }

  /** Apply a settlement like a provider callback: Paid then Finished and credited, exactly once. */
  private async apply(order: Order, payment: Payment, settlement: SettlementRecord): Promise<X402Answer> {
    const { transaction, network } = settlement.response;
    await this.events.applyEvent(order.tenantId, 'x402', {
      eventId: transaction ? `settle:${network}:${transaction}` : `settle:${payment.id}`,
      type: 'settle',
      outcome: 'succeeded',
      providerRef: payment.providerRef ?? '',
      amount: fromMinorUnits('USDC', settlement.value),
      currency: 'USDC',
      payload: { settlement: settlement.response },
    });
    const fresh = (await this.orders.getForCheckout(order.id)) ?? order;
    return paidAnswer(fresh, settlement);
  }

  private alreadyPaid(order: Order, payment: Payment): X402Answer {
    const settlement = (payment.action as X402Action | null)?.settlement;
    if (settlement) return paidAnswer(order, settlement);
    return {
      status: 200,
      headers: { 'Cache-Control': 'no-store' },
      body: { x402Version: 1, order_id: order.id, state: order.state, paid: true },
    };
  }

  /**
   * Another request holds the guard (the same payment sent twice, or another one), or the order
   * changed under us: answer from what is stored now. Settled: 200 with that settlement (applied here
   * if its request has not got that far yet); still settling: 202; the guard already given back (the
   * twin was refused) on a payable order: 'retry', to be handled again like a first request.
   */
  private async afterLostClaim(order: Order, paymentId: string): Promise<X402Answer | 'retry'> {
    const fresh = (await this.orders.getForCheckout(order.id)) ?? order;
    const payment = (await this.x402Attempts(fresh)).find((p) => p.id === paymentId);
    const action = payment?.action as X402Action | null | undefined;
    if (payment?.status === 'succeeded') return this.alreadyPaid(fresh, payment);
    if (payment?.status === 'pending' && action?.settlement?.response.success)
      return this.apply(fresh, payment, action.settlement);
    if (payment?.status === 'pending' && action?.settling) return pendingAnswer(fresh);
    if (!isOpenForPayment(fresh.state)) return notPayable(fresh, `the order is ${fresh.state}`);
    if (fresh.expiresAt.getTime() <= Date.now()) return notPayable(fresh, 'the order has expired', 410);
    return 'retry';
  }

  private async x402Attempts(order: Order): Promise<Payment[]> {
    return (await this.lookup.paymentsOf(order.tenantId, order.id)).filter(
      (p) => p.provider === 'x402' && p.action?.kind === 'x402',
    );
  }
}

/** `X-PAYMENT` (v1) or `PAYMENT-SIGNATURE` (v2); an empty header counts as absent. */
function paymentHeaderOf(headers: Headers): string | undefined {
  for (const name of [PAYMENT_HEADER_V1, PAYMENT_HEADER_V2]) {
    const raw = headers[name];
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (value && value.trim()) return value;
  }
  return undefined;
}

function paymentRequired(offer: X402Requirement[], error: string): X402Answer {
  return {
    status: 402,
    headers: { 'Cache-Control': 'no-store', [REQUIRED_HEADER_V2]: paymentRequiredHeader(offer, error) },
    body: { x402Version: 1, error, accepts: offer },
  };
}

function paidAnswer(order: Order, settlement: SettlementRecord): X402Answer {
  const encoded = paymentResponseHeader(settlement.response);
  return {
    status: 200,
    headers: {
      'Cache-Control': 'no-store',
      [RESPONSE_HEADER_V1]: encoded,
      [RESPONSE_HEADER_V2]: encoded,
      'Access-Control-Expose-Headers': `${RESPONSE_HEADER_V1}, ${RESPONSE_HEADER_V2}`,
    },
    body: {
      x402Version: settlement.x402Version,
      order_id: order.id,
      state: order.state,
      paid: true,
      transaction: settlement.response.transaction,
      network: settlement.response.network,
      payer: settlement.response.payer ?? null,
    },
  };
}

function pendingAnswer(order: Order): X402Answer {
  return {
    status: 202,
    headers: { 'Cache-Control': 'no-store', 'Retry-After': '5' },
    body: {
      x402Version: 1,
      status: 'pending',
      order_id: order.id,
      state: order.state,
      message:
        'the payment is being settled and its outcome is not known yet; do not pay again, ask this URL later',
    },
  };
}

function notPayable(order: Order, error: string, status?: number): X402Answer {
  return {
    status: status ?? (isClosedUnpaid(order.state) ? 410 : 409),
    headers: { 'Cache-Control': 'no-store' },
    body: { x402Version: 1, error, order_id: order.id, state: order.state },
  };
}

/**
 * The facilitator could not be asked (or refused the request itself): nothing was settled. The payer
 * gets a stable code and a fixed message; what went wrong (which may quote the facilitator, or name
 * an address) goes to the log only.
 */
function facilitatorFailed(order: Order, step: 'verify' | 'settle', err: unknown): X402Answer {
  const code = err instanceof ProviderError ? `provider_${err.kind}` : 'provider_error';
  logger.warn(
    `x402 order ${order.id}: the facilitator could not ${step} the payment (${code}): ${errorText(err)}`,
  );
  return {
    status: 502,
    headers: { 'Cache-Control': 'no-store' },
    body: {
      x402Version: 1,
      error: `the facilitator could not ${step} the payment; nothing was charged, try again later`,
      code,
    },
  };
}

/**
 * A facilitator's refusal reason as the payer may see it: an x402 reason code (`insufficient_funds`,
 * `invalid_exact_evm_payload_signature`), else the fallback (the reason itself is logged).
 */
function reasonCode(order: Order, reason: string | undefined, fallback: string): string {
  if (reason === undefined || reason === '') return fallback;
  if (typeof reason === 'string' && /^[A-Za-z0-9_.:-]{1,100}$/.test(reason)) return reason;
  logger.warn(
    `x402 order ${order.id}: the facilitator refused with ${JSON.stringify(String(reason).slice(0, 200))}`,
  );
  return fallback;
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
