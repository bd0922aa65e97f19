/**
 * TokenPay's wire types and the small pure mappings around them: chain names, token decimals,
 * atomic amounts and transaction states (docs/providers.md "TokenPay").
 */
import { Money, MoneyError, scaleOf } from '../../../common/money';
import type { ProviderStatus } from '../../contract/payment-provider';
import { canonicalChain } from '../../contract/chains';

/** Every answer: `{code, msg, request_id, data}`; `code` 0 is success. */
export interface TokenPayEnvelope<T> {
  code?: number | string;
  msg?: string;
  request_id?: string;
  data?: T;
}

export interface PrepaymentData {
  prepay_id?: string;
  payment_url?: string;
}

/** TransactionDetail (query answers and decrypted callback resources), the fields we read. */
export interface TransactionDetail {
  out_trade_no?: string;
  transaction_id?: string;
  trade_state?: string;
  /** Atomic units (integer) with `decimals`; kept as text by `parseJsonExact`. */
  amount?: string | number;
  decimals?: number | string;
  chain?: string;
  /** A token symbol, or a CurrencyDetail object in query answers. */
  currency?: string | { currency?: string; chain?: string; decimal?: number | string };
  tx_id?: string;
  pay_time?: number;
  attach?: string;
}

/** The tokens and chains paymux routes to TokenPay (canonical paymux chain names). */
export const TOKENPAY_PAIRS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  USDT: ['TRON', 'BSC', 'ETH', 'SOL'],
  TRX: ['TRON'],
  ETH: ['ETH'],
});

/** paymux chain -> TokenPay `chain` (its docs name `TRON`, `ETHEREUM`, `BSC`). */
const WIRE_CHAIN: Readonly<Record<string, string>> = Object.freeze({
  TRON: 'TRON',
  BSC: 'BSC',
  ETH: 'ETHEREUM',
  SOL: 'SOLANA',
});

/**
 * On-chain decimals of each token, for the atomic `amount` of a new order (USDT is a 18-decimal token
 * on BSC, 6 elsewhere). Callbacks and queries carry their own `decimals`, which always win.
 */
const TOKEN_DECIMALS: Readonly<Record<string, number>> = Object.freeze({
  'USDT:TRON': 6,
  'USDT:ETH': 6,
  'USDT:SOL': 6,
  'USDT:BSC': 18,
  'TRX:TRON': 6,
  'ETH:ETH': 18,
});

/** The TokenPay chain name for a paymux chain or alias; an unknown name is passed on upper-cased. */
export function wireChain(chain: string): string {
  const canonical = canonicalChain(chain) ?? chain.trim().toUpperCase();
  return WIRE_CHAIN[canonical] ?? canonical;
}

export function tokenDecimals(currency: string, chain: string): number {
  const canonical = canonicalChain(chain) ?? chain.trim().toUpperCase();
  return TOKEN_DECIMALS[`${currency.toUpperCase()}:${canonical}`] ?? scaleOf(currency.toUpperCase());
}

/** A decimal amount as integer atomic units (`10.5` USDT on TRON -> `10500000`); never rounds. */
export function toAtomic(amount: string, decimals: number): string {
  const atomic = new Money(amount).times(new Money(10).pow(decimals));
  if (!atomic.isInteger() || atomic.isNegative())
    throw new MoneyError('too_many_decimals', `${amount} has more than ${decimals} decimals`);
  return atomic.toFixed(0);
}

/**
 * What TokenPay reports, as decimal text. An integer amount is atomic units and is divided by
 * `decimals` (the reported one, else the token's known decimals); an amount with a decimal point is
 * taken as already decimal. Undefined when it cannot be read: the core then refuses to credit.
 */
export function fromTokenPayAmount(
  amount: unknown,
  decimals: unknown,
  fallbackDecimals?: number,
): string | undefined {
  const text = typeof amount === 'number' ? String(amount) : typeof amount === 'string' ? amount.trim() : '';
  if (!/^\d+(\.\d+)?$/.test(text)) return undefined;
  if (text.includes('.')) return new Money(text).toFixed();
  const places = readDecimals(decimals) ?? fallbackDecimals;
  if (places === undefined) return undefined;
  return new Money(text).dividedBy(new Money(10).pow(places)).toFixed();
}

function readDecimals(value: unknown): number | undefined {
  const text = typeof value === 'number' || typeof value === 'string' ? String(value).trim() : '';
  if (!/^\d{1,2}$/.test(text)) return undefined;
  return Number(text);
}

/** The token symbol of a transaction (a plain string in callbacks, a CurrencyDetail in queries). */
export function currencyOf(t: TransactionDetail): string | undefined {
  const c = t.currency;
  if (typeof c === 'string' && c.length > 0) return c.toUpperCase();
  if (c && typeof c === 'object' && typeof c.currency === 'string') return c.currency.toUpperCase();
  return undefined;
}

/** The decimal amount of a transaction: its `decimals`, else its CurrencyDetail's, else the token's. */
export function amountOf(t: TransactionDetail): string | undefined {
  const currency = currencyOf(t);
  const detailDecimals = typeof t.currency === 'object' ? t.currency?.decimal : undefined;
  let fallback: number | undefined;
  if (currency && typeof t.chain === 'string') {
    try {
      fallback = tokenDecimals(currency, t.chain);
    } catch {
      fallback = undefined;
    }
  }
  return fromTokenPayAmount(t.amount, t.decimals ?? detailDecimals, fallback);
}

/** trade_state -> paymux outcome; only explicit success or failure is final. */
export function outcomeOf(tradeState: unknown): ProviderStatus['status'] {
  switch (typeof tradeState === 'string' ? tradeState.toUpperCase() : '') {
    case 'SUCCESS':
      return 'succeeded';
    case 'CLOSED':
    case 'EXPIRED':
    case 'REVOKED':
      return 'expired';
    case 'FAILED':
    case 'PAYERROR':
      return 'failed';
    default:
      // NOTPAY, USERPAYING, REFUND (paid, then given back) and anything new: not final.
      return 'pending';
  }
}

/**
 * JSON.parse that keeps every `"amount": <number>` as its exact text: atomic amounts of 18-decimal
 * tokens exceed 2^53 and must not go through a float.
 */
export function parseJsonExact(text: string): unknown {
  return JSON.parse(
    text.replace(/"amount"(\s*):(\s*)(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g, '"amount"$1:$2"$3"'),
  );
}
