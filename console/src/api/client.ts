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
 * The input a 400 names: `invalid_provider_credentials` carries `details.field`
 * (`credentials.secret_key`), `validation_failed` carries `details.fields: [{field, problems}]`.
 * Returns field name -> message, with the `credentials.` prefix dropped.
 */
export function fieldErrors(err: unknown): Record<string, string> {
  if (!(err instanceof ApiError)) return {};
  const details = (err.details ?? {}) as {
    field?: unknown;
    fields?: { field?: unknown; problems?: unknown }[];
  };
  const out: Record<string, string> = {};
  const strip = (f: string): string => f.replace(/^credentials\./, '');
  // "credentials.app_secret must be …" under the App secret input reads "must be …".
  if (typeof details.field === 'string')
    out[strip(details.field)] = err.message.startsWith(`${details.field} `)
      ? err.message.slice(details.field.length + 1)
      : err.message;
  if (Array.isArray(details.fields))
    for (const f of details.fields)
      if (typeof f.field === 'string')
        out[strip(f.field)] = Array.isArray(f.problems) ? f.problems.join(', ') : err.message;
  return out;
}
