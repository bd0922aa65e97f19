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

export type Dialect = 'platform' | 'seed001';

export function dialectOf(url: string): Dialect {
  return url.startsWith('/api/order/') ? 'seed001' : 'platform';
}

export function render(dialect: Dialect, e: NormalisedError): Record<string, unknown> {
  if (dialect === 'seed001') {
    return { code: SEED001_CODES[e.code] ?? -1, msg: e.message, data: null };
  }
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
