import Stripe from 'stripe';
import { NotificationRejected } from '../../contract/payment-provider';

/** How far a `Stripe-Signature` timestamp may be from now (Stripe's own default tolerance). */
export const STRIPE_TOLERANCE_SECONDS = 300;

/**
 * `v1` of a Stripe webhook: hex HMAC-SHA256 of `<t>.<body>` keyed with the endpoint secret as given
 * (`whsec_...`), as the stripe SDK signs test headers (docs/providers.md, Stripe).
 */
export function stripeV1Signature(secret: string, t: number, body: Buffer | string): string {
  const header = Stripe.webhooks.generateTestHeaderString({
    payload: Buffer.from(body).toString('utf8'),
    secret,
    timestamp: t,
  });
  return header.slice(header.indexOf(',v1=') + 4);
}

/**
 * Check a `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]` header against the exact body with the
 * stripe SDK (`webhooks.constructEvent`) and return the event it parsed. Stricter than the SDK where
 * paymux always was: one numeric `t`, and a timestamp too far in the future is refused like a stale
 * one. Other schemes (v0, anything Stripe adds later) are ignored. Throws NotificationRejected.
 */
export function verifyStripeEvent(
  header: string | string[] | undefined,
  body: Buffer,
  secret: string,
  nowSeconds: number,
  toleranceSeconds = STRIPE_TOLERANCE_SECONDS,
): unknown {
  const { t, v1 } = parseSignatureHeader(header);
  if (!secret) throw new NotificationRejected('no webhook secret configured');
  let event: unknown;
  try {
    event = Stripe.webhooks.constructEvent(
      body,
      // Rebuilt from what was parsed: only `t` and the `v1` candidates reach the SDK.
      [`t=${t}`, ...v1.map((s) => `v1=${s}`)].join(','),
      secret,
      toleranceSeconds,
      undefined,
      nowSeconds * 1000,
    );
  } catch (e) {
    if (e instanceof Stripe.errors.StripeSignatureVerificationError)
      throw new NotificationRejected(
        /tolerance/i.test(e.message)
          ? 'Stripe-Signature timestamp outside the tolerance'
          : 'Stripe-Signature does not match',
      );
    // The signature held but the body is not JSON.
    throw new NotificationRejected('the event is not JSON');
  }
  if (t - nowSeconds > toleranceSeconds)
    throw new NotificationRejected('Stripe-Signature timestamp outside the tolerance');
  return event;
}

/** The timestamp and `v1` signatures of a `Stripe-Signature` header; anything malformed is refused. */
function parseSignatureHeader(header: string | string[] | undefined): { t: number; v1: string[] } {
  if (typeof header !== 'string' || header.length === 0)
    throw new NotificationRejected('missing Stripe-Signature header');
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
  return { t: Number(t), v1 };
}
