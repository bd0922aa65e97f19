import type { DataSource } from 'typeorm';
import { ApiKeyUsage } from './api-key-usage';

/** api_keys.last_used_at with the conditional update's rule, on a clock the test moves. */
class FakeDb {
  now = 1_000_000_000;
  lastUsed = new Map<string, number>();
  statements = 0;
  failNext = false;

  query = (_sql: string, [id]: [string]): Promise<{ age_ms: number }[]> => {
    this.statements++;
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error('connection reset'));
    }
    const last = this.lastUsed.get(id);
    if (last === undefined || last < this.now - 60_000) this.lastUsed.set(id, this.now);
    return Promise.resolve([{ age_ms: this.now - (this.lastUsed.get(id) as number) }]);
  };
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('ApiKeyUsage', () => {
  let fake: FakeDb;
  let usage: ApiKeyUsage;

  beforeEach(() => {
    fake = new FakeDb();
    jest.spyOn(Date, 'now').mockImplementation(() => fake.now);
    usage = new ApiKeyUsage(fake as unknown as DataSource);
  });
  afterEach(() => jest.restoreAllMocks());

  it('sends one update per key per minute, and sets the column again once a minute has passed', async () => {
    for (let i = 0; i < 100; i++) usage.touch('k1');
    await settle();
    expect(fake.statements).toBe(1);
    expect(fake.lastUsed.get('k1')).toBe(fake.now);
    fake.now += 59_000;
    usage.touch('k1');
    await settle();
    expect(fake.statements).toBe(1);
    fake.now += 2_000;
    usage.touch('k1');
    await settle();
    expect(fake.statements).toBe(2);
    expect(fake.lastUsed.get('k1')).toBe(fake.now);
  });

  it('keeps each key apart', async () => {
    usage.touch('k1');
    usage.touch('k2');
    await settle();
    expect(fake.statements).toBe(2);
    expect([...fake.lastUsed.keys()].sort()).toEqual(['k1', 'k2']);
  });

  it('counts a value another process set: the column never lags a use by more than a minute', async () => {
    // Another process set it 50 s ago: this one's update changes nothing, and it asks again 10 s later.
    fake.lastUsed.set('k1', fake.now - 50_000);
    usage.touch('k1');
    await settle();
    expect(fake.lastUsed.get('k1')).toBe(fake.now - 50_000);
    fake.now += 11_000;
    usage.touch('k1');
    await settle();
    expect(fake.statements).toBe(2);
    expect(fake.lastUsed.get('k1')).toBe(fake.now);
  });

  it('tries again on the next use when an update fails', async () => {
    fake.failNext = true;
    usage.touch('k1');
    await settle();
    expect(fake.lastUsed.has('k1')).toBe(false);
    usage.touch('k1');
    await settle();
    expect(fake.statements).toBe(2);
    expect(fake.lastUsed.get('k1')).toBe(fake.now);
  });
});
