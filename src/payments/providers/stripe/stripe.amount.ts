import { CURRENCY_SCALE, formatAmount, Money, MoneyError } from '../../../common/money';

/**
 * Stripe's zero-decimal currencies (docs.stripe.com/currencies#zero-decimal): amounts are whole units.
 * Every other currency paymux charges through Stripe counts in hundredths, including IDR and THB, which
 * paymux itself keeps at 0 decimals: THB 100 is `unit_amount=10000` at Stripe.
 */
const ZERO_DECIMAL = new Set([
  'BIF',
  'CLP',
  'DJF',
  'GNF',
  'JPY',
  'KMF',
  'KRW',
  'MGA',
  'PYG',
  'RWF',
  'UGX',
  'VND',
  'VUV',
  'XAF',
  'XOF',
  'XPF',
]);

/** The paymux currencies Stripe presents (the fiat ones of CURRENCY_SCALE; no tokens). */
export const STRIPE_CURRENCIES: ReadonlySet<string> = new Set([
  'USD',
  'EUR',
  'HKD',
  'CNY',
  'JPY',
  'IDR',
  'THB',
  'VND',
]);

const exponentOf = (currency: string): number => (ZERO_DECIMAL.has(currency) ? 0 : 2);

/**
 * An amount (decimal text in `currency`, upper case) as Stripe's integer `unit_amount` / `amount`.
 * Throws when the amount has more decimals than Stripe counts (never rounds) or does not fit a safe
 * integer (Stripe's own ceiling is far below).
 */
export function toStripeAmount(currency: string, amount: string): number {
  const minor = new Money(amount).times(new Money(10).pow(exponentOf(currency)));
  if (!minor.isInteger() || minor.isNegative())
    throw new MoneyError('too_many_decimals', `${amount} is not a whole number of ${currency} minor units`);
  if (minor.greaterThan(Number.MAX_SAFE_INTEGER)) throw new MoneyError('too_large', `${amount} is too large`);
  // A safe integer's text converts exactly: this renders, it does not compute.
  return Number(minor.toFixed(0));
}

/**
 * Stripe's integer amount back to decimal text at paymux's scale for `currency` (upper case). An amount
 * finer than paymux's scale (IDR 1.50 at Stripe) is returned unrounded, so it shows as a mismatch.
 */
export function fromStripeAmount(currency: string, minor: number): string {
  if (!Number.isSafeInteger(minor)) throw new MoneyError('not_a_number', `${minor} is not an integer amount`);
  const value = new Money(String(minor)).dividedBy(new Money(10).pow(exponentOf(currency)));
  const scale = CURRENCY_SCALE[currency];
  if (scale === undefined) throw new MoneyError('unknown_currency', `currency ${currency} is not supported`);
  return value.decimalPlaces() <= scale ? formatAmount(currency, value) : value.toFixed();
}
