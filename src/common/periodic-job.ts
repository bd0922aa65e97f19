import { Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';

/**
 * A job run every `everyMs` milliseconds on @nestjs/schedule's registry, never twice at once (a tick
 * while a run is still going is skipped); 0 or less never starts it. ScheduleModule clears the
 * interval before shutdown; `stop` (from the owner's onApplicationShutdown) also waits for a run in
 * progress, so nothing touches the database after the app closed.
 */
export class PeriodicJob {
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly registry: SchedulerRegistry,
    private readonly name: string,
    private readonly logger: Logger,
  ) {}

  start(everyMs: number, run: () => Promise<unknown>): void {
    if (everyMs <= 0) return;
    const timer = setInterval(() => {
      if (this.running) return;
      this.running = run()
        .catch((err: unknown) => this.logger.error(`${this.name} failed: ${String(err)}`))
        .finally(() => (this.running = undefined));
    }, everyMs);
    timer.unref();
    this.registry.addInterval(this.name, timer);
  }

  async stop(): Promise<void> {
    if (this.registry.doesExist('interval', this.name)) this.registry.deleteInterval(this.name);
    await this.running;
  }
}
