import type { DataSource } from 'typeorm';
import { PreparedStatements } from './prepared-statements';

/** A DataSource whose pool records each named statement and whose query() records the unnamed ones. */
function fakeDataSource() {
  const named: { name: string; text: string }[] = [];
  const unnamed: string[] = [];
  const db = {
    driver: {
      master: {
        query: (c: { name: string; text: string }) => {
          named.push({ name: c.name, text: c.text });
          return Promise.resolve({ rows: [{ via: 'named' }] });
        },
      },
    },
    query: (text: string) => {
      unnamed.push(text);
      return Promise.resolve([{ via: 'unnamed' }]);
    },
  } as unknown as DataSource;
  return { db, named, unnamed };
}

describe('PreparedStatements', () => {
  it('names one text the same every time, and two texts differently', async () => {
    const f = fakeDataSource();
    const s = new PreparedStatements(f.db, true);
    await s.query('SELECT 1');
    await s.query('SELECT 1');
    await s.query('SELECT 2');
    expect(f.unnamed).toEqual([]);
    expect(f.named.map((n) => n.text)).toEqual(['SELECT 1', 'SELECT 1', 'SELECT 2']);
    expect(f.named[0].name).toBe(f.named[1].name);
    expect(f.named[2].name).not.toBe(f.named[0].name);
  });

  it(`names at most ${PreparedStatements.MAX_NAMES} texts; later texts run unnamed, named ones stay named`, async () => {
    const f = fakeDataSource();
    const s = new PreparedStatements(f.db, true);
    for (let i = 0; i < PreparedStatements.MAX_NAMES; i++) await s.query(`SELECT ${i}`);
    expect(await s.query('SELECT -1')).toEqual([{ via: 'unnamed' }]);
    expect(await s.query('SELECT 0')).toEqual([{ via: 'named' }]);
    expect(f.unnamed).toEqual(['SELECT -1']);
    expect(new Set(f.named.map((n) => n.name)).size).toBe(PreparedStatements.MAX_NAMES);
  });

  it('runs everything through DataSource.query when off (the embedded database, DB_PREPARED_STATEMENTS=off)', async () => {
    const f = fakeDataSource();
    const s = new PreparedStatements(f.db, false);
    expect(await s.query('SELECT 1')).toEqual([{ via: 'unnamed' }]);
    expect(f.named).toEqual([]);
  });
});
