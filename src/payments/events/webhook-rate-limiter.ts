import { Injectable } from '@nestjs/common';
import { PgThrottlerStorage } from '../../auth/pg-throttler.storage';
import { AppConfig } from '../../config/app-config';

/** The window WEBHOOK_RATE_LIMIT counts in. */
const WINDOW_MS = 60_000;

/**
 * Provider callbacks are unauthenticated until verified, and verifying one can cost a call out with
 * the tenant's credentials (PayPal: OAuth, then its verify API). So they are counted per tenant and
 * provider, WEBHOOK_RATE_LIMIT a minute (0 switches it off), in the shared rate-limit store (every
 * process counts together). Generous: a provider's own bursts and retries stay far below it.
 */
@Injectable()
export class WebhookRateLimiter {
  constructor(
    private readonly storage: PgThrottlerStorage,
    private readonly config: AppConfig,
  ) {}

  /** Count one callback; the seconds to wait when over the limit, else null. */
  async hit(providerId: string, tenantId: string): Promise<number | null> {
    const limit = this.config.webhookRateLimit;
    if (limit <= 0) return null;
    const r = await this.storage.increment(`webhook:${providerId}:${tenantId}`, WINDOW_MS, limit);
    return r.isBlocked ? r.timeToBlockExpire : null;
  }
}
