/** One call's outcome in a batch: its value, or the error that call alone gets. */
export type Settled<O> = { ok: true; value: O } | { ok: false; error: unknown };

export interface CoalescerOptions {
  /** At most this many calls in one batch. */
  maxBatch: number;
  /** At most this many batches running at once; later calls queue and go in the next batch. */
  maxInFlight: number;
}

interface Waiting<I, O> {
  item: I;
  resolve(value: O): void;
  reject(error: unknown): void;
}

/**
 * Natural batching of concurrent calls (group commit): a call made while `maxInFlight` batches are
 * running waits, with every other call made meanwhile, for the next batch, which `run` handles as one
 * unit (one SQL statement for all of them, say). When nothing is running a call starts a batch at once
 * (after the calls of the same event-loop turn have joined it), so a lone call waits for nothing; under
 * load the batches grow with the load, and the work per call shrinks.
 *
 * `run` answers each call separately (in the order given), so one bad item fails only its own call. A
 * call is answered only when its batch has finished: for a write, after it is durable.
 */
export class Coalescer<I, O> {
  private readonly queue: Waiting<I, O>[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly run: (items: readonly I[]) => Promise<Settled<O>[]>,
    private readonly options: CoalescerOptions,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.options.maxInFlight || this.queue.length === 0) return;
    this.scheduled = true;
    // setImmediate: the calls of this event-loop turn (requests read from other sockets) join the batch.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.inFlight >= this.options.maxInFlight || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.options.maxBatch);
    this.inFlight++;
    // More waiting than one batch takes: start the next one too, if a slot is free.
    this.schedule();
    try {
      const results = await this.run(batch.map((w) => w.item));
      batch.forEach((w, i) => {
        const r = results[i];
        if (!r) w.reject(new Error('coalescer: no result for a batched call'));
        else if (r.ok) w.resolve(r.value);
        else w.reject(r.error);
      });
    } catch (err) {
      for (const w of batch) w.reject(err);
    } finally {
      this.inFlight--;
      this.schedule();
    }
  }
}
