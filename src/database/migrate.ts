import { DataSource, MigrationExecutor } from 'typeorm';
import { dataSourceOptions } from './data-source-options';

/** Any stable 64-bit number: the advisory lock that serialises migration runs across processes. */
const MIGRATION_LOCK = 72_721_001;

/**
 * Run pending migrations under an advisory lock, so several processes may start at once. `log` is
 * told what happens: "applying X" before each pending migration is run, or "schema up to date".
 */
export async function runMigrations(
  url: string,
  log: (line: string) => void = () => undefined,
): Promise<string[]> {
  // Migrations are SQL: no entity is needed to run them.
  const ds = new DataSource(dataSourceOptions(url, 2, []));
  await ds.initialize();
  const runner = ds.createQueryRunner();
  try {
    await runner.connect();
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const pending = await new MigrationExecutor(ds, runner).getPendingMigrations();
    if (pending.length === 0) log(`database schema up to date (${ds.migrations.length} migrations)`);
    for (const m of pending) log(`applying migration ${m.name}`);
    const ran = await ds.runMigrations({ transaction: 'each' });
    if (ran.length > 0) log(`applied ${ran.length} migration${ran.length > 1 ? 's' : ''}: schema up to date`);
    return ran.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
    await ds.destroy();
  }
}
