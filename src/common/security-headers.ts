import type { FastifyInstance } from 'fastify';

/** HSTS: a year, subdomains included. Only ever sent when the page was (or is known to be) served over TLS. */
export const HSTS = 'max-age=31536000; includeSubDomains';

/**
 * Headers every answer carries (a route that sets its own value keeps it: the hosted checkout sets
 * its own Content-Security-Policy):
 * - `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`, `X-Frame-Options: DENY`
 *   (nothing paymux serves is meant to be framed; the checkout also says `frame-ancestors 'none'`);
 * - `Strict-Transport-Security` when the request came over https (directly, or per
 *   `X-Forwarded-Proto` from a proxy trusted by TRUST_PROXY), or always in production when
 *   PUBLIC_BASE_URL is https (TLS ends at a proxy in front). Browsers ignore it over plain http.
 */
export function addSecurityHeaders(fastify: FastifyInstance, opts: { alwaysHsts: boolean }): void {
  fastify.addHook('onSend', (req, reply, payload, done) => {
    const set = (name: string, value: string): void => {
      if (!reply.hasHeader(name)) void reply.header(name, value);
    };
    set('X-Content-Type-Options', 'nosniff');
    set('Referrer-Policy', 'no-referrer');
    set('X-Frame-Options', 'DENY');
    if (opts.alwaysHsts || req.protocol === 'https') set('Strict-Transport-Security', HSTS);
    done(null, payload);
  });
}
