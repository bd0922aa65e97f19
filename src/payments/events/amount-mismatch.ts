import { formatAmount, Money } from '../../common/money';
import type { VerifiedEvent } from '../contract/payment-provider';
import type { Payment } from '../attempts/payment.entity';

/**
 * Why a provider's success cannot be credited to the attempt: another currency, another amount, an
 * unreadable amount, or no amount or currency at all; null when it matches the attempt exactly.
 */
export function amountMismatch(
  payment: Pick<Payment, 'amount' | 'currency'>,
  event: Pick<VerifiedEvent, 'amount' | 'currency'>,
): string | null {
  if (event.currency !== undefined && event.currency.toUpperCase() !== payment.currency) {
    return `currency mismatch: expected ${payment.currency}, got ${event.currency}`;
  }
  if (event.amount !== undefined) {
    let got: Money;
    try {
      got = new Money(event.amount);
    } catch {
      return `amount unreadable: ${event.amount}`;
    }
    if (!got.equals(new Money(payment.amount))) {
      return `amount mismatch: expected ${formatAmount(payment.currency, new Money(payment.amount))}, got ${event.amount}`;
    }
  }
  if (event.amount === undefined || event.currency === undefined)
    return 'confirmation carries no amount or currency';
  return null;
}
