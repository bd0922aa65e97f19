import { existsSync, mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { PG_ADMIN_URL, runId, SERVER_ENTRY } from './harness';
import { gitCommit, relativeToRoot, writeMeta } from './report';

/**
 * Once per run: check the built server is there, fix the run id (the prefix of every database the
 * run creates) and the directory where scenarios leave their figures for RELIABILITY.md.
 */
export default async function globalSetup(): Promise<void> {
  if (!existsSync(SERVER_ENTRY))
    throw new Error(`${SERVER_ENTRY} not found: run \`npm run build\` first, or set RELIABILITY_SERVER`);
  const id = runId();
  process.env.RELIABILITY_RUN_DIR = mkdtempSync(join(os.tmpdir(), `paymux-rel-run-${id}-`));
  const admin = new Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  let postgres: string;
  try {
    const v = (await admin.query<{ v: string }>('SELECT version() AS v')).rows[0].v;
    postgres = v.split(' on ')[0];
  } finally {
    await admin.end();
  }
  const cpu = os.cpus();
  writeMeta({
    runId: id,
    startedAt: new Date().toISOString(),
    server: relativeToRoot(SERVER_ENTRY),
    commit: gitCommit(),
    postgres,
    node: process.version,
    cpus: `${cpu.length} × ${cpu[0]?.model.trim() ?? 'CPU'}`,
  });
}
