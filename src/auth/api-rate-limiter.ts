import { Injectable } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import { AppConfig } from '../config/app-config';
import { PgThrottlerStorage } from './pg-throttler.storage';
import type { Principal } from './principal';

/**
 * The API's rate limit: API_RATE_LIMIT requests per API_RATE_WINDOW_SECONDS, per API key for the
 * merchant API and per tenant for Bearer tokens, counted in the shared store. Called by the guards
 * once they know the caller; over the limit is a 429 with Retry-After (merchant code 10007).
 */
@Injectable()
export class ApiRateLimiter {
  constructor(
    private readonly storage: PgThrottlerStorage,
    private readonly config: AppConfig,
  ) {}

  async hit(
    p: Principal,
    apiKeyId: string | undefined,
    res: { header(name: string, value: string): unknown },
  ): Promise<void> {
    if (this.config.apiRateLimit <= 0) return;
    const key = apiKeyId ? `api-key:${apiKeyId}` : `tenant:${p.tenantId}`;
    const r = await this.storage.increment(
      key,
      this.config.apiRateWindowSeconds * 1000,
      this.config.apiRateLimit,
    );
    res.header('X-RateLimit-Limit', String(this.config.apiRateLimit));
    res.header('X-RateLimit-Remaining', String(Math.max(0, this.config.apiRateLimit - r.totalHits)));
    if (r.isBlocked) {
      res.header('Retry-After', String(r.timeToBlockExpire));
      throw new ThrottlerException('too many requests; slow down');
    }
  }
}
