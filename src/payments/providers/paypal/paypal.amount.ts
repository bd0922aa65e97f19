import { Money } from '../../../common/money';
import { ProviderError } from '../../contract/payment-provider';

/**
 * The currencies PayPal takes through the REST API and the decimals it wants in `value`: two, except
 * HUF, JPY and TWD, which take none (docs/providers.md). paymux's own scale can differ (THB is 0 in paymux,
 * 2 at PayPal), so amounts are re-rendered at PayPal's scale, exactly.
 */
export const PAYPAL_SCALE: Readonly<Record<string, number>> = Object.freeze({
  AUD: 2,
  BRL: 2,
  CAD: 2,
  CHF: 2,
  CNY: 2,
  CZK: 2,
  DKK: 2,
  EUR: 2,
  GBP: 2,
  HKD: 2,
  HUF: 0,
  ILS: 2,
  JPY: 0,
  MXN: 2,
  MYR: 2,
  NOK: 2,
  NZD: 2,
  PHP: 2,
  PLN: 2,
  SEK: 2,
  SGD: 2,
  THB: 2,
  TWD: 0,
  USD: 2,
});

export function paypalTakes(currency: string): boolean {
  return Object.prototype.hasOwnProperty.call(PAYPAL_SCALE, currency);
}

/**
 * An amount (decimal text) as PayPal's `value`: "49.99", "500" (JPY), "100.00" (THB). Refuses, never
 * rounds, when PayPal's scale cannot hold the amount exactly.
 */
export function toPayPalValue(currency: string, amount: string): string {
  if (!paypalTakes(currency))
    throw new ProviderError('rejected', `PayPal does not take ${currency}`, 'CURRENCY_NOT_SUPPORTED');
  const scale = PAYPAL_SCALE[currency];
  let d: Money;
  try {
    d = new Money(amount);
  } catch {
    throw new ProviderError('rejected', `amount ${amount} is not a decimal`, 'INVALID_AMOUNT');
  }
  if (d.isNegative() || d.decimalPlaces() > scale)
    throw new ProviderError(
      'rejected',
      `${amount} ${currency} cannot be charged at PayPal without rounding (${scale} decimals)`,
      'DECIMAL_PRECISION',
    );
  return d.toFixed(scale);
}
