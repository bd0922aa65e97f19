import { BatchedRateCounter } from './batched-rate-counter';
import type { StoredWindow } from './pg-throttler.storage';

/** The rate_limits UPSERT's rules in memory, on a clock the test moves. */
class FakeStore {
  now = 1_000_000;
  rows = new Map<string, { hits: number; endsAt: number }>();
  statements = 0;
  failNext = 0;
  /** Held replies: the test releases them to interleave a sync with hits. */
  hold = false;
  private held: (() => void)[] = [];

  addHits = async (hits: ReadonlyMap<string, number>, ttlMs: number): Promise<StoredWindow[]> => {
    this.statements++;
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('connection reset');
    }
    const out: StoredWindow[] = [];
    for (const [key, n] of hits) {
      const r = this.rows.get(key);
      const row =
        !r || r.endsAt <= this.now ? { hits: n, endsAt: this.now + ttlMs } : { ...r, hits: r.hits + n };
      this.rows.set(key, row);
      out.push({ key, hits: row.hits, msLeft: row.endsAt - this.now });
    }
    if (this.hold) await new Promise<void>((r) => this.held.push(r));
    return out;
  };

  release(): void {
    this.held.splice(0).forEach((r) => r());
  }
}

const quiet = { warn: jest.fn() };

describe('BatchedRateCounter', () => {
  let store: FakeStore;
  beforeEach(() => {
    store = new FakeStore();
    jest.spyOn(Date, 'now').mockImplementation(() => store.now);
    quiet.warn.mockClear();
  });
  afterEach(() => jest.restoreAllMocks());

  it('allows exactly `limit` hits in a window, across syncs, and blocks the next with the time left', async () => {
    const c = new BatchedRateCounter(store, 5, 60_000, quiet);
    expect([1, 2, 3].map(() => c.hit('k').blocked)).toEqual([false, false, false]);
    await c.sync();
    store.now += 10_000;
    expect(c.hit('k')).toEqual({ count: 4, blocked: false, secondsLeft: 50 });
    expect(c.hit('k')).toEqual({ count: 5, blocked: false, secondsLeft: 50 });
    expect(c.hit('k')).toEqual({ count: 6, blocked: true, secondsLeft: 50 });
    expect(store.statements).toBe(1); // hits decide locally; only the sync wrote
    await c.sync();
    expect(store.rows.get('k')?.hits).toBe(6); // blocked hits count, as with one UPSERT a request
    expect(c.hit('other').blocked).toBe(false); // keys are separate
  });

  it('sends every key in one statement per sync, and none when nothing was counted', async () => {
    const c = new BatchedRateCounter(store, 100, 60_000, quiet);
    for (let i = 0; i < 50; i++) c.hit(`k${i % 5}`);
    await c.sync();
    expect(store.statements).toBe(1);
    expect([...store.rows.values()].map((r) => r.hits)).toEqual([10, 10, 10, 10, 10]);
    await c.sync();
    expect(store.statements).toBe(1);
  });

  it('starts from zero once the store says the window ended, and forgets ended keys', async () => {
    const c = new BatchedRateCounter(store, 2, 60_000, quiet);
    c.hit('k');
    c.hit('k');
    expect(c.hit('k').blocked).toBe(true);
    await c.sync();
    store.now += 60_000;
    expect(c.hit('k')).toEqual({ count: 1, blocked: false, secondsLeft: 60 });
    await c.sync();
    expect(store.rows.get('k')).toEqual({ hits: 1, endsAt: store.now + 60_000 });
    store.now += 60_000;
    await c.sync(); // nothing unsent, window over: forgotten
    expect(c.size).toBe(0);
  });

  it('keeps the hits of a failed sync for the next one, logging at warn', async () => {
    const c = new BatchedRateCounter(store, 10, 60_000, quiet);
    c.hit('k');
    c.hit('k');
    store.failNext = 1;
    await expect(c.sync()).resolves.toBeUndefined();
    expect(quiet.warn).toHaveBeenCalledWith(expect.stringContaining('rate-limit sync failed'));
    expect(c.hit('k').count).toBe(3); // still counted while unsent
    await c.sync();
    expect(store.rows.get('k')?.hits).toBe(3);
    expect(store.statements).toBe(2);
  });

  it('with the store down for longer than a window, starts a new window on its own and sends only its hits on recovery', async () => {
    const c = new BatchedRateCounter(store, 3, 60_000, quiet);
    for (let i = 0; i < 5; i++) c.hit('k');
    store.failNext = 1_000;
    await c.sync();
    expect(c.hit('k').blocked).toBe(true);
    store.now += 60_000;
    await c.sync();
    expect(c.hit('k')).toEqual({ count: 1, blocked: false, secondsLeft: 60 });
    store.failNext = 0;
    await c.sync();
    expect(store.rows.get('k')?.hits).toBe(1);
  });

  it('counts hits made while a sync is in flight, and sends them with the next one', async () => {
    const c = new BatchedRateCounter(store, 10, 60_000, quiet);
    c.hit('k');
    store.hold = true;
    const syncing = c.sync();
    await Promise.resolve();
    expect(c.hit('k').count).toBe(2); // 1 in flight + 1 new
    store.release();
    await syncing;
    store.hold = false;
    expect(c.hit('k').count).toBe(3);
    await c.sync();
    expect(store.rows.get('k')?.hits).toBe(3);
  });

  it('ignores a reply about a window that ended here while the sync was in flight', async () => {
    const c = new BatchedRateCounter(store, 10, 60_000, quiet);
    c.hit('k');
    await c.sync(); // the store's window ends at now + 60 s
    store.now += 59_990;
    c.hit('k');
    store.hold = true;
    const syncing = c.sync(); // the store counts it in the old window (2 hits, 10 ms left)
    await Promise.resolve();
    store.now += 20; // the window ends before the reply is read
    expect(c.hit('k').count).toBe(2); // new window: the in-flight hit, conservatively, and this one
    store.release();
    await syncing;
    store.hold = false;
    expect(c.hit('k').count).toBe(2); // the reply about the ended window (2 hits) was not taken
    await c.sync();
    expect(store.rows.get('k')?.hits).toBe(2); // the store's new window: this window's 2 hits
  });

  it('two processes: the overshoot stays within two sync intervals of the other process, and the store converges', async () => {
    const limit = 100;
    const perInterval = 7; // hits each process counts between two of its syncs
    const p1 = new BatchedRateCounter(store, limit, 60_000, quiet);
    const p2 = new BatchedRateCounter(store, limit, 60_000, quiet);
    let allowed = 0;
    let hits = 0;
    for (let interval = 0; interval < 40; interval++) {
      for (const p of [p1, p2]) {
        for (let i = 0; i < perInterval; i++) {
          hits++;
          if (!p.hit('tenant').blocked) allowed++;
        }
      }
      // Staggered: p1 syncs, then p2, each once an interval.
      await p1.sync();
      await p2.sync();
      store.now += 250;
    }
    expect(allowed).toBeGreaterThanOrEqual(limit);
    expect(allowed).toBeLessThanOrEqual(limit + 2 * perInterval);
    expect(store.rows.get('tenant')?.hits).toBe(hits);
    // A sync brings a process's view to the store's count (every process's hits).
    p1.hit('tenant');
    await p1.sync();
    expect(p1.hit('tenant').count).toBe(store.rows.get('tenant')!.hits + 1);
    p2.hit('tenant');
    await p2.sync();
    expect(p2.hit('tenant').count).toBe(store.rows.get('tenant')!.hits + 1);
  });
});
