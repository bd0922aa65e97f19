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
  /** Run one job to its end, its failure included (the caller records it): never rejects. */
  run(job: FetchedJob): Promise<void>;
  inSequence?: SequenceOf;
  /** At most this many jobs running at once. */
  maxInFlight: number;
  /** How long to wait before fetching again when the queue was empty. */
  pollMs: number;
  /** A fetch failed (the database is away, say): the worker waits `pollMs` and tries again. */
  onFetchError(err: unknown): void;
}

/**
 * Works one queue with up to `maxInFlight` jobs running at once, and fetches more as they finish: a
 * job that takes long (a receiver that answers only at the timeout) holds its own slot and no other.
 * (pg-boss's `work()` fetches a batch and fetches the next only when the whole batch is done, so one
 * slow job held back every job fetched with it, and every job behind them.)
 *
 * Fetches go in chunks: once half the slots are free, or when none is running, so a steady flow of
 * jobs is fetched about `maxInFlight / 2` at a time rather than one by one.
 */
export class QueueWorker {
  private inFlight = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;
  /** Wakes the loop early: a slot freed while it waits for room, or stop(). */
  private wake: (() => void) | undefined;
  private readonly running = new Set<Promise<void>>();
  /** The last job of each sequence key still running or waiting: the next of that key runs after it. */
  private readonly tails = new Map<string, Promise<void>>();

  constructor(private readonly options: QueueWorkerOptions) {}

  start(): void {
    this.loop ??= this.work();
  }

  /** Fetch no more; wait for the jobs running to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    await Promise.all(this.running);
  }

  private async work(): Promise<void> {
    const { maxInFlight, pollMs } = this.options;
    while (!this.stopped) {
      const free = maxInFlight - this.inFlight;
      if (!this.hasRoom()) {
        await this.pause(null);
        continue;
      }
      let jobs: FetchedJob[];
      try {
        jobs = (await this.options.fetch(free)) ?? [];
      } catch (err) {
        this.options.onFetchError(err);
        jobs = [];
      }
      this.startAll(jobs);
      // Fewer than asked for: the queue is empty for now.
      if (jobs.length < free) await this.pause(pollMs);
    }
  }

  /** Wait `ms` (null: until a slot frees), or less when stopped. */
  private pause(ms: number | null): Promise<void> {
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
    });
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
        .finally(() => {
          this.inFlight--;
          this.running.delete(run);
          if (at && this.tails.get(at.key) === run) this.tails.delete(at.key);
          if (this.hasRoom()) this.wake?.();
        });
      this.running.add(run);
      if (at) this.tails.set(at.key, run);
    }
  }

  /** None running, or at least half the slots free: time to fetch. */
  private hasRoom(): boolean {
    const { maxInFlight } = this.options;
    return this.inFlight === 0 || maxInFlight - this.inFlight >= Math.ceil(maxInFlight / 2);
  }
}
