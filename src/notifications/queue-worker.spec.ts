import { FetchedJob, QueueWorker } from './queue-worker';

/** A queue in memory: jobs to fetch, and each run held until the test ends it. */
function fakeQueue() {
  const waiting: FetchedJob[] = [];
  const fetches: number[] = [];
  const completions: string[][] = [];
  const started: string[] = [];
  const ends = new Map<string, () => void>();
  let running = 0;
  let maxRunning = 0;
  return {
    waiting,
    fetches,
    completions,
    started,
    get maxRunning() {
      return maxRunning;
    },
    add(...ids: string[]): void {
      for (const id of ids) {
        const [key, position] = id.split('.');
        waiting.push({ id, data: position === undefined ? {} : { key, position: Number(position) } });
      }
    },
    fetch: (n: number): Promise<FetchedJob[]> => {
      fetches.push(n);
      return Promise.resolve(waiting.splice(0, n));
    },
    complete: (ids: string[]): Promise<void> => {
      completions.push(ids);
      return Promise.resolve();
    },
    /** Runs until ended; a job whose id starts with `fail` fails (is not to be completed). */
    run: (job: FetchedJob): Promise<boolean> => {
      started.push(job.id);
      running++;
      maxRunning = Math.max(maxRunning, running);
      return new Promise<boolean>((resolve) =>
        ends.set(job.id, () => {
          running--;
          resolve(!job.id.startsWith('fail'));
        }),
      );
    },
    end(id: string): void {
      const end = ends.get(id);
      if (!end) throw new Error(`${id} is not running`);
      ends.delete(id);
      end();
    },
    endAll(): void {
      for (const id of [...ends.keys()]) this.end(id);
    },
  };
}

const inSequence = (data: Record<string, unknown>) =>
  typeof data.key === 'string' ? { key: data.key, position: data.position as number } : undefined;

/** Let the worker's promises settle (a few event-loop turns). */
const settle = () => new Promise((r) => setTimeout(r, 10));

/** Wait until `done` holds. Not a budget: the ceiling only names what a hung test waited for. */
async function until(done: () => boolean): Promise<void> {
  for (let waited = 0; !done() && waited < 10_000; waited += 10) await settle();
}

describe('QueueWorker', () => {
  let worker: QueueWorker | undefined;
  let queue: ReturnType<typeof fakeQueue> | undefined;
  afterEach(async () => {
    // A failed test may leave jobs running: end them, so stop() does not wait for them.
    const stopping = worker?.stop();
    for (let i = 0; i < 3; i++) {
      queue?.endAll();
      await settle();
    }
    await stopping;
    worker = queue = undefined;
  });

  const start = (q: ReturnType<typeof fakeQueue>, maxInFlight = 4, pollMs = 10) => {
    queue = q;
    worker = new QueueWorker({
      fetch: q.fetch,
      run: q.run,
      complete: q.complete,
      inSequence,
      maxInFlight,
      pollMs,
      onError: () => undefined,
    });
    worker.start();
  };

  it('keeps a slow job to its own slot: the others end and more are fetched meanwhile', async () => {
    const q = fakeQueue();
    q.add('slow', 'a', 'b', 'c');
    start(q, 4);
    await settle();
    expect(q.started).toEqual(['slow', 'a', 'b', 'c']);
    q.add('d', 'e');
    for (const id of ['a', 'b', 'c']) q.end(id);
    await settle();
    // `slow` still runs; the jobs queued since were fetched into the freed slots.
    expect(q.started).toEqual(['slow', 'a', 'b', 'c', 'd', 'e']);
    q.endAll();
  });

  it('never runs more than maxInFlight; fetches once half the slots are free, completing what succeeded first', async () => {
    const q = fakeQueue();
    q.add('a', 'fail-b', 'c', 'd', 'e', 'f', 'g');
    start(q, 4, 60_000); // no fetch for want of free slots until half are free
    await settle();
    expect(q.started).toEqual(['a', 'fail-b', 'c', 'd']);
    q.end('a');
    await settle();
    expect(q.started).toHaveLength(4); // one slot free: no fetch yet
    q.end('fail-b');
    await settle();
    expect(q.started).toEqual(['a', 'fail-b', 'c', 'd', 'e', 'f']);
    expect(q.fetches).toEqual([4, 2]);
    // Completed in one statement, just before that fetch; the failed job is not completed.
    expect(q.completions).toEqual([['a']]);
    expect(q.maxRunning).toBe(4);
    q.endAll();
    await settle();
    q.endAll();
  });

  it('with every slot but one held by slow jobs, fetches into that one after pollMs', async () => {
    const q = fakeQueue();
    q.add('s1', 's2', 's3', 'a');
    start(q, 4, 30);
    await settle();
    q.add('b');
    q.end('a');
    await until(() => q.started.includes('b'));
    expect(q.started).toEqual(['s1', 's2', 's3', 'a', 'b']);
    expect(q.fetches).toEqual([4, 1]);
    q.endAll();
  });

  it("runs one key's jobs one after another, by position, across fetches", async () => {
    const q = fakeQueue();
    q.add('k.2', 'x', 'k.1');
    start(q, 4);
    await settle();
    expect(q.started).toEqual(['x', 'k.1']);
    q.add('k.3');
    q.end('x');
    q.end('k.1');
    await until(() => q.started.includes('k.2') && q.waiting.length === 0); // k.3 fetched at the next poll
    expect(q.started).toEqual(['x', 'k.1', 'k.2']);
    q.end('k.2');
    await until(() => q.started.includes('k.3'));
    expect(q.started).toEqual(['x', 'k.1', 'k.2', 'k.3']);
    q.end('k.3');
  });

  it('stop waits for the jobs running, and fetches no more', async () => {
    const q = fakeQueue();
    q.add('a');
    start(q, 4);
    await settle();
    let stopped = false;
    const stopping = worker!.stop().then(() => (stopped = true));
    q.add('b');
    await settle();
    expect(stopped).toBe(false);
    q.end('a');
    await stopping;
    expect(q.started).toEqual(['a']);
    expect(q.completions).toEqual([['a']]);
  });
});
