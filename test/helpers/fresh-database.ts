import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

/** A database of a test's own: where paymux keeps its data, and how to remove it. */
export interface FreshDatabase {
  /** The settings that point paymux at it: DATABASE_URL and DATA_DIR (embedded when no URL). */
  /** DATABASE_URL is empty for the embedded database (so it overrides the test database's URL). */
  env: { DATABASE_URL: string; DATA_DIR: string };
  drop(): Promise<void>;
}

/**
 * For tests whose code acts on the whole database (a CLI, a second process): on PostgreSQL a new
 * database `<test database>_<tag>_<random>` beside the test database; on the embedded test database
 * an embedded database in a fresh DATA_DIR. drop() removes either, and the DATA_DIR.
 */
export async function freshDatabase(tag: string): Promise<FreshDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), `paymux-${tag}-`));
  const base = process.env.DATABASE_URL;
  if (!base || process.env.PAYMUX_TEST_EMBEDDED) {
    return {
      env: { DATABASE_URL: '', DATA_DIR: dataDir },
      drop: () => Promise.resolve(rmSync(dataDir, { recursive: true, force: true })),
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
