import { Client } from 'pg';
import { DB_PREFIX, dropDatabase, PG_ADMIN_URL, removeDir, runId } from './harness';
import { composeReport, OUTPUT } from './report';

/** Writes RELIABILITY.md once more and drops any database of this run a failed scenario left behind. */
export default async function globalTeardown(): Promise<void> {
  composeReport();
  process.stderr.write(`\n[reliability] report written to ${OUTPUT}\n`);
  const admin = new Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  let left: string[];
  try {
    left = (
      await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [
        `${DB_PREFIX}${runId()}%`,
      ])
    ).rows.map((r) => r.datname);
  } finally {
    await admin.end();
  }
  for (const name of left) await dropDatabase(name).catch(() => undefined);
  if (process.env.RELIABILITY_RUN_DIR) removeDir(process.env.RELIABILITY_RUN_DIR);
}
