import fc from 'fast-check';
import {
  CURRENCY_SCALE,
  formatAmount,
  Money,
  MoneyError,
  moneyField,
  parseAmount,
  parseDecimal,
  parseReportedAmount,
  roundTo,
  scaleOf,
} from './money';

describe('money', () => {
  it('knows each currency scale of docs/design.md (Money)', () => {
    expect(CURRENCY_SCALE).toMatchObject({
      USD: 2,
      EUR: 2,
      HKD: 2,
      CNY: 2,
      JPY: 0,
      IDR: 0,
      THB: 0,
      VND: 0,
      USDT: 6,
      USDC: 6,
      TRX: 6,
      BTC: 8,
      ETH: 18,
    });
    expect(() => scaleOf('XXX')).toThrow(MoneyError);
  });

  it('accepts a JSON number or a decimal string for the same amount', () => {
    expect(parseAmount(49.99, 'USD').equals(parseAmount('49.99', 'USD'))).toBe(true);
    expect(parseAmount('0.000001', 'USDT').toFixed()).toBe('0.000001');
    expect(parseAmount('1.000000000000000001', 'ETH').toFixed()).toBe('1.000000000000000001');
  });

  it('rejects more decimals than the currency allows', () => {
    expect(() => parseAmount(1.999, 'USD')).toThrow(/at most 2 decimal places/);
    expect(() => parseAmount('1.999', 'USD')).toThrow(MoneyError);
    expect(() => parseAmount('1.5', 'JPY')).toThrow(/at most 0 decimal places/);
    expect(() => parseAmount('0.0000001', 'USDC')).toThrow(MoneyError);
  });

  it('rejects negatives, zero (unless allowed), garbage and huge values', () => {
    expect(() => parseAmount(-1, 'USD')).toThrow(MoneyError);
    expect(() => parseAmount(0, 'USD')).toThrow(MoneyError);
    expect(parseAmount(0, 'USD', { allowZero: true }).isZero()).toBe(true);
    for (const bad of ['1e3', ' ', 'abc', '1.', '.5', '01', '0x10', NaN, Infinity, null, {}, [], true]) {
      expect(() => parseAmount(bad, 'USD')).toThrow(MoneyError);
    }
    expect(() => parseAmount(1e300, 'USD')).toThrow(/too large/);
  });

  it('does exact arithmetic where floats do not', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(parseDecimal('0.1').plus(parseDecimal('0.2')).toFixed()).toBe('0.3');
  });

  it('rounds half up to the currency scale', () => {
    expect(formatAmount('USD', roundTo('USD', new Money('199').times('0.8')))).toBe('159.20');
    expect(roundTo('USD', new Money('0.125')).toFixed()).toBe('0.13');
    expect(roundTo('USD', new Money('0.124999')).toFixed()).toBe('0.12');
    expect(roundTo('JPY', new Money('100.5')).toFixed()).toBe('101');
  });

  it('property: every amount printed at its scale parses back to itself', () => {
    const currency = fc.constantFrom(...Object.keys(CURRENCY_SCALE));
    fc.assert(
      fc.property(currency, fc.bigInt({ min: 0n, max: 10n ** 20n }), (cur, minor) => {
        const scale = CURRENCY_SCALE[cur];
        const d = new Money(minor.toString()).dividedBy(new Money(10).pow(scale));
        if (d.greaterThan('1e15')) return;
        const text = formatAmount(cur, d);
        const back = parseAmount(text, cur, { allowZero: true });
        expect(back.equals(d)).toBe(true);
        expect(back.decimalPlaces()).toBeLessThanOrEqual(scale);
      }),
      { numRuns: 500 },
    );
  });

  it('property: rounding to scale never moves an amount by half a minor unit or more', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('USD', 'JPY', 'USDT', 'BTC'),
        fc.bigInt({ min: 0n, max: 10n ** 24n }),
        fc.integer({ min: 0, max: 12 }),
        (cur, digits, extra) => {
          const d = new Money(digits.toString()).dividedBy(new Money(10).pow(CURRENCY_SCALE[cur] + extra));
          const r = roundTo(cur, d);
          const half = new Money(1).dividedBy(new Money(10).pow(CURRENCY_SCALE[cur])).dividedBy(2);
          expect(r.minus(d).abs().lte(half)).toBe(true);
          expect(r.decimalPlaces()).toBeLessThanOrEqual(CURRENCY_SCALE[cur]);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('takes a reported amount of any sign and scale up to the ceiling; a refusal names the field (400)', () => {
    expect(parseReportedAmount('-0.000000001').toFixed()).toBe('-0.000000001');
    expect(parseReportedAmount(`1${'0'.repeat(15)}`).toFixed()).toBe('1000000000000000');
    expect(() => parseReportedAmount(`1${'0'.repeat(15)}.01`)).toThrow(MoneyError);
    expect(() => parseReportedAmount(-1e16)).toThrow(MoneyError);
    expect(() => moneyField('amount', () => parseReportedAmount('12,5'))).toThrow(
      expect.objectContaining({ code: 'invalid_amount', details: { field: 'amount' } }),
    );
  });
});
