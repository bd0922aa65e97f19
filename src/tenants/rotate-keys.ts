/**
 * `npm run keys:rotate` (or `node dist/src/tenants/rotate-keys.js` in production): re-seal every
 * provider account under the current PAYMUX_MASTER_KEY. Rotation: set the new key as
 * PAYMUX_MASTER_KEY and the old one in PAYMUX_MASTER_KEY_PREVIOUS, restart, run this, then drop the
 * old key from PAYMUX_MASTER_KEY_PREVIOUS.
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { dataSourceOptions } from '../database/data-source-options';
import { openDatabase } from '../database/embedded-database';
import { ProviderAccountsService } from './provider-accounts.service';

async function main(): Promise<void> {
  const config = AppConfig.fromEnv(process.env);
  const handle = await openDatabase(config.databaseUrl, config.dataDir, 2);
  const ds = new DataSource(dataSourceOptions(handle.url, 2));
  try {
    await ds.initialize();
    const { resealed, unreadable } = await new ProviderAccountsService(ds, config).rotate();
    console.log(`Re-sealed ${resealed} provider account(s) under the current PAYMUX_MASTER_KEY.`);
    if (unreadable > 0) {
      console.error(
        `${unreadable} account(s) are sealed under a key that is not configured: add it to PAYMUX_MASTER_KEY_PREVIOUS.`,
      );
      process.exitCode = 1;
    }
  } finally {
    if (ds.isInitialized) await ds.destroy();
    await handle.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
