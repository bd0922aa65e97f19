import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { serveEmbedded } from './embedded-server';

/** A database of a test's own: where paymux keeps its data, and how to remove it. */
export interface FreshDatabase {
  /**
   * The settings that point paymux at it: DATABASE_URL and DATA_DIR. DATABASE_URL is empty for an
   * embedded database opened by the process itself (so it overrides the test database's URL).
   */
  env: { DATABASE_URL: string; DATA_DIR: string; DB_PREPARED_STATEMENTS?: string };
  drop(): Promise<void>;
}

/**
 * For tests whose code acts on the whole database (a CLI, a second process): on PostgreSQL a new
 * database `<test database>_<tag>_<random>` beside the test database; on the embedded test database
 * an embedded database in a fresh DATA_DIR. drop() removes either, and the DATA_DIR.
 *
 * `served`: for a test that starts an app inside Jest (PGlite cannot load there), the embedded
 * database is served by a child process and reached through its URL, as the test database is.
 */
export async function freshDatabase(tag: string, opts: { served?: boolean } = {}): Promise<FreshDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), `paymux-${tag}-`));
  const base = process.env.DATABASE_URL;
  if (!base || process.env.PAYMUX_TEST_EMBEDDED) {
    const removeDir = (): void => rmSync(dataDir, { recursive: true, force: true });
    if (!opts.served)
      return { env: { DATABASE_URL: '', DATA_DIR: dataDir }, drop: () => Promise.resolve(removeDir()) };
    const served = await serveEmbedded(join(dataDir, 'served'));
    return {
      env: { DATABASE_URL: served.url, DATA_DIR: dataDir, DB_PREPARED_STATEMENTS: 'off' },
      drop: () => served.stop().then(removeDir),
    };
  }
  const admin = new URL(base);
  const name = `${admin.pathname.slice(1)}_${tag}_${randomBytes(4).toString('hex')}`.toLowerCase();
  admin.pathname = '/postgres';
  const run = async (sql: string): Promise<void> => {
    const c = new Client({ connectionString: admin.toString() });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await run(`CREATE DATABASE "${name}"`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    env: { DATABASE_URL: url.toString(), DATA_DIR: dataDir },
    drop: async () => {
      await run(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
