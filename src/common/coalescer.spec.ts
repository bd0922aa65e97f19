import { Coalescer, Settled } from './coalescer';

/** A `run` that records its batches and answers each item with its double, or fails the odd ones out. */
function recorder(opts: { failItem?: number; throwBatch?: boolean } = {}) {
  const batches: number[][] = [];
  let release: (() => void) | undefined;
  let gate: Promise<void> | undefined;
  const run = async (items: readonly number[]): Promise<Settled<number>[]> => {
    batches.push([...items]);
    if (gate) await gate;
    if (opts.throwBatch) throw new Error('the whole batch failed');
    return items.map((i) =>
      i === opts.failItem ? { ok: false, error: new Error(`item ${i} failed`) } : { ok: true, value: i * 2 },
    );
  };
  return {
    batches,
    run,
    hold(): void {
      gate = new Promise((r) => (release = r));
    },
    open(): void {
      gate = undefined;
      release?.();
    },
  };
}

describe('Coalescer', () => {
  it('runs a lone call on its own', async () => {
    const r = recorder();
    const c = new Coalescer(r.run, { maxBatch: 10, maxInFlight: 2 });
    await expect(c.submit(21)).resolves.toBe(42);
    expect(r.batches).toEqual([[21]]);
  });

  it('gathers the calls of one event-loop turn into one batch, each answered with its own value', async () => {
    const r = recorder();
    const c = new Coalescer(r.run, { maxBatch: 10, maxInFlight: 2 });
    await expect(Promise.all([1, 2, 3, 4].map((i) => c.submit(i)))).resolves.toEqual([2, 4, 6, 8]);
    expect(r.batches).toEqual([[1, 2, 3, 4]]);
  });

  it('queues calls while maxInFlight batches run, and sends them together next', async () => {
    const r = recorder();
    const c = new Coalescer(r.run, { maxBatch: 10, maxInFlight: 1 });
    r.hold();
    const first = c.submit(1);
    await new Promise((res) => setImmediate(res));
    expect(r.batches).toEqual([[1]]);
    // The one slot is taken: these wait, together.
    const later = [2, 3, 4].map((i) => c.submit(i));
    await new Promise((res) => setImmediate(res));
    expect(r.batches).toHaveLength(1);
    r.open();
    await expect(Promise.all([first, ...later])).resolves.toEqual([2, 4, 6, 8]);
    expect(r.batches).toEqual([[1], [2, 3, 4]]);
  });

  it('never puts more than maxBatch calls in a batch', async () => {
    const r = recorder();
    const c = new Coalescer(r.run, { maxBatch: 3, maxInFlight: 1 });
    await Promise.all([1, 2, 3, 4, 5, 6, 7].map((i) => c.submit(i)));
    expect(r.batches).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it("gives an item's error to that call alone", async () => {
    const r = recorder({ failItem: 2 });
    const c = new Coalescer(r.run, { maxBatch: 10, maxInFlight: 1 });
    const results = await Promise.allSettled([1, 2, 3].map((i) => c.submit(i)));
    expect(results.map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toEqual(new Error('item 2 failed'));
  });

  it('rejects every call of a batch whose run throws, and keeps serving later calls', async () => {
    const failing = recorder({ throwBatch: true });
    const c = new Coalescer(failing.run, { maxBatch: 10, maxInFlight: 1 });
    const results = await Promise.allSettled([1, 2].map((i) => c.submit(i)));
    expect(results.every((x) => x.status === 'rejected')).toBe(true);
    await expect(c.submit(5)).rejects.toThrow('the whole batch failed');
    expect(failing.batches).toEqual([[1, 2], [5]]);
  });
});
