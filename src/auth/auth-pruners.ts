import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { ApiKeysService } from './api-keys.service';
import { PgThrottlerStorage } from './pg-throttler.storage';

/** How often each process forgets spent nonces and ended rate-limit windows. */
const PRUNE_EVERY_MS = 60_000;

/**
 * Auth's periodic clean-up, as intervals of the app's SchedulerRegistry (@nestjs/schedule clears them
 * when the app closes): merchant nonces older than the signature window can never be accepted again,
 * and rate-limit windows that ended are dead rows. A failed prune is logged and tried again next time.
 */
@Injectable()
export class AuthPruners implements OnApplicationBootstrap {
  private readonly logger = new Logger(AuthPruners.name);

  constructor(
    private readonly scheduler: SchedulerRegistry,
    private readonly keys: ApiKeysService,
    private readonly rateLimits: PgThrottlerStorage,
  ) {}

  onApplicationBootstrap(): void {
    this.every('api-nonce-prune', () => this.keys.pruneNonces());
    this.every('rate-limit-prune', () => this.rateLimits.prune());
  }

  private every(name: string, prune: () => Promise<unknown>): void {
    const timer = setInterval(() => {
      prune().catch((err: unknown) => this.logger.warn(`${name} failed: ${String(err)}`));
    }, PRUNE_EVERY_MS);
    // The process may exit without waiting for the next prune.
    timer.unref();
    this.scheduler.addInterval(name, timer);
  }
}
