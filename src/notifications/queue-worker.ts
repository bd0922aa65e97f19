/** A fetched job: its id and data (pg-boss's Job has more, not needed here). */
export interface FetchedJob {
  id: string;
  data: Record<string, unknown>;
}

/** Jobs with the same key run one after another, by position; undefined: on its own. */
export type SequenceOf = (data: Record<string, unknown>) => { key: string; position: number } | undefined;

export interface QueueWorkerOptions {
  /** Fetch up to `n` jobs, now active (pg-boss fetch). */
  fetch(n: number): Promise<FetchedJob[]>;
  /**
   * Run one job to its end; true when it succeeded and is to be completed, false when the caller
   * recorded its failure. Never rejects.
   */
  run(job: FetchedJob): Promise<boolean>;
  /** Mark these jobs completed (pg-boss complete, one statement). */
  complete(ids: string[]): Promise<void>;
  inSequence?: SequenceOf;
  /** At most this many jobs running at once. */
  maxInFlight: number;
  /** How long to wait before fetching again when the queue was empty, or for more free slots. */
  pollMs: number;
  /** A fetch or a completion failed (the database is away, say). */
  onError(what: 'fetch' | 'complete', err: unknown): void;
}

/**
 * Works one queue with up to `maxInFlight` jobs running at once, and fetches more as they end: a job
 * that takes long (a receiver that answers only at the timeout) holds its own slot and no other.
 * (pg-boss's `work()` fetches a batch and fetches the next only when the whole batch is done, so one
 * slow job held back every job fetched with it, and every job behind them.)
 *
 * Statements go in chunks, so a steady flow of jobs costs about what pg-boss's batches cost:
 * - a fetch waits until half the slots are free (or none is running), or for `pollMs` when fewer are,
 *   so slow jobs filling most slots delay the next fetch by `pollMs` at most;
 * - the jobs that succeeded are completed in one statement just before each fetch (and when
 *   stopping); one that ended but was not yet completed when its process died is run again once it
 *   expires, as one cut short would be (jobs are at-least-once).
 */
export class QueueWorker {
  private inFlight = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;
  /** Ends the loop's current pause early: a slot freed (see `pause`), or stop(). */
  private wake: (() => void) | undefined;
  private wakeWhen: () => boolean = () => false;
  private readonly running = new Set<Promise<void>>();
  /** The last job of each sequence key still running or waiting: the next of that key runs after it. */
  private readonly tails = new Map<string, Promise<void>>();
  /** Succeeded, not yet completed. */
  private succeeded: string[] = [];

  constructor(private readonly options: QueueWorkerOptions) {}

  start(): void {
    this.loop ??= this.work();
  }

  /** Fetch no more; wait for the jobs running to end, and complete those that succeeded. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    await Promise.all(this.running);
    await this.completeSucceeded();
  }

  private async work(): Promise<void> {
    const { maxInFlight, pollMs } = this.options;
    const half = Math.ceil(maxInFlight / 2);
    while (!this.stopped) {
      if (this.inFlight === maxInFlight) {
        await this.pause(null, () => this.inFlight < maxInFlight);
        continue;
      }
      if (this.inFlight > 0 && maxInFlight - this.inFlight < half)
        await this.pause(pollMs, () => maxInFlight - this.inFlight >= half);
      const free = maxInFlight - this.inFlight;
      if (this.stopped || free === 0) continue;
      await this.completeSucceeded();
      let jobs: FetchedJob[] = [];
      try {
        jobs = (await this.options.fetch(free)) ?? [];
      } catch (err) {
        this.options.onError('fetch', err);
      }
      this.startAll(jobs);
      // Fewer than asked for: the queue is empty for now; look again in `pollMs` (as pg-boss's work()
      // does), whatever ends meanwhile, so that the jobs of a trickle are fetched together.
      if (jobs.length < free) await this.pause(pollMs, () => false);
    }
  }

  /** Wait `ms` (null: no limit) or until `until` holds when a job ends, or until stop(). */
  private pause(ms: number | null, until: () => boolean): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        clearTimeout(timer);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      if (ms !== null) timer = setTimeout(done, ms);
      this.wake = done;
      this.wakeWhen = until;
    });
  }

  private async completeSucceeded(): Promise<void> {
    if (this.succeeded.length === 0) return;
    const ids = this.succeeded;
    this.succeeded = [];
    try {
      await this.options.complete(ids);
    } catch (err) {
      this.options.onError('complete', err);
    }
  }

  private startAll(jobs: FetchedJob[]): void {
    const placed = jobs.map((job) => ({ job, at: this.options.inSequence?.(job.data) }));
    // One fetch's jobs of one key in their order; a key's jobs fetched later go after them.
    placed.sort((a, b) => {
      const [ka, kb] = [a.at?.key ?? '', b.at?.key ?? ''];
      return ka < kb ? -1 : ka > kb ? 1 : (a.at?.position ?? 0) - (b.at?.position ?? 0);
    });
    for (const { job, at } of placed) {
      this.inFlight++;
      const before = at ? this.tails.get(at.key) : undefined;
      const run: Promise<void> = (before ?? Promise.resolve())
        .then(() => this.options.run(job))
        .then((ok) => {
          if (ok) this.succeeded.push(job.id);
        })
        .finally(() => {
          this.inFlight--;
          this.running.delete(run);
          if (at && this.tails.get(at.key) === run) this.tails.delete(at.key);
          if (this.wakeWhen()) this.wake?.();
        });
      this.running.add(run);
      if (at) this.tails.set(at.key, run);
    }
  }
}
