import { safeEqual } from '../common/crypto';
import { CommonErrors } from '../common/common.errors';

/**
 * Who may scrape /metrics: with METRICS_TOKEN set, only `Authorization: Bearer <METRICS_TOKEN>`
 * (compared in constant time; else 401); without it, anyone outside production, and in production
 * nobody (404, as if the route did not exist: order counts are business data).
 */
export function checkMetricsAccess(
  opts: { token: string | undefined; production: boolean },
  authorization: string | string[] | undefined,
): void {
  if (opts.token === undefined) {
    if (opts.production) throw CommonErrors.not_found('no such route');
    return;
  }
  const given =
    typeof authorization === 'string' ? /^Bearer (.+)$/i.exec(authorization.trim())?.[1] : undefined;
  if (given === undefined || !safeEqual(given, opts.token))
    throw CommonErrors.unauthenticated('GET /metrics needs Authorization: Bearer <METRICS_TOKEN>');
}
