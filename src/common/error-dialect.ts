import { CommonErrors } from './common.errors';
import { DomainError } from './domain-error';

/** A normalised error before it is put into the dialect of the API being called. */
export interface NormalisedError {
  status: number;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** The order payment API's numeric codes for the platform's stable string codes. */
const SEED001_CODES: Record<string, number> = {
  unauthenticated: 1001,
  forbidden: 1002,
  tenant_suspended: 1002,
  order_not_found: 4001,
  order_not_payable: 4002,
  pay_way_unsupported: 4003,
  pay_way_unavailable: 4003,
  invalid_pay_way: 4003,
  zero_amount: 4004,
};

/**
 * Merchant API codes. Anything else: 10009 for a server error, 10003 (invalid parameter)
 * for any other refusal.
 */
const MERCHANT_CODES: Record<string, number> = {
  unauthenticated: 10001,
  forbidden: 10001,
  tenant_suspended: 10001,
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

/** The order payment API's numeric code for a platform code (-1: anything else, reason in `msg`). */
export function seed001Code(code: string): number {
  return SEED001_CODES[code] ?? -1;
}

/** The merchant dialect's numeric code for a normalised error. */
export function merchantCode(e: Pick<NormalisedError, 'code' | 'status'>): number {
  return MERCHANT_CODES[e.code] ?? (e.status >= 500 ? 10009 : 10003);
}

export function render(dialect: Dialect, e: NormalisedError): Record<string, unknown> {
  if (dialect === 'seed001') {
    return { code: seed001Code(e.code), msg: e.message, data: null };
  }
  if (dialect === 'merchant') return { code: merchantCode(e), message: e.message };
  return e.details
    ? { code: e.code, message: e.message, details: e.details }
    : { code: e.code, message: e.message };
}

/** The code of a refusal Nest or Fastify raised by status alone (no DomainError). */
const HTTP_CODES: Record<number, string> = {
  400: CommonErrors.bad_request.code,
  401: CommonErrors.unauthenticated.code,
  403: CommonErrors.forbidden.code,
  404: CommonErrors.not_found.code,
  405: CommonErrors.method_not_allowed.code,
  406: CommonErrors.not_acceptable.code,
  413: CommonErrors.payload_too_large.code,
  415: CommonErrors.unsupported_media_type.code,
  429: CommonErrors.rate_limited.code,
};

export function fromStatus(status: number, message: string): NormalisedError {
  const fallback = status >= 500 ? CommonErrors.internal_error : CommonErrors.bad_request;
  return { status, code: HTTP_CODES[status] ?? fallback.code, message };
}

export function fromDomain(e: DomainError): NormalisedError {
  return { status: e.status, code: e.code, message: e.message, details: e.details };
}
