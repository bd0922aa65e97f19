import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { ThrottlerException } from '@nestjs/throttler';
import { AppConfig } from '../config/app-config';
import { PeriodicJob } from '../common/periodic-job';
import { BatchedRateCounter, RateDecision } from './batched-rate-counter';
import { PgThrottlerStorage } from './pg-throttler.storage';
import type { Principal } from './principal';

/**
 * The API's rate limit: API_RATE_LIMIT requests per API_RATE_WINDOW_SECONDS, per API key for the
 * merchant API and per tenant for Bearer tokens. Called by the guards once they know the caller; over
 * the limit is a 429 with Retry-After (merchant code 10007).
 *
 * Counted in process by a BatchedRateCounter (no SQL on the request path), reconciled with the shared
 * store every RATE_LIMIT_SYNC_MS in one statement, and flushed at shutdown; the counter's comment
 * gives the bound on how far P processes can together go over the limit. RATE_LIMIT_SYNC_MS=0 counts
 * every request in the store instead (one UPSERT per request on the key's row: exact across
 * processes, and the throughput cap that the batching removes).
 */
@Injectable()
export class ApiRateLimiter implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ApiRateLimiter.name);
  private readonly counter: BatchedRateCounter | undefined;
  private readonly syncJob: PeriodicJob;

  constructor(
    private readonly storage: PgThrottlerStorage,
    private readonly config: AppConfig,
    scheduler: SchedulerRegistry,
  ) {
    if (config.apiRateLimit > 0 && config.rateLimitSyncMs > 0) {
      this.counter = new BatchedRateCounter(
        storage,
        config.apiRateLimit,
        config.apiRateWindowSeconds * 1000,
        this.logger,
      );
    }
    this.syncJob = new PeriodicJob(scheduler, 'api-rate-limit-sync', this.logger);
  }

  onApplicationBootstrap(): void {
    const counter = this.counter;
    if (counter) this.syncJob.start(this.config.rateLimitSyncMs, () => counter.sync());
  }

  /** Stop the sync timer, then send what is still unsent (the HTTP server is closed by now). */
  async onApplicationShutdown(): Promise<void> {
    await this.syncJob.stop();
    await this.counter?.sync();
  }

  async hit(
    p: Principal,
    apiKeyId: string | undefined,
    res: { header(name: string, value: string): unknown },
  ): Promise<void> {
    const limit = this.config.apiRateLimit;
    if (limit <= 0) return;
    const key = apiKeyId ? `api-key:${apiKeyId}` : `tenant:${p.tenantId}`;
    const d = this.counter ? this.counter.hit(key) : await this.countInStore(key);
    res.header('X-RateLimit-Limit', String(limit));
    res.header('X-RateLimit-Remaining', String(Math.max(0, limit - d.count)));
    if (d.blocked) {
      res.header('Retry-After', String(d.secondsLeft));
      throw new ThrottlerException('too many requests; slow down');
    }
  }

  private async countInStore(key: string): Promise<RateDecision> {
    const r = await this.storage.increment(
      key,
      this.config.apiRateWindowSeconds * 1000,
      this.config.apiRateLimit,
    );
    return { count: r.totalHits, blocked: r.isBlocked, secondsLeft: r.timeToExpire };
  }
}
