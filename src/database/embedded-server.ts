/**
 * Serve the embedded database on its own (`node dist/src/database/embedded-server.js [DATA_DIR]`):
 * prints `DATABASE_URL=...` once ready and runs until killed. The test runner uses it when no
 * DATABASE_URL is given, so tests on a machine without PostgreSQL still run on real SQL.
 */
import { startEmbeddedDatabase } from './embedded-database';

async function main(): Promise<void> {
  const dir = process.argv[2] ?? process.env.DATA_DIR ?? './data';
  const db = await startEmbeddedDatabase(dir, 60);
  process.stdout.write(`DATABASE_URL=${db.url}\n`);
  const stop = (): void => void db.stop().finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
