/**
 * Digits after the decimal point, per currency (docs/design.md, Money). A file of its own with no
 * imports, so the console (console/src/components/money.tsx) shows amounts at the same scale from the
 * same table.
 */
export const CURRENCY_SCALE: Readonly<Record<string, number>> = Object.freeze({
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
