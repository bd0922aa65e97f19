import fc from 'fast-check';
import { CURRENCY_SCALE, Money } from '../common/money';
import type { Package } from './package.entity';
import { quote } from './pricing';

function customPackage(currency: string, unitPrice: string, discount: string): Package {
  return {
    currency,
    price: '0',
    amount: '1',
    discount,
    customUnitPrice: unitPrice,
    customMin: '0.000001',
    customMax: '1000000000',
  } as Package;
}

/** A decimal text with up to `scale` decimals built from an integer count of its smallest unit. */
const decimalOf = (units: bigint, scale: number): string =>
  new Money(units.toString()).div(10 ** scale).toFixed();

describe('custom-amount pricing', () => {
  it('charges the exact price when it falls on the scale, and rounds a third of a cent up, not away', () => {
    const third = customPackage('USD', '0.003333333333', '1');
    expect(quote(third, 1).price.toFixed()).toBe('0.01'); // half up charged 0.00
    expect(quote(third, 4).price.toFixed()).toBe('0.02'); // 0.013333... half up charged 0.01
    expect(quote(customPackage('USD', '0.1', '1'), 250).price.toFixed()).toBe('25');
    expect(quote(customPackage('JPY', '1.5', '1'), 3).price.toFixed()).toBe('5'); // 4.5
  });

  it('never charges less than the exact price, and less than one minor unit more', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(CURRENCY_SCALE)),
        fc.bigInt({ min: 1n, max: 10n ** 15n }), // unit price in 10^-12
        fc.bigInt({ min: 1n, max: 10n ** 12n }), // credits in 10^-6
        fc.integer({ min: 1, max: 1_000_000 }), // discount in 10^-6
        (currency, unitUnits, creditUnits, discountUnits) => {
          const unitPrice = decimalOf(unitUnits, 12);
          const credits = decimalOf(creditUnits, 6);
          const discount = decimalOf(BigInt(discountUnits), 6);
          const charged = quote(customPackage(currency, unitPrice, discount), credits).price;
          const exact = new Money(unitPrice).times(credits).times(discount);
          const minorUnit = new Money(1).div(new Money(10).pow(CURRENCY_SCALE[currency]));
          expect(charged.decimalPlaces()).toBeLessThanOrEqual(CURRENCY_SCALE[currency]);
          expect(charged.gte(exact)).toBe(true);
          expect(charged.minus(exact).lt(minorUnit)).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
