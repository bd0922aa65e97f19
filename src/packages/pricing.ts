import Decimal from 'decimal.js';
import {
  CREDIT_SCALE,
  Money,
  moneyField,
  parseAmount,
  parseDecimal,
  parseQuantity,
  roundTo,
  roundUpTo,
} from '../common/money';
import type { Package } from './package.entity';
import { CommonErrors } from '../common/common.errors';
import { PackageErrors } from './packages.errors';

const UNIT_PRICE_SCALE = 12;

export function parseDiscount(raw: unknown): Decimal {
  const d = moneyField('discount', () => parseDecimal(raw));
  if (d.lte(0) || d.gt(1) || d.decimalPlaces() > 6) {
    throw CommonErrors.invalid_amount(
      'discount must be greater than 0 and at most 1, with at most 6 decimals',
      {
        field: 'discount',
      },
    );
  }
  return d;
}

export interface PackageTerms {
  amount: Decimal;
  price: Decimal;
  currency: string;
  discount: Decimal;
  custom?: { unitPrice: Decimal; min: Decimal; max: Decimal };
}

/** Validate a package's numbers: price at the currency's scale, credits at 6 decimals, min <= max. */
export function parseTerms(raw: {
  amount: unknown;
  price: unknown;
  currency: string;
  discount?: unknown;
  custom_amount?: { unit_price: unknown; min: unknown; max: unknown };
}): PackageTerms {
  const terms: PackageTerms = {
    amount: moneyField('amount', () => parseQuantity(raw.amount, CREDIT_SCALE)),
    price: moneyField('price', () => parseAmount(raw.price, raw.currency, { allowZero: true })),
    currency: raw.currency,
    discount: raw.discount === undefined ? new Money(1) : parseDiscount(raw.discount),
  };
  if (raw.custom_amount) {
    const c = raw.custom_amount;
    const custom = {
      unitPrice: moneyField('custom_amount.unit_price', () => parseQuantity(c.unit_price, UNIT_PRICE_SCALE)),
      min: moneyField('custom_amount.min', () => parseQuantity(c.min, CREDIT_SCALE)),
      max: moneyField('custom_amount.max', () => parseQuantity(c.max, CREDIT_SCALE)),
    };
    if (custom.min.gt(custom.max)) {
      throw CommonErrors.invalid_amount('custom_amount.min must not exceed custom_amount.max', {
        field: 'custom_amount.min',
      });
    }
    terms.custom = custom;
  }
  return terms;
}

/**
 * What an order for this package buys and costs. Fixed: the package's credits at price x discount.
 * Custom: the asked credits at unit_price x credits x discount, rounded UP to the currency's scale, so
 * the buyer never pays less than the exact price (half up lost up to a third at tiny unit prices).
 */
export function quote(
  pkg: Package,
  customAmount: unknown,
): { amount: Decimal; price: Decimal; discount: Decimal } {
  const discount = new Money(pkg.discount);
  if (customAmount === undefined || customAmount === null) {
    return {
      amount: new Money(pkg.amount),
      price: roundTo(pkg.currency, new Money(pkg.price).times(discount)),
      discount,
    };
  }
  if (!pkg.customUnitPrice || !pkg.customMin || !pkg.customMax) {
    throw PackageErrors.custom_amount_not_supported('this package does not take a custom amount', {
      field: 'amount',
    });
  }
  const amount = moneyField('amount', () => parseQuantity(customAmount, CREDIT_SCALE));
  if (amount.lt(pkg.customMin) || amount.gt(pkg.customMax)) {
    throw PackageErrors.amount_out_of_range(
      `amount must be between ${new Money(pkg.customMin).toFixed()} and ${new Money(pkg.customMax).toFixed()}`,
      {
        field: 'amount',
      },
    );
  }
  return {
    amount,
    price: roundUpTo(pkg.currency, new Money(pkg.customUnitPrice).times(amount).times(discount)),
    discount,
  };
}
