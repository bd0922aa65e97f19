/**
 * `npm run admin:promote -- <email>` (or `node dist/src/auth/promote-admin.js <email>` in production):
 * make an existing account a platform admin. The explicit form of what ADMIN_EMAIL refuses to do
 * implicitly (see AuthService.bootstrapAdmin); the account keeps its own password. Audited.
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { recordAudit } from '../audit/audit-log';
import { AppConfig } from '../config/app-config';
import { loadEnvFile } from '../config/config.module';
import { dataSourceOptions } from '../database/data-source-options';
import { openDatabase } from '../database/embedded-database';
import { User } from './user.entity';

/** Promote the account with this email; 'already' when it was a platform admin, null when there is none. */
export async function promoteToPlatformAdmin(
  ds: DataSource,
  emailRaw: string,
): Promise<'promoted' | 'already' | null> {
  const email = emailRaw.trim().toLowerCase();
  return ds.transaction(async (m) => {
    const user = await m.findOne(User, { where: { email }, lock: { mode: 'pessimistic_write' } });
    if (!user) return null;
    if (user.isPlatformAdmin) return 'already';
    await m.update(User, { id: user.id }, { isPlatformAdmin: true });
    // No request: the actor is the account itself, without request id or IP.
    await recordAudit(
      m,
      { userId: user.id },
      {
        tenantId: null,
        action: 'user.promote_platform_admin',
        target: `user:${user.id}`,
        data: { email, via: 'admin:promote command' },
      },
    );
    return 'promoted';
  });
}

async function main(): Promise<void> {
  const email = process.argv[2];
  if (!email || process.argv.length > 3) {
    console.error(
      'usage: npm run admin:promote -- <email>   (or node dist/src/auth/promote-admin.js <email>)',
    );
    process.exitCode = 2;
    return;
  }
  await loadEnvFile();
  const config = AppConfig.fromEnv(process.env);
  const handle = await openDatabase(config.databaseUrl, config.dataDir, 2);
  const ds = new DataSource(dataSourceOptions(handle.url, 2));
  try {
    await ds.initialize();
    const result = await promoteToPlatformAdmin(ds, email);
    if (result === null) {
      console.error(`No account has the email ${email}: nothing was changed.`);
      process.exitCode = 1;
    } else if (result === 'already') {
      console.log(`${email} is already a platform admin.`);
    } else {
      console.log(`${email} is now a platform admin (its password is unchanged).`);
    }
  } finally {
    if (ds.isInitialized) await ds.destroy();
    await handle.stop();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
