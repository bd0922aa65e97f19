/**
 * Alchemy Pay wire facts from its API docs: the accepted `payCurrency` values and their amount rule,
 * the token/network table, order statuses, response codes, and the `orderAmount` unit setting.
 */
import { formatAmount, fromMinorUnits, Money, parseDecimal, toMinorUnits } from '../../../common/money';
import { ProviderError } from '../../contract/payment-provider';
import { canonicalChain } from '../../contract/chains';

/**
 * The fiat `payCurrency` values Alchemy accepts and their decimals (Alchemy Pay's docs: "USD/EUR/HKD: 2 non-zero
 * decimal places after the decimal point, 100.12; IDR/THB/VND: integer, 1000").
 */
export const PAY_CURRENCY_DECIMALS: Readonly<Record<string, number>> = Object.freeze({
  USD: 2,
  EUR: 2,
  HKD: 2,
  IDR: 0,
  THB: 0,
  VND: 0,
});

/** Alchemy Pay's "Supported Token" table: crypto -> networks, in Alchemy's own network names. */
export const TOKEN_NETWORKS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  USDT: ['TRX', 'BSC', 'ETH', 'SOL'],
  USDC: ['TRX', 'BSC', 'ETH', 'SOL'],
  ETH: ['ETH', 'BSC'],
  BTC: ['BTC'],
  PCI: ['ETH', 'PCI'],
  TON: ['TON'],
});

/** paymux's canonical chain names (routing.ts) that Alchemy spells differently. */
const NETWORK_OF_CHAIN: Readonly<Record<string, string>> = Object.freeze({ TRON: 'TRX' });

/** Alchemy's name for a chain (`TRON`, `trc20` -> `TRX`; `ETH` -> `ETH`); Alchemy-only names pass. */
export function alchemyNetwork(chain: string): string {
  const canonical = canonicalChain(chain);
  if (canonical) return NETWORK_OF_CHAIN[canonical] ?? canonical;
  return chain.trim().toUpperCase();
}

export function isPayCurrency(currency: string): boolean {
  return Object.prototype.hasOwnProperty.call(PAY_CURRENCY_DECIMALS, currency.toUpperCase());
}

/** Whether Alchemy takes this token on this network (Alchemy Pay's docs' table). */
export function tokenOnNetwork(token: string, network: string): boolean {
  const key = token.toUpperCase();
  const networks = Object.prototype.hasOwnProperty.call(TOKEN_NETWORKS, key)
    ? TOKEN_NETWORKS[key]
    : undefined;
  return networks !== undefined && networks.includes(network);
}

export type AmountUnit = 'decimal' | 'cent';

/**
 * *Unsure* (docs/providers.md): Alchemy Pay's docs' field table says `orderAmount` is in cents, while its currency
 * table and request example send decimal amounts ("100.12", "100"). `PAYMUX_ALCHEMY_AMOUNT_UNIT`
 * chooses: `decimal` (the default) or `cent`. Read at each call, so an operator can switch it without
 * touching tenants' accounts. Throws on any other value rather than guess.
 */
export function alchemyAmountUnit(
  env: Readonly<Record<string, string | undefined>> = process.env,
): AmountUnit {
  const raw = env.PAYMUX_ALCHEMY_AMOUNT_UNIT?.trim().toLowerCase();
  if (raw === undefined || raw === '' || raw === 'decimal') return 'decimal';
  if (raw === 'cent') return 'cent';
  throw new Error(`PAYMUX_ALCHEMY_AMOUNT_UNIT must be "decimal" or "cent", not "${raw}"`);
}

/**
 * `orderAmount` for an amount in `currency`. `decimal`: at most the currency's decimals, without
 * trailing zeros (49.99 -> "49.99", 50.00 -> "50", 49.90 -> "49.9"; IDR 150000 -> "150000"), which
 * meets "2 non-zero decimal places" and Alchemy Pay's docs' `"orderAmount": "100"` example alike. `cent`: the
 * amount in minor units at those decimals (USD 49.99 -> "4999"; IDR, THB, VND have none: as is).
 * A currency Alchemy does not take, or an amount with too many decimals, is refused before any call.
 */
