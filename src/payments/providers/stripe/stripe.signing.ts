import { hmacSha256Hex, safeEqual } from '../../../common/crypto';
import { NotificationRejected } from '../../payment-provider';

/** How far a `Stripe-Signature` timestamp may be from now (Stripe's own default tolerance). */
export const STRIPE_TOLERANCE_SECONDS = 300;

/** `v1` of a Stripe webhook: hex HMAC-SHA256 keyed with the endpoint secret as given (`whsec_...`). */
export function stripeV1Signature(secret: string, t: number, body: Buffer | string): string {
  return hmacSha256Hex(secret, Buffer.concat([Buffer.from(`${t}.`), Buffer.from(body)]));
}

/**
 * Check a `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]` header against the exact body bytes:
 * accepted when any v1 equals the expected signature (timing-safe) and t is within the tolerance of
 * `nowSeconds`. Other schemes (v0, and anything Stripe adds later) are ignored, as Stripe's libraries
 * do. Throws NotificationRejected otherwise; nothing in the body is read here.
 */
export function verifyStripeSignature(
  header: string | string[] | undefined,
  body: Buffer,
  secret: string,
  nowSeconds: number,
  toleranceSeconds = STRIPE_TOLERANCE_SECONDS,
): void {
  if (typeof header !== 'string' || header.length === 0)
    throw new NotificationRejected('missing Stripe-Signature header');
  if (!secret) throw new NotificationRejected('no webhook secret configured');
  let t: string | undefined;
  const v1: string[] = [];
  for (const item of header.split(',')) {
    const at = item.indexOf('=');
    if (at <= 0) throw new NotificationRejected('malformed Stripe-Signature header');
    const key = item.slice(0, at).trim();
    const value = item.slice(at + 1).trim();
    if (key === 't') {
      if (t !== undefined) throw new NotificationRejected('malformed Stripe-Signature header');
      t = value;
    } else if (key === 'v1') v1.push(value);
  }
  if (t === undefined || !/^\d{1,12}$/.test(t))
    throw new NotificationRejected('Stripe-Signature has no valid timestamp');
  if (v1.length === 0) throw new NotificationRejected('Stripe-Signature has no v1 signature');
  const timestamp = Number(t);
  const expected = stripeV1Signature(secret, timestamp, body);
  // Compare with every candidate (no early exit), so the time taken does not tell which one matched.
  let matched = false;
  for (const candidate of v1) matched = safeEqual(expected, candidate) || matched;
  if (!matched) throw new NotificationRejected('Stripe-Signature does not match');
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds)
    throw new NotificationRejected('Stripe-Signature timestamp outside the tolerance');
}
