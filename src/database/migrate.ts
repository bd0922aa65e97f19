import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options';

/** Any stable 64-bit number: the advisory lock that serialises migration runs across processes. */
const MIGRATION_LOCK = 72_721_001;

/** Run pending migrations under an advisory lock, so several processes may start at once. */
export async function runMigrations(url: string): Promise<string[]> {
  const ds = new DataSource({ ...dataSourceOptions(url, 2) });
  await ds.initialize();
  const runner = ds.createQueryRunner();
  try {
    await runner.connect();
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const ran = await ds.runMigrations({ transaction: 'each' });
    return ran.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
    await ds.destroy();
  }
}
