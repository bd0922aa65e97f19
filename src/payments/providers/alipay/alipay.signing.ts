/**
 * Alipay OpenAPI (gateway.do) RSA2 signatures, docs/providers.md "Alipay (OpenAPI gateway)":
 * - requests: every parameter but `sign`, empty values dropped, keys sorted (ASCII), `k=v` joined with
 *   `&` over the raw values, RSA-SHA256 with the app private key, base64;
 * - gateway responses: RSA-SHA256 over the exact JSON text of the `<method>_response` value as it
 *   appears in the raw body, verified with the Alipay public key;
 * - async notifications: the form fields but `sign` and `sign_type`, the same sorted `k=v&...` string,
 *   verified with the Alipay public key.
 */
import { createPrivateKey, createPublicKey, createSign, createVerify, KeyObject } from 'node:crypto';

/** The sorted `k=v&k=v` string that is signed; `omit` names the fields left out. */
export function signContent(
  params: Readonly<Record<string, string | undefined>>,
  omit: readonly string[] = ['sign'],
): string {
  return Object.keys(params)
    .filter((k) => !omit.includes(k))
    .filter((k) => params[k] !== undefined && params[k] !== '')
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
}

export function rsa2Sign(content: string, privateKey: KeyObject | string): string {
  return createSign('RSA-SHA256').update(content, 'utf8').sign(privateKey, 'base64');
}

export function rsa2Verify(content: string, signature: string, publicKey: KeyObject): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) return false;
  try {
    return createVerify('RSA-SHA256').update(content, 'utf8').verify(publicKey, signature, 'base64');
  } catch {
    return false;
  }
}

/** The Alipay public key as Alipay hands it out: PEM, or bare base64 of the DER SubjectPublicKeyInfo. */
export function alipayPublicKey(value: string): KeyObject {
  const v = value.trim();
  if (v.startsWith('-----BEGIN')) return createPublicKey(v);
  return createPublicKey({ key: Buffer.from(v.replace(/\s+/g, ''), 'base64'), format: 'der', type: 'spki' });
}

/** The app private key (PKCS#1 or PKCS#8 PEM) as PKCS#8 PEM, the form alipay-sdk takes as `keyType: 'PKCS8'`. */
export function appPrivateKeyPkcs8(pem: string): string {
  return createPrivateKey(pem.trim()).export({ type: 'pkcs8', format: 'pem' }).toString().trim();
}

/** `yyyy-MM-dd HH:mm:ss` in GMT+8 (Beijing time), the gateway's `timestamp` and `notify_time` format. */
export function alipayTimestamp(at: Date): string {
  const t = new Date(at.getTime() + 8 * 3600 * 1000).toISOString();
  return `${t.slice(0, 10)} ${t.slice(11, 19)}`;
}

/**
 * The top-level members of a JSON object as the exact text of each value in `raw` (no re-serialisation:
 * the gateway signs the bytes it sent, `\/` escapes and all). Null when `raw` is not one JSON object.
 */
export function topLevelMembers(raw: string): Map<string, string> | null {
  const out = new Map<string, string>();
  let i = skipWs(raw, 0);
  if (raw[i] !== '{') return null;
  i = skipWs(raw, i + 1);
  if (raw[i] === '}') return skipWs(raw, i + 1) === raw.length ? out : null;
  for (;;) {
    const keyEnd = scanString(raw, i);
    if (keyEnd < 0) return null;
    let key: string;
    try {
      key = JSON.parse(raw.slice(i, keyEnd)) as string;
    } catch {
      return null;
    }
    i = skipWs(raw, keyEnd);
    if (raw[i] !== ':') return null;
    const start = skipWs(raw, i + 1);
    const end = scanValue(raw, start);
    if (end < 0) return null;
    // A repeated member would make "the" signed value ambiguous.
    if (out.has(key)) return null;
    out.set(key, raw.slice(start, end));
    i = skipWs(raw, end);
    if (raw[i] === ',') {
      i = skipWs(raw, i + 1);
      continue;
    }
    if (raw[i] === '}') return skipWs(raw, i + 1) === raw.length ? out : null;
    return null;
  }
}

function skipWs(s: string, i: number): number {
  while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++;
  return i;
}

/** End (exclusive) of the JSON string starting at `i`, or -1. */
function scanString(s: string, i: number): number {
  if (s[i] !== '"') return -1;
  for (let j = i + 1; j < s.length; j++) {
    if (s[j] === '\\') j++;
    else if (s[j] === '"') return j + 1;
  }
  return -1;
}

/** End (exclusive) of the JSON value starting at `i`, or -1. Only brackets and strings are tracked. */
function scanValue(s: string, i: number): number {
  if (s[i] === '"') return scanString(s, i);
  if (s[i] === '{' || s[i] === '[') {
    let depth = 0;
    for (let j = i; j < s.length; j++) {
      const c = s[j];
      if (c === '"') {
        j = scanString(s, j) - 1;
        if (j < 0) return -1;
      } else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return -1;
  }
  let j = i;
  while (j < s.length && !/[\s,}\]]/.test(s[j])) j++;
  return j > i ? j : -1;
}

/**
 * Parse an `application/x-www-form-urlencoded` body into fields. Null when it is empty or names a field
 * twice (a repeated field would make the signed string ambiguous).
 */
export function parseForm(body: string): Record<string, string> | null {
  const out: Record<string, string> = {};
  const params = new URLSearchParams(body);
  for (const [k, v] of params) {
    if (Object.prototype.hasOwnProperty.call(out, k)) return null;
    out[k] = v;
  }
  return Object.keys(out).length > 0 ? out : null;
}

/** Verify an async notification's fields (form-decoded): drop sign and sign_type, sort, join, RSA2. */
export function verifyNotifyFields(fields: Readonly<Record<string, string>>, publicKey: KeyObject): boolean {
  const signature = fields.sign;
  if (!signature) return false;
  return rsa2Verify(signContent(fields, ['sign', 'sign_type']), signature, publicKey);
}
