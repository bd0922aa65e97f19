import { formatAmount, Money } from '../../common/money';
import type { PaymentRef } from '../contract/payment-provider';

/** A payment attempt still open at its provider (`pending`, with a provider reference), as read from SQL. */
export interface OpenAttempt {
  id: string;
  tenant_id: string;
  order_id: string;
  provider: string;
  provider_ref: string;
  amount: string;
  currency: string;
}

/** The columns an OpenAttempt is read with. */
export const OPEN_ATTEMPT_COLUMNS = 'id, tenant_id, order_id, provider, provider_ref, amount, currency';

/** The adapter's view of a stored attempt: amount at its currency's scale. */
export function refOf(p: Pick<OpenAttempt, 'id' | 'provider_ref' | 'amount' | 'currency'>): PaymentRef {
  return {
    paymentId: p.id,
    providerRef: p.provider_ref,
    amount: formatAmount(p.currency, new Money(p.amount)),
    currency: p.currency,
  };
}
