import Stripe from 'stripe';
import { ProviderContext, ProviderError } from '../../contract/payment-provider';
import { errorForStatus } from '../provider-http';

/**
 * The official client aimed at `ctx.baseUrl` (production or a fake), with no retries and the bounded
 * time of every provider call. Built per call: construction is cheap (no I/O; stripe-node shares one
 * keep-alive agent per protocol across clients), and keeping clients in a map on the singleton adapter
 * would keep every tenant's secret key in memory beyond the call.
 */
export function stripeClient(ctx: ProviderContext): Stripe {
  let base: URL;
  try {
    base = new URL(ctx.baseUrl);
  } catch {
    throw new ProviderError('unavailable', `the Stripe base URL ${ctx.baseUrl} is not a URL`);
  }
  // stripe-node takes a host, port and protocol; a path prefix would be silently dropped.
  if (base.pathname !== '/' || base.search)
    throw new ProviderError('unavailable', `the Stripe base URL ${ctx.baseUrl} must not have a path`);
  const protocol = base.protocol === 'http:' ? 'http' : 'https';
  const key = ctx.credentials.secret_key;
  if (!key) throw new ProviderError('credentials', 'the Stripe account has no secret_key');
  return new Stripe(key, {
    host: base.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: base.port || (protocol === 'http' ? 80 : 443),
    protocol,
    timeout: ctx.timeoutMs,
    maxNetworkRetries: 0,
    telemetry: false,
  });
}

/**
 * One Stripe call, bounded by `timeoutMs` as a whole (the client's own timeout is per socket idle
 * period), with every failure as a ProviderError carrying Stripe's message and code.
 */
export async function stripeCall<T>(timeoutMs: number, call: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ProviderError('timeout', `Stripe did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([call(), deadline]);
  } catch (err) {
    throw stripeError(err);
  } finally {
    clearTimeout(timer);
  }
}

/** A Stripe SDK error as the ProviderError the core maps to 502/422; anything else unchanged. */
export function stripeError(err: unknown): unknown {
  if (!(err instanceof Stripe.errors.StripeError)) return err;
  const code = err.code ?? err.rawType;
  if (err instanceof Stripe.errors.StripeConnectionError) {
    const detail = err.detail as { code?: string } | undefined;
    if (detail?.code === 'ETIMEDOUT') return new ProviderError('timeout', err.message, 'ETIMEDOUT');
    return new ProviderError('unavailable', err.message, detail?.code ?? code);
  }
  const status = err.statusCode;
  // Too many requests is Stripe being busy, not Stripe refusing the request.
  if (status === 429 || err instanceof Stripe.errors.StripeRateLimitError)
    return new ProviderError('unavailable', err.message, code);
  if (status !== undefined) return errorForStatus(status, err.message, code);
  if (
    err instanceof Stripe.errors.StripeAuthenticationError ||
    err instanceof Stripe.errors.StripePermissionError
  )
    return new ProviderError('credentials', err.message, code);
  // An unreadable answer (not JSON) and anything else without a status: Stripe is not answering well.
  return new ProviderError('unavailable', err.message, code);
}

/** Stripe's "no such object" answer (404 `resource_missing`). */
export function isResourceMissing(err: unknown): boolean {
  return err instanceof ProviderError && err.kind === 'rejected' && err.providerCode === 'resource_missing';
}
