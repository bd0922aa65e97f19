import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { PeriodicJob } from '../common/periodic-job';
import { ApiKeysService } from './api-keys.service';
import { PgThrottlerStorage } from './pg-throttler.storage';

/** How often each process forgets spent nonces and ended rate-limit windows. */
const PRUNE_EVERY_MS = 60_000;

/**
 * Auth's periodic clean-up, as PeriodicJobs on the app's SchedulerRegistry: merchant nonces older than
 * the signature window can never be accepted again, and rate-limit windows that ended are dead rows. A
 * failed prune is logged and tried again next time.
 */
@Injectable()
export class AuthPruners implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AuthPruners.name);
  private readonly nonces: PeriodicJob;
  private readonly windows: PeriodicJob;

  constructor(
    scheduler: SchedulerRegistry,
    private readonly keys: ApiKeysService,
    private readonly rateLimits: PgThrottlerStorage,
  ) {
    this.nonces = new PeriodicJob(scheduler, 'api-nonce-prune', this.logger);
    this.windows = new PeriodicJob(scheduler, 'rate-limit-prune', this.logger);
  }

  onApplicationBootstrap(): void {
    this.nonces.start(PRUNE_EVERY_MS, () => this.keys.pruneNonces());
    this.windows.start(PRUNE_EVERY_MS, () => this.rateLimits.prune());
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.nonces.stop(), this.windows.stop()]);
  }
}
