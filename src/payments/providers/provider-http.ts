import { ProviderError } from '../contract/payment-provider';

export interface ProviderResponse {
  status: number;
  headers: Headers;
  /** The exact body text (signatures are computed over it). */
  text: string;
}

/**
 * One HTTP call to a provider with a bounded time (ProviderContext.timeoutMs). A timeout is
 * `ProviderError('timeout')`, a connection failure `ProviderError('unavailable')`; any HTTP answer is
 * returned as is, for the adapter to verify and map (see `errorForStatus`).
 */
export async function providerFetch(
  url: string,
  init: { method: string; headers?: Record<string, string>; body?: string; timeoutMs: number },
): Promise<ProviderResponse> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: init.method,
      headers: init.headers,
      body: init.body,
      signal: AbortSignal.timeout(init.timeoutMs),
      redirect: 'manual',
    });
  } catch (err) {
    throw networkError(err, init.timeoutMs);
  }
  try {
    return { status: res.status, headers: res.headers, text: await res.text() };
  } catch (err) {
    throw networkError(err, init.timeoutMs);
  }
}

/** A failed call as a ProviderError: `timeout` after `timeoutMs`, else `unavailable`. */
export function networkError(err: unknown, timeoutMs: number): ProviderError {
  const e = err as { name?: string; cause?: { code?: string; message?: string }; message?: string };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError')
    return new ProviderError('timeout', `no answer within ${timeoutMs} ms`);
  return new ProviderError(
    'unavailable',
    e?.cause?.message ?? e?.message ?? 'connection failed',
    e?.cause?.code,
  );
}

/** The ProviderError for an HTTP failure: 401/403 credentials, 5xx unavailable, other 4xx rejected. */
export function errorForStatus(status: number, message: string, providerCode?: string): ProviderError {
  if (status === 401 || status === 403) return new ProviderError('credentials', message, providerCode);
  if (status >= 500) return new ProviderError('unavailable', message, providerCode);
  return new ProviderError('rejected', message, providerCode);
}
