import { Text } from '@mantine/core';
import type { ReactNode } from 'react';
// Decimals of each currency: the server's own table, bundled (one table for the API and the console).
import { CURRENCY_SCALE } from '../../../src/common/currency-scale';

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;
const EXPONENT = /^(-?)(\d+)(?:\.(\d+))?e([+-]?\d+)$/i;

/**
 * The plain decimal text of an amount: a decimal string as it is, a JSON number by its shortest text
 * (`String(89.9)` is "89.9"), with an exponent form ("1e-7", "1e+21") spelled out by moving the point in
 * the digit string. No arithmetic on the value. Null when it is not a finite decimal.
 */
function decimalText(value: number | string): string | null {
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  const text = String(value).trim();
  if (DECIMAL.test(text)) return text;
  const m = EXPONENT.exec(text);
  if (!m) return null;
  const [, sign, whole, frac = '', exp] = m;
  const digits = whole + frac;
  const point = whole.length + Number(exp);
  const padded = point <= 0 ? '0'.repeat(1 - point) + digits : digits.padEnd(point, '0');
  const at = Math.max(point, 1);
  const intPart = padded.slice(0, at).replace(/^0+(?=\d)/, '');
  const fracPart = padded.slice(at);
  return `${sign}${intPart}${fracPart ? `.${fracPart}` : ''}`;
}

/**
 * An amount written at its currency's scale, by text only ("89.9" USD -> "89.90", "10.000000" USD ->
 * "10.00", 500 JPY -> "500"): digits are padded with zeros or surplus zeros dropped, never rounded. Digits
 * beyond the scale that are not zeros (which the API never sends) are kept, so the exact value shows.
 * An unknown currency (e.g. credits) keeps the decimal text as it is; text that is not a decimal is
 * returned unchanged.
 */
export function formatAmount(value: number | string, currency?: string | null): string {
  const text = decimalText(value);
  if (text === null) return String(value);
  const scale = currency ? CURRENCY_SCALE[currency] : undefined;
  if (scale === undefined) return text;
  const [, sign, whole, frac = ''] = DECIMAL.exec(text) as RegExpExecArray;
  let digits = frac;
  if (digits.length > scale) {
    const surplus = digits.slice(scale);
    if (!/^0+$/.test(surplus)) return text;
    digits = digits.slice(0, scale);
  }
  digits = digits.padEnd(scale, '0');
  return `${sign}${whole}${scale === 0 ? '' : `.${digits}`}`;
}

/**
 * An amount as the API sent it (a decimal string, or a JSON number the API already rounded to the
 * currency's scale), with its currency, at that currency's scale (formatAmount). Never parsed to a float.
 */
export function Money({
  amount,
  currency,
}: {
  amount: string | number | null | undefined;
  currency?: string | null;
}): ReactNode {
  if (amount === null || amount === undefined)
    return (
      <Text span c="dimmed">
        —
      </Text>
    );
  return (
    <Text span ff="monospace" size="sm" style={{ whiteSpace: 'nowrap' }}>
      {formatAmount(amount, currency)} {currency ?? ''}
    </Text>
  );
}
