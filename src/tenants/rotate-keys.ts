/**
 * `npm run keys:rotate` (built: `npm run keys:rotate:prod`, i.e. `node dist/src/tenants/rotate-keys.js`):
 * re-seal every sealed secret (SEALED_COLUMNS: provider accounts, merchant API key secrets, ...) under
 * the current PAYMUX_MASTER_KEY. Rotation: set the new key as PAYMUX_MASTER_KEY and the old one in
 * PAYMUX_MASTER_KEY_PREVIOUS, restart, run this until it reports nothing left, then drop the old key.
 * Safe to stop and run again: it only touches values not yet under the current key.
 * Options: `--batch-size N` (rows read per batch, default 100).
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { dataSourceOptions } from '../database/data-source-options';
import { openDatabase } from '../database/embedded-database';
import { rotateMasterKey } from './master-key-rotation';

function batchSizeOf(argv: readonly string[]): number {
  const i = argv.indexOf('--batch-size');
  if (i < 0) return 100;
  const n = Number(argv[i + 1]);
  if (!Number.isInteger(n) || n < 1) throw new Error('--batch-size must be a positive integer');
  return n;
}

async function main(): Promise<void> {
  const batchSize = batchSizeOf(process.argv.slice(2));
  const config = AppConfig.fromEnv(process.env);
  const handle = await openDatabase(config.databaseUrl, config.dataDir, 2);
  const ds = new DataSource(dataSourceOptions(handle.url, 2));
  try {
    await ds.initialize();
    const results = await rotateMasterKey(ds, config.masterKey, config.previousMasterKeys, batchSize);
    let left = 0;
    for (const r of results) {
      console.log(`${r.label}: re-sealed ${r.resealed} under the current PAYMUX_MASTER_KEY`);
      if (r.unreadable > 0)
        console.error(
          `  ${r.unreadable} sealed under a key that is not configured: add it to PAYMUX_MASTER_KEY_PREVIOUS and run again`,
        );
      if (r.failed > 0) console.error(`  ${r.failed} could not be opened (damaged or tampered with)`);
      left += r.unreadable + r.failed;
    }
    if (left > 0) {
      console.error(`${left} value(s) are not under the current key: keep the old key until they are.`);
      process.exitCode = 1;
    } else {
      console.log('Every sealed value is under the current key: the previous key may be removed.');
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
