/** `npm run migration:run`: migrate DATABASE_URL, or the embedded database in DATA_DIR when it is unset. */
import 'reflect-metadata';
import { AppConfig } from '../config/app-config';
import { openDatabase } from './embedded-database';
import { runMigrations } from './migrate';

async function main(): Promise<void> {
  const config = AppConfig.fromEnv(process.env);
  const db = await openDatabase(config.databaseUrl, config.dataDir, 2);
  try {
    const ran = await runMigrations(db.url, (line) => console.log(line));
    console.log(ran.length ? `Ran ${ran.length} migration(s): ${ran.join(', ')}` : 'No pending migrations.');
  } finally {
    await db.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
