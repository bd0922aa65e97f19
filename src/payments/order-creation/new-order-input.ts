import { createHash } from 'node:crypto';
import type { Money } from '../../common/money';
import type { PaymentRoute } from '../contract/payment-provider';
import { parseRoute } from '../routing';
import { PaymentErrors } from '../payments.errors';

/** A platform order as asked for (POST /api/v1/orders). */
export interface NewOrderInput {
  application_id: string;
  package_id: string;
  pay_way: string;
  amount?: number | string;
  redirect_url?: string;
  /** Crypto: the token and chain to pay with (required with pay_way `Crypto`, which routes). */
  pay_currency?: string;
  chain?: string;
}

/** A merchant's direct order (merchant API): its own number, the price as given, routed by token and chain. */
export interface DirectOrderInput {
  orderNo: string;
  currency: string;
  price: Money;
  route: PaymentRoute;
  notifyUrl: string;
  redirectUrl: string | null;
  productName: string | null;
  meta: string | null;
}

/** What an Idempotency-Key is bound to: the request, canonicalised. */
export function hashRequest(input: NewOrderInput): string {
  const canonical = JSON.stringify({
    application_id: input.application_id,
    package_id: input.package_id,
    pay_way: input.pay_way.toLowerCase(),
    amount: input.amount === undefined ? null : String(input.amount),
    redirect_url: input.redirect_url ?? null,
    pay_currency: input.pay_currency?.toUpperCase() ?? null,
    chain: input.chain?.toUpperCase() ?? null,
  });
  return createHash('sha256').update(canonical).digest('hex');
}

/** The token and chain an order asks for: both or neither (400 naming the missing one). */
export function routeOf(input: NewOrderInput, routed: boolean): PaymentRoute | undefined {
  if (input.pay_currency === undefined && input.chain === undefined) {
    if (routed)
      throw PaymentErrors.route_required('pay_way Crypto needs pay_currency and chain', {
        field: 'pay_currency',
      });
    return undefined;
  }
  if (input.pay_currency === undefined)
    throw PaymentErrors.route_required('pay_currency is required with chain', {
      field: 'pay_currency',
    });
  if (input.chain === undefined)
    throw PaymentErrors.route_required('chain is required with pay_currency', { field: 'chain' });
  return parseRoute(input.pay_currency, input.chain);
}
