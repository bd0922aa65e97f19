/**
 * Alchemy Pay's signature (docs/providers.md "Alchemy Pay"): uppercase hex SHA-512 (a plain
 * hash, not an HMAC) of the signed fields that are non-empty, sorted by key in ASCII order, joined
 * `k=v` with `&`, with `&key=<appSecret>` appended. The same rule signs requests and callbacks.
 */
import { createHash } from 'node:crypto';
import { safeEqual } from '../../../common/crypto';

/** A field's value as it is signed; null, undefined and "" are left out of the signature. */
export type SignedValue = string | undefined | null;

/** The Sign=Y fields of `POST /open/api/payment` (Alchemy Pay's docs' request table). */
export const CREATE_SIGNED_FIELDS = [
  'appId',
  'merchantOrderNo',
  'orderAmount',
  'payCurrency',
  'userId',
  'paymentExchange',
  'paymentTokens',
] as const;

/** The Sign=Y fields of `POST /open/api/payment/query`. */
export const QUERY_SIGNED_FIELDS = ['appId', 'merchantOrderNo'] as const;

/** The text that is hashed: `a=1&b=2&key=<secret>`. */
export function alchemySignText(fields: Readonly<Record<string, SignedValue>>, appSecret: string): string {
  const pairs = Object.keys(fields)
    .filter((k) => {
      const v = fields[k];
      return v !== undefined && v !== null && v !== '';
    })
    // Keys are ASCII names: the default UTF-16 code-unit order is ASCII order.
    .sort()
    .map((k) => `${k}=${fields[k] as string}`);
  pairs.push(`key=${appSecret}`);
  return pairs.join('&');
}

/** `sign` for these fields: every non-empty one given is signed (the caller picks the Sign=Y ones). */
export function alchemySign(fields: Readonly<Record<string, SignedValue>>, appSecret: string): string {
  return createHash('sha512').update(alchemySignText(fields, appSecret), 'utf8').digest('hex').toUpperCase();
}

/** Only the named fields of `body`, for signing. */
export function pick<K extends string>(
  body: Readonly<Record<string, SignedValue>>,
  names: readonly K[],
): Record<K, SignedValue> {
  const out = {} as Record<K, SignedValue>;
  for (const n of names) out[n] = body[n];
  return out;
}

/**
 * The fields of a callback that are signed: every field except `sign` whose value is a non-empty
 * string, number or boolean (Alchemy: "fields with values of null or "" are not included"). Objects
 * and arrays are not signed (`customParam`, an object, is Sign=N in the query answer's table).
 * Undefined when a field has a type no Alchemy callback carries.
 */
export function callbackSignedFields(body: Record<string, unknown>): Record<string, SignedValue> | undefined {
  const out: Record<string, SignedValue> = {};
  for (const [k, v] of Object.entries(body)) {
    if (k === 'sign' || v === null || v === undefined || v === '') continue;
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    else if (typeof v !== 'object') return undefined;
  }
  return out;
}

/** Timing-safe check of a received `sign` (hex, either case) against the expected one. */
export function signMatches(expected: string, received: string): boolean {
  return safeEqual(expected, received.toUpperCase());
}