export function toOrderAmount(currency: string, amount: string, unit: AmountUnit): string {
  const code = currency.toUpperCase();
  if (!isPayCurrency(code))
    throw new ProviderError(
      'rejected',
      `Alchemy Pay charges USD, EUR, HKD, IDR, THB or VND, not ${currency}`,
      'unsupported_currency',
    );
  const decimals = PAY_CURRENCY_DECIMALS[code];
  const d = new Money(amount);
  if (d.decimalPlaces() > decimals || d.lte(0))
    throw new ProviderError(
      'rejected',
      `${amount} ${code} is not a valid Alchemy Pay amount (${decimals === 0 ? 'an integer' : `at most ${decimals} decimals`})`,
      'validation',
    );
  return unit === 'cent' ? toMinorUnits(code, d) : d.toFixed();
}

/**
 * The inverse, for what a callback or a query reports: decimal text at the currency's scale; the raw
 * text when it cannot be read (the core then flags the confirmation instead of crediting it).
 */
export function fromOrderAmount(currency: string, orderAmount: string, unit: AmountUnit): string {
  try {
    if (unit === 'cent') return fromMinorUnits(currency.toUpperCase(), orderAmount.trim());
    return formatAmount(currency.toUpperCase(), parseDecimal(orderAmount));
  } catch {
    return orderAmount;
  }
}

/**
 * `merchantOrderNo` ("only number", at most 64 characters) for a payment: the payment id's 128 bits
 * as a decimal number (at most 39 digits). A pure function of our payment id, so the query and
 * reconciliation can always derive it again without storing it.
 */
export function merchantOrderNoOf(paymentId: string): string {
  const hex = paymentId.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`payment id ${paymentId} is not a UUID`);
  return BigInt(`0x${hex}`).toString(10);
}

/** Alchemy Pay's order statuses, normalised to paymux's outcomes; anything else stays pending. */
export function outcomeOf(orderStatus: unknown): 'succeeded' | 'failed' | 'expired' | 'pending' {
  switch (orderStatus) {
    case 'COMPLETED':
    case 'DELAY_SUCCESS': // paid after the order timed out: the money arrived, so it is credited
      return 'succeeded';
    case 'CLOSE':
    case 'TIMEOUT':
      return 'expired';
    case 'FAILED':
    case 'DELAY_FAILED':
      return 'failed';
    default:
      return 'pending';
  }
}

/** `{code, msg, model, traceId}`: every Alchemy answer. */
export interface AlchemyEnvelope<T> {
  success?: boolean;
  error?: boolean;
  code?: string | number;
  msg?: string | null;
  traceId?: string;
  model?: T | null;
}

export interface CreateOrderModel {
  orderNo?: string;
  webUrl?: string;
}

/** The query answer's order (and the callback's body): the fields paymux reads. */
export interface AlchemyOrder {
  orderNo?: string;
  orderStatus?: string;
  merchantOrderNo?: string;
  orderCurrency?: string;
  orderAmount?: string;
  payCryptoCurrency?: string;
  payCryptoVolume?: string;
  payCryptoNetwork?: string;
  appId?: string;
  sign?: string;
}

/** A stable name for each documented non-zero code (ProviderError.providerCode), and its kind. */
const CODES: Readonly<Record<string, { kind: ProviderError['kind']; name: string; what: string }>> = {
  '1': { kind: 'rejected', name: 'payment_abnormal', what: 'payment abnormality' },
  '8000': { kind: 'rejected', name: 'validation', what: 'parameter validation error' },
  '8003': { kind: 'rejected', name: 'content_type', what: 'content-type must be application/json' },
  '8004': { kind: 'rejected', name: 'request_format', what: 'request body must be JSON' },
  '8007': { kind: 'credentials', name: 'signature', what: 'signature refused (check app_id and app_secret)' },
  '8011': { kind: 'rejected', name: 'duplicate_order', what: 'repeated merchantOrderNo' },
  '8012': { kind: 'credentials', name: 'ip_not_allowed', what: "this server's IP is not whitelisted" },
  '8013': { kind: 'rejected', name: 'unsupported_crypto', what: 'unsupported crypto' },
};

/** The ProviderError for a non-zero `code`, with Alchemy's own message kept. */
export function errorForCode(code: string, msg: string | null | undefined): ProviderError {
  const known = Object.prototype.hasOwnProperty.call(CODES, code) ? CODES[code] : undefined;
  const text = msg ? `: ${msg}` : '';
  if (known)
    return new ProviderError(known.kind, `${known.what} (Alchemy Pay code ${code}${text})`, known.name);
  return new ProviderError('rejected', `Alchemy Pay code ${code}${text}`, code);
}
