/** Alipay gateway wire types, status mapping and error mapping. */
import { ProviderError } from '../../contract/payment-provider';

/** A `<method>_response` (or `error_response`) member: `code` "10000" is success. */
export interface AlipayResult {
  code: string;
  msg: string;
  sub_code?: string;
  sub_msg?: string;
  [field: string]: unknown;
}

export const SUCCESS = '10000';

export type Outcome = 'succeeded' | 'failed' | 'expired' | 'pending';

/**
 * trade_status -> paymux outcome. TRADE_FINISHED (no more refunds possible) is as paid as
 * TRADE_SUCCESS; TRADE_CLOSED is an unpaid trade closed (timeout or close call) or a fully refunded
 * one (the core ignores it then: the payment already succeeded); anything else is pending.
 */
export function outcomeOfTradeStatus(status: unknown): Outcome {
  switch (status) {
    case 'TRADE_SUCCESS':
    case 'TRADE_FINISHED':
      return 'succeeded';
    case 'TRADE_CLOSED':
      return 'expired';
    default:
      return 'pending';
  }
}

/** A string field of a result, or undefined. */
export function text(r: Readonly<Record<string, unknown>>, field: string): string | undefined {
  const v = r[field];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Sub-codes that mean the tenant's app id, key or signature was refused. */
const CREDENTIAL_SUB_CODE = /signature|app-id|app_id|appid|cert|public-key|auth-token|app-unavailable/i;

/**
 * The ProviderError for a gateway answer that is not success: the gateway's own refusals of the app
 * or its signature (40001/40002 with a signature or app-id sub-code, 40006, 20001) are `credentials`;
 * 20000 and ACQ.SYSTEM_ERROR (Alipay: "retry") are `unavailable`; other business failures `rejected`,
 * with Alipay's sub_msg.
 */
export function errorOf(r: AlipayResult): ProviderError {
  const sub = r.sub_code ?? '';
  const message = [r.sub_msg || r.msg || 'Alipay refused the request', sub || r.code]
    .filter(Boolean)
    .join(' ');
  const code = sub || r.code || undefined;
  if (r.code === '20000' || /SYSTEM_ERROR$/.test(sub)) return new ProviderError('unavailable', message, code);
  if (r.code === '20001' || r.code === '40006') return new ProviderError('credentials', message, code);
  if ((r.code === '40001' || r.code === '40002') && CREDENTIAL_SUB_CODE.test(sub))
    return new ProviderError('credentials', message, code);
  return new ProviderError('rejected', message, code);
}

/** Yuan with at most two decimals, as Alipay writes amounts ("71.23", "0.01", "100"). */
export function isYuan(value: unknown): value is string {
  return typeof value === 'string' && /^(?:0|[1-9]\d{0,11})(?:\.\d{1,2})?$/.test(value);
}
