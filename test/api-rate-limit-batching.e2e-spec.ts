import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { RunningPaymux } from '../src/bootstrap';
import { BatchedRateCounter } from '../src/auth/batched-rate-counter';
import { PgThrottlerStorage } from '../src/auth/pg-throttler.storage';
import { db, http, newMerchant, startTestApp } from './helpers/app';
import { waitFor } from './helpers/wait';

/**
 * The API rate limiter counts in process and reconciles with rate_limits in batches
 * (BatchedRateCounter): no statement on the request path, exact within one process, the other
 * processes' hits learnt at each sync, nothing lost at shutdown.
 */
describe('API rate limit, counted in process and synced in batches', () => {
  let store: RunningPaymux;
  let storeDb: DataSource;

  // An app that stays up for the whole file: the database handle for reading rate_limits.
  beforeAll(async () => {
    store = await startTestApp();
    storeDb = db(store);
  });
  afterAll(async () => {
    await store.close();
  });

  const storedHits = async (key: string): Promise<number | undefined> => {
    const rows = await storeDb.query<{ hits: number }[]>(`SELECT hits FROM rate_limits WHERE key = $1`, [
      key,
    ]);
    return rows[0]?.hits;
  };

  it('trips at exactly limit + 1 with no rate-limit statement per request, and flushes its hits at shutdown', async () => {
    const limit = 8;
    // No timer sync during the test (60 s): every hit stays in process until the app closes.
    const app = await startTestApp({ API_RATE_LIMIT: String(limit), RATE_LIMIT_SYNC_MS: '60000' });
    let closed = false;
    try {
      const m = await newMerchant(app); // its set-up requests count in the tenant's window
      // From here on only the API limiter could use the store (registration and login are done).
      const storage = app.app.get(PgThrottlerStorage);
      const increment = jest.spyOn(storage, 'increment');
      const addHits = jest.spyOn(storage, 'addHits');
      const key = `tenant:${m.tenantId}`;
      const answers: { status: number; remaining: number; retryAfter?: string }[] = [];
      for (let i = 0; i < limit + 3; i++) {
        const r = await http(app).get('/api/v1/orders').set(m.auth);
        answers.push({
          status: r.status,
          remaining: Number(r.headers['x-ratelimit-remaining']),
          retryAfter: r.headers['retry-after'],
        });
      }
      const countBefore = limit - answers[0].remaining - 1; // the set-up's hits
      expect(countBefore).toBeGreaterThan(0);
      const allowed = limit - countBefore;
      expect(answers.map((a) => a.status)).toEqual([
        ...Array<number>(allowed).fill(200),
        ...Array<number>(limit + 3 - allowed).fill(429),
      ]);
      // Remaining counts down one per request to 0 at the limit.
      expect(answers.map((a) => a.remaining)).toEqual(
        answers.map((_, i) => Math.max(0, limit - countBefore - 1 - i)),
      );
      expect(Number(answers[allowed].retryAfter)).toBeGreaterThan(0);
      // Decided in process: the limiter sent no statement, and the tenant's row was never written.
      expect(increment).not.toHaveBeenCalled();
      expect(addHits).not.toHaveBeenCalled();
      expect(await storedHits(key)).toBeUndefined();

      await app.close();
      closed = true;
      // Every hit, blocked ones included, reached the store at shutdown in one statement.
      expect(addHits).toHaveBeenCalledTimes(1);
      expect(await storedHits(key)).toBe(countBefore + limit + 3);
    } finally {
      if (!closed) await app.close();
    }
  });

  it('sends the hits to the store on its timer (RATE_LIMIT_SYNC_MS, default 250 ms) while the app runs', async () => {
    const m = await newMerchant(store);
    const key = `tenant:${m.tenantId}`;
    let count = 0;
    for (let i = 0; i < 3; i++) {
      const r = await http(store).get('/api/v1/orders').set(m.auth).expect(200);
      count = 1_000_000 - Number(r.headers['x-ratelimit-remaining']);
    }
    await waitFor('the tenant counter in rate_limits', async () => (await storedHits(key)) === count);
  });

  it('two processes on one database: the store converges after a sync and the overshoot stays within the bound', async () => {
    const limit = 50;
    const key = `test:${randomUUID()}`;
    const storage = new PgThrottlerStorage(storeDb);
    const logger = new Logger('rate-limit-test');
    const p1 = new BatchedRateCounter(storage, limit, 60_000, logger);
    const p2 = new BatchedRateCounter(storage, limit, 60_000, logger);
    const perInterval = 6; // hits each process counts between two of its syncs
    let allowed = 0;
    let hits = 0;
    for (let interval = 0; interval < 15; interval++) {
      for (const p of [p1, p2]) {
        for (let i = 0; i < perInterval; i++) {
          hits++;
          if (!p.hit(key).blocked) allowed++;
        }
      }
      await Promise.all([p1.sync(), p2.sync()]); // concurrent, as two processes' timers
    }
    // Documented bound: what the other process counted in two sync intervals.
    expect(allowed).toBeGreaterThanOrEqual(limit);
    expect(allowed).toBeLessThanOrEqual(limit + 2 * perInterval);
    // Converged: the store holds every hit of both, and each process sees it after its next sync.
    expect(await storedHits(key)).toBe(hits);
    p1.hit(key);
    await p1.sync();
    expect(p1.hit(key).count).toBe((await storedHits(key))! + 1);
    p2.hit(key);
    await p2.sync();
    expect(p2.hit(key).count).toBe((await storedHits(key))! + 1);
    await Promise.all([p1.sync(), p2.sync()]);
    await storeDb.query(`DELETE FROM rate_limits WHERE key = $1`, [key]);
  });

  it('a second process sees the first one’s hits after their syncs, and blocks on them', async () => {
    const limit = 10;
    const key = `test:${randomUUID()}`;
    const storage = new PgThrottlerStorage(storeDb);
    const logger = new Logger('rate-limit-test');
    const p1 = new BatchedRateCounter(storage, limit, 60_000, logger);
    const p2 = new BatchedRateCounter(storage, limit, 60_000, logger);
    for (let i = 0; i < limit; i++) expect(p1.hit(key).blocked).toBe(false);
    await p1.sync();
    p2.hit(key); // p2 has not synced this key yet: it only knows its own hit
    await p2.sync();
    const after = p2.hit(key);
    expect(after).toMatchObject({ count: limit + 2, blocked: true });
    expect(after.secondsLeft).toBeGreaterThan(55);
    await p2.sync();
    await storeDb.query(`DELETE FROM rate_limits WHERE key = $1`, [key]);
  });

  it('RATE_LIMIT_SYNC_MS=0 counts every request in the store: exact across processes', async () => {
    const env = { API_RATE_LIMIT: '5', RATE_LIMIT_SYNC_MS: '0', JWT_SECRET: 'x'.repeat(64) };
    const a = await startTestApp(env);
    const b = await startTestApp(env);
    try {
      const m = await newMerchant(a);
      const first = await http(a).get('/api/v1/orders').set(m.auth).expect(200);
      const left = Number(first.headers['x-ratelimit-remaining']);
      const statuses: number[] = [];
      for (let i = 0; i < left + 1; i++) {
        statuses.push(
          (
            await http(i % 2 === 0 ? b : a)
              .get('/api/v1/orders')
              .set(m.auth)
          ).status,
        );
      }
      expect(statuses).toEqual([...Array<number>(left).fill(200), 429]);
      expect(await storedHits(`tenant:${m.tenantId}`)).toBe(5 + 1);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
