import { hmacSha256Hex } from '../common/crypto';

/** How far X-Timestamp may be from the server's clock, and how long a nonce is remembered. */
export const SIGNATURE_WINDOW_SECONDS = 300;

/**
 * The merchant request signature (docs/api-contract.md, Merchant API), also used for outbound notifications:
 * lowercase hex HMAC-SHA256(secret, timestamp + "\n" + nonce + "\n" + METHOD + "\n" + path_with_query
 * + "\n" + raw_body).
 */
export function merchantSignature(
  secret: string,
  p: { timestamp: string; nonce: string; method: string; pathWithQuery: string; body: string | Buffer },
): string {
  const head = `${p.timestamp}\n${p.nonce}\n${p.method.toUpperCase()}\n${p.pathWithQuery}\n`;
  return hmacSha256Hex(secret, Buffer.concat([Buffer.from(head, 'utf8'), Buffer.from(p.body)]));
}
