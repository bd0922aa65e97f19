import { DomainError } from './domain-error';

/** A normalised error before it is put into the dialect of the API being called. */
export interface NormalisedError {
  status: number;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** Seed 001 numeric codes for the platform's stable string codes. */
const SEED001_CODES: Record<string, number> = {
  unauthenticated: 1001,
  forbidden: 1002,
  order_not_found: 4001,
  order_not_payable: 4002,
  pay_way_unsupported: 4003,
  pay_way_unavailable: 4003,
  invalid_pay_way: 4003,
  zero_amount: 4004,
};

/**
 * Merchant API (seed 004) codes. Anything else: 10009 for a server error, 10003 (invalid parameter)
 * for any other refusal.
 */
const MERCHANT_CODES: Record<string, number> = {
  unauthenticated: 10001,
  forbidden: 10001,
  stale_request: 10002,
  duplicate_order_no: 10004,
  order_not_found: 10005,
  not_found: 10005,
  provider_timeout: 10006,
  provider_unavailable: 10006,
  provider_error: 10006,
  provider_credentials_rejected: 10006,
  provider_rejected: 10006,
  route_exhausted: 10006,
  pay_way_unavailable: 10006,
  fx_rate_missing: 10006,
  fx_rate_stale: 10006,
  rate_limited: 10007,
  internal_error: 10009,
};

export type Dialect = 'platform' | 'seed001' | 'merchant';

export function dialectOf(url: string): Dialect {
  if (url.startsWith('/v1/')) return 'merchant';
  return url.startsWith('/api/order/') ? 'seed001' : 'platform';
}

/** The merchant dialect's numeric code for a normalised error. */
export function merchantCode(e: Pick<NormalisedError, 'code' | 'status'>): number {
  return MERCHANT_CODES[e.code] ?? (e.status >= 500 ? 10009 : 10003);
}

export function render(dialect: Dialect, e: NormalisedError): Record<string, unknown> {
  if (dialect === 'seed001') {
    return { code: SEED001_CODES[e.code] ?? -1, msg: e.message, data: null };
  }
  if (dialect === 'merchant') return { code: merchantCode(e), message: e.message };
  return e.details
    ? { code: e.code, message: e.message, details: e.details }
    : { code: e.code, message: e.message };
}

const HTTP_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

export function fromStatus(status: number, message: string): NormalisedError {
  return { status, code: HTTP_CODES[status] ?? (status >= 500 ? 'internal_error' : 'bad_request'), message };
}

export function fromDomain(e: DomainError): NormalisedError {
  return { status: e.status, code: e.code, message: e.message, details: e.details };
}
