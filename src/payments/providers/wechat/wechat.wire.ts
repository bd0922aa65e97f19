/**
 * WeChat Pay v3 wire types and the mappings from its states to paymux's (docs/providers.md "WeChat Pay v3").
 * Only an explicit success or failure is final; anything unrecognised is pending.
 */
import { fromMinorUnits, MoneyError, toMinorUnits } from '../../../common/money';
import type { ProviderStatus, RefundResult } from '../../contract/payment-provider';
import { ProviderError } from '../../contract/payment-provider';

/** `amount` of a transaction: fen as integers. */
export interface WechatAmount {
  total?: unknown;
  payer_total?: unknown;
  currency?: unknown;
  payer_currency?: unknown;
}

/** A transaction, as the query API answers it and a TRANSACTION.* callback's resource decrypts to. */
export interface WechatTransaction {
  appid?: unknown;
  mchid?: unknown;
  out_trade_no?: unknown;
  transaction_id?: unknown;
  trade_type?: unknown;
  trade_state?: unknown;
  trade_state_desc?: unknown;
  success_time?: unknown;
  attach?: unknown;
  payer?: { openid?: unknown };
  amount?: WechatAmount;
}

export interface WechatRefund {
  refund_id?: unknown;
  out_refund_no?: unknown;
  out_trade_no?: unknown;
  status?: unknown;
  amount?: { refund?: unknown; total?: unknown; currency?: unknown };
}

/** A v3 error answer. */
export interface WechatError {
  code?: unknown;
  message?: unknown;
}

/** The callback envelope (the resource is encrypted). */
export interface WechatNotification {
  id?: unknown;
  create_time?: unknown;
  event_type?: unknown;
  resource_type?: unknown;
  summary?: unknown;
  resource?: unknown;
}

const OUT_TRADE_NO = /^[0-9A-Za-z_\-*]{6,32}$/;

/** Our out_trade_no for a payment attempt: its uuid without dashes (32 hex characters). */
export function outTradeNoOf(paymentId: string): string {
  const no = paymentId.replace(/-/g, '');
  if (!OUT_TRADE_NO.test(no))
    throw new ProviderError('rejected', `${paymentId} cannot be a WeChat out_trade_no`);
  return no;
}

/** Our out_refund_no: the refund's uuid without dashes (WeChat allows up to 64 characters). */
export function outRefundNoOf(refundId: string): string {
  const no = refundId.replace(/-/g, '');
  if (!/^[0-9A-Za-z_\-*|@]{1,64}$/.test(no))
    throw new ProviderError('rejected', `${refundId} cannot be a WeChat out_refund_no`);
  return no;
}

/** RFC 3339 in Beijing time, as WeChat writes it: `2024-08-01T18:00:00+08:00` (whole seconds). */
export function beijingTime(at: Date): string {
  const shifted = new Date(Math.floor(at.getTime() / 1000) * 1000 + 8 * 3600 * 1000);
  return `${shifted.toISOString().slice(0, 19)}+08:00`;
}

/** At most `max` characters (code points, so no surrogate pair is ever cut in half). */
export function truncateChars(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : chars.slice(0, max).join('');
}

/** Yuan (2 decimals) to fen, as a JSON-safe integer; more decimals than CNY has is refused, never rounded. */
export function toFen(amount: string, currency: string): number {
  if (currency.toUpperCase() !== 'CNY')
    throw new ProviderError('rejected', `WeChat Pay charges CNY, not ${currency}`);
  let fen: string;
  try {
    fen = toMinorUnits('CNY', amount);
  } catch (err) {
    if (err instanceof MoneyError) throw new ProviderError('rejected', err.message);
    throw err;
  }
  const n = Number(fen);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new ProviderError('rejected', `${amount} CNY is not an amount WeChat Pay can charge`);
  return n;
}

/** What WeChat reports collected: fen back to yuan, with its currency; undefined when unreadable. */
export function collected(
  amount: WechatAmount | undefined,
): { amount: string; currency: string } | undefined {
  if (!amount || typeof amount !== 'object') return undefined;
  const total = amount.total;
  if (typeof total !== 'number' || !Number.isSafeInteger(total) || total < 0) return undefined;
  const currency =
    typeof amount.currency === 'string' && amount.currency ? amount.currency.toUpperCase() : 'CNY';
  // fen is CNY's minor unit; a foreign currency is reported as is and flagged by the core as a mismatch.
  return { amount: fromMinorUnits('CNY', total), currency };
}

/** A callback's trade_state: SUCCESS final; CLOSED expired; REVOKED and PAYERROR failed; else pending. */
export function notificationOutcome(state: string): 'succeeded' | 'failed' | 'expired' | 'pending' {
  switch (state) {
    case 'SUCCESS':
      return 'succeeded';
    case 'CLOSED':
      return 'expired';
    case 'REVOKED':
    case 'PAYERROR':
      return 'failed';
    default:
      return 'pending';
  }
}

/**
 * The query API's trade_state: SUCCESS and REFUND (it was paid, then refunded) succeeded; CLOSED and
 * REVOKED expired; PAYERROR failed; NOTPAY, USERPAYING and anything unknown pending.
 */
export function queryStatus(state: string): ProviderStatus['status'] {
  switch (state) {
    case 'SUCCESS':
    case 'REFUND':
      return 'succeeded';
    case 'CLOSED':
    case 'REVOKED':
      return 'expired';
    case 'PAYERROR':
      return 'failed';
    default:
      return 'pending';
  }
}

/**
 * A refund's status: SUCCESS succeeded, CLOSED failed, anything else pending. ABNORMAL is not a
 * failure: the money has left the merchant's balance but the payer's card refused it, and the
 * merchant re-routes it by hand in the merchant platform. Releasing it as failed would let the same
 * credits be refunded again; it stays pending (its credits held) until WeChat reports SUCCESS or CLOSED.
 */
export function refundStatus(status: string): RefundResult['status'] {
  switch (status) {
    case 'SUCCESS':
      return 'succeeded';
    case 'CLOSED':
      return 'failed';
    default:
      return 'pending';
  }
}

export const str = (v: unknown): string => (typeof v === 'string' ? v : '');
