import Decimal from 'decimal.js';
import { CommonErrors } from './common.errors';
import { CURRENCY_SCALE } from './currency-scale';

export { CURRENCY_SCALE };

/**
 * Exact money. Every amount is a Decimal at its currency's scale; no float ever touches money.
 * JSON numbers arrive as JS numbers, whose shortest round-trip text (String(n)) is the literal
 * the client wrote for any amount of up to 15 significant digits, so we parse that text.
 */
export const Money = Decimal.clone({
  precision: 60,
  rounding: Decimal.ROUND_HALF_UP,
  toExpNeg: -40,
  toExpPos: 60,
});
export type Money = Decimal;

/** Credits (what packages sell) carry at most six decimals. */
export const CREDIT_SCALE = 6;

export const CURRENCIES = Object.freeze(Object.keys(CURRENCY_SCALE));

/** The largest amount paymux accepts anywhere: 10^15 units. */
const MAX_AMOUNT = new Money('1e15');

export class MoneyError extends Error {
  constructor(
    readonly reason: 'not_a_number' | 'negative' | 'too_many_decimals' | 'too_large' | 'unknown_currency',
    message: string,
  ) {
    super(message);
  }
}

export function isCurrency(code: string): boolean {
  return Object.prototype.hasOwnProperty.call(CURRENCY_SCALE, code);
}

export function scaleOf(currency: string): number {
  const scale = CURRENCY_SCALE[currency];
  if (scale === undefined) throw new MoneyError('unknown_currency', `currency ${currency} is not supported`);
  return scale;
}

const DECIMAL_TEXT = /^-?(?:0|[1-9]\d*)(?:\.\d+)?$/;

/** Parse a JSON number or decimal string into an exact Decimal; no scale check. */
export function parseDecimal(value: unknown): Decimal {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new MoneyError('not_a_number', 'must be a finite number');
    text = String(value);
    if (/e/i.test(text)) {
      // 1e-7 or 1e+21: exact from the number's own text, still no float arithmetic.
      return new Money(text);
    }
  } else if (typeof value === 'string') {
    text = value.trim();
  } else {
    throw new MoneyError('not_a_number', 'must be a decimal number or a decimal string');
  }
  if (!DECIMAL_TEXT.test(text))
    throw new MoneyError('not_a_number', 'must be a decimal number or a decimal string');
  return new Money(text);
}

/**
 * Parse an amount as a payer reports it (the Sandbox payer's simulated amount, checked against the
 * attempt later): any sign and scale, at most the ceiling in size.
 */
export function parseReportedAmount(value: unknown): Decimal {
  const d = parseDecimal(value);
  if (d.abs().gt(MAX_AMOUNT)) throw new MoneyError('too_large', 'is too large');
  return d;
}

/** Run a money parse of field `name`: a MoneyError becomes a 400 invalid_amount naming the field. */
export function moneyField<T>(name: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof MoneyError) throw CommonErrors.invalid_amount(`${name} ${e.message}`, { field: name });
    throw e;
  }
}

/** Parse an amount for `currency`: non-negative, at most the currency's scale, below the ceiling. */
export function parseAmount(value: unknown, currency: string, opts: { allowZero?: boolean } = {}): Decimal {
  const scale = scaleOf(currency);
  return checkAmount(parseDecimal(value), scale, opts);
}

/** Parse a quantity (credits) with a fixed maximum scale. */
export function parseQuantity(value: unknown, scale: number, opts: { allowZero?: boolean } = {}): Decimal {
  return checkAmount(parseDecimal(value), scale, opts);
}

function checkAmount(d: Decimal, scale: number, opts: { allowZero?: boolean }): Decimal {
  if (d.isNegative() || (!opts.allowZero && d.isZero())) {
    throw new MoneyError('negative', opts.allowZero ? 'must not be negative' : 'must be greater than 0');
  }
  if (d.decimalPlaces() > scale) {
    throw new MoneyError('too_many_decimals', `must have at most ${scale} decimal places`);
  }
  if (d.greaterThan(MAX_AMOUNT)) throw new MoneyError('too_large', 'is too large');
  return d;
}

/** Round to the currency's scale, half up (the rounding paymux applies to discounts and conversions). */
export function roundTo(currency: string, d: Decimal): Decimal {
  return d.toDecimalPlaces(scaleOf(currency), Decimal.ROUND_HALF_UP);
}

/** Round UP to the currency's scale (ceil): what a price computed from a rate must never fall below. */
export function roundUpTo(currency: string, d: Decimal): Decimal {
  return d.toDecimalPlaces(scaleOf(currency), Decimal.ROUND_CEIL);
}

/** Fixed text at the currency's scale, for storage and the string dialect: "49.90". */
export function formatAmount(currency: string, d: Decimal): string {
  return d.toFixed(scaleOf(currency));
}

/** A decimal rendered as a JSON number for the platform API, whose money fields are numbers. */
export function toJsonNumber(value: string | Decimal): number {
  // Number() of a decimal's text is the closest double; it is only ever used to render, never to compute.
  return Number(typeof value === 'string' ? value : value.toString());
}

/**
 * An amount in the currency's smallest unit as integer text (USD 10.50 -> "1050", JPY 500 -> "500",
 * USDC 1.5 -> "1500000"): Stripe's `unit_amount`, WeChat's fen, x402's atomic units. Throws when the
 * amount has more decimals than the currency allows (never rounds silently).
 */
export function toMinorUnits(currency: string, amount: string | Decimal): string {
  const minor = new Money(amount).times(new Money(10).pow(scaleOf(currency)));
  if (!minor.isInteger())
    throw new MoneyError(
      'too_many_decimals',
      `${amount.toString()} has more decimals than ${currency} allows`,
    );
  return minor.toFixed(0);
}

/** The inverse of toMinorUnits: integer minor units to decimal text at the currency's scale. */
export function fromMinorUnits(currency: string, minor: string | number | bigint): string {
  const text = String(minor);
  if (!/^-?\d+$/.test(text))
    throw new MoneyError('not_a_number', `${text} is not an integer amount of minor units`);
  const scale = scaleOf(currency);
  return new Money(text).dividedBy(new Money(10).pow(scale)).toFixed(scale);
}
