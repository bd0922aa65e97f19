import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMigrations } from '../../src/database/migrate';
import { serveEmbedded } from '../helpers/embedded-server';
import { setupState } from './global-state';
import { openRunScope } from './run-scope';

/**
 * Tests run on DATABASE_URL when it is set (CI: a fresh database on the local PostgreSQL), else on
 * the embedded database served by a child process. Migrations run once here. The run scope (see
 * run-scope.ts) is opened first, so everything the run creates is inside it.
 */
export default async function globalSetup(): Promise<void> {
  setupState().scope = openRunScope();
  if (!process.env.DATABASE_URL) {
    const dir = mkdtempSync(join(tmpdir(), 'paymux-test-db-'));
    const served = await serveEmbedded(dir);
    setupState().embedded = { served, dir };
    process.env.DATABASE_URL = served.url;
    process.env.PAYMUX_TEST_EMBEDDED = '1';
    // The apps reach it through a PostgreSQL URL, but every connection shares its one backend: a
    // statement named by one connection already exists for the next (src/database/prepared-statements.ts).
    process.env.DB_PREPARED_STATEMENTS = 'off';
  }
  await runMigrations(process.env.DATABASE_URL);
}
