import { createHash, createHmac, randomBytes, randomFillSync, timingSafeEqual } from 'node:crypto';

export const sha256Hex = (input: string): string => createHash('sha256').update(input).digest('hex');

export const hmacSha256Hex = (key: string | Buffer, input: string | Buffer): string =>
  createHmac('sha256', key).update(input).digest('hex');

/** Constant-time comparison of two strings; different lengths compare unequal without early exit on content. */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ab.length !== bb.length) {
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
}

/**
 * Bytes from the CSPRNG for randomToken, filled 4 KiB at a time and each byte handed out once (as
 * nanoid and Node's own randomUUID do): one randomFillSync per couple of hundred tokens instead of one
 * per token, which cost about 8 µs of an order creation's 260 under load (the Sandbox's payment ref).
 */
const TOKEN_POOL = Buffer.allocUnsafe(4096);
let tokenPoolOffset = TOKEN_POOL.length;

/** `bytes` random bytes (32 by default) as base64url. */
export function randomToken(bytes = 32): string {
  if (bytes > TOKEN_POOL.length) return randomBytes(bytes).toString('base64url');
  if (tokenPoolOffset + bytes > TOKEN_POOL.length) {
    randomFillSync(TOKEN_POOL);
    tokenPoolOffset = 0;
  }
  const token = TOKEN_POOL.toString('base64url', tokenPoolOffset, tokenPoolOffset + bytes);
  tokenPoolOffset += bytes;
  return token;
}
