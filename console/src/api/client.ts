import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema';

/** The readable double-submit cookie set with the session (not a credential: it only proves same-origin). */
export const CSRF_COOKIE = 'paymux_csrf';

export function csrfToken(): string | undefined {
  const hit = document.cookie
    .split(';')
    .map((c) => c.trim())
    .find((c) => c.startsWith(`${CSRF_COOKIE}=`));
  return hit ? decodeURIComponent(hit.slice(CSRF_COOKIE.length + 1)) : undefined;
}

/** A refusal in the platform's error envelope `{code, message, details?}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The session cookie goes by itself (same origin); every write carries X-CSRF-Token. */
const csrf: Middleware = {
  onRequest({ request }) {
    if (!SAFE.has(request.method.toUpperCase())) {
      const token = csrfToken();
      if (token) request.headers.set('X-CSRF-Token', token);
    }
    return request;
  },
};

export const api = createClient<paths>({ baseUrl: '', credentials: 'same-origin' });
api.use(csrf);

export async function toApiError(response: Response, body?: unknown): Promise<ApiError> {
  let parsed = body;
  if (parsed === undefined) parsed = await response.json().catch(() => undefined);
  const env = (parsed ?? {}) as { code?: unknown; message?: unknown; details?: unknown };
  return new ApiError(
    response.status,
    typeof env.code === 'string' ? env.code : `http_${response.status}`,
    typeof env.message === 'string' ? env.message : response.statusText || 'request failed',
    env.details,
  );
}

/** The data of an openapi-fetch answer, or an ApiError. */
export async function unwrap<T>(p: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await p;
  if (error !== undefined || !response.ok) throw await toApiError(response, error);
  return data as T;
}

/**
 * For routes agreed in the contracts but not yet in openapi.json (typed by hand in ./extra.ts).
 * Same credentials and CSRF header as the typed client.
 */
export async function request<T>(
  method: string,
  path: string,
  opts: { body?: unknown; query?: Record<string, string | undefined>; headers?: Record<string, string> } = {},
): Promise<T> {
  const url = new URL(path, window.location.origin);
  for (const [k, v] of Object.entries(opts.query ?? {}))
    if (v !== undefined && v !== '') url.searchParams.set(k, v);
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (!SAFE.has(method)) {
    const token = csrfToken();
    if (token) headers['X-CSRF-Token'] = token;
  }
  const response = await fetch(url, {
    method,
    headers,
    credentials: 'same-origin',
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  if (!response.ok) throw await toApiError(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}
