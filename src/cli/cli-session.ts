import 'reflect-metadata';
import { INestApplicationContext, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { isEmail } from 'class-validator';
import { DataSource } from 'typeorm';
import { AppModule } from '../app.module';
import type { AuditActor } from '../audit/audit-log';
import { User } from '../auth/user.entity';
import { AppConfig } from '../config/app-config';
import { loadEnvFile } from '../config/config.module';
import { DatabaseHandle, openDatabase } from '../database/embedded-database';
import { runMigrations } from '../database/migrate';
import { PROVIDER_IDS } from '../payments/providers';

/** An expected failure: its message is printed on stderr (no stack trace) and the CLI exits with 1. */
export class CliError extends Error {}

/** Warnings and errors of the services go to stderr: stdout is the command's output (a CSV, say). */
const stderrLogger: LoggerService = {
  log: () => undefined,
  warn: (message: unknown) => process.stderr.write(`warning: ${String(message)}\n`),
  error: (message: unknown) => process.stderr.write(`error: ${String(message)}\n`),
};

/** The same application as the server (AppModule, same database and services), without HTTP. */
export interface CliSession {
  app: INestApplicationContext;
  config: AppConfig;
  db: DataSource;
  close(): Promise<void>;
}

/**
 * Open the database the server uses (DATABASE_URL, else the embedded one in DATA_DIR: locked while a
 * server runs on it), bring its schema up to date as the server does, and build the application
 * context. This process runs no background jobs: no reconciliation pass, no expiry sweep, no
 * notification delivery (notifications are queued for the server to deliver).
 */
export async function openSession(): Promise<CliSession> {
  await loadEnvFile();
  const config = AppConfig.fromEnv(
    { ...process.env, RECONCILE_INTERVAL_MS: '0', EXPIRY_SWEEP_INTERVAL_MS: '0', NOTIFY_WORKER: 'false' },
    PROVIDER_IDS,
  );
  let handle: DatabaseHandle;
  try {
    handle = await openDatabase(config.databaseUrl, config.dataDir, config.dbPoolSize);
  } catch (err) {
    // The embedded database's lock (a server running on the same DATA_DIR) says what to do.
    throw new CliError(err instanceof Error ? err.message : String(err));
  }
  let app: INestApplicationContext | undefined;
  try {
    await runMigrations(handle.url);
    app = await NestFactory.createApplicationContext(AppModule.forRoot(config, handle), {
      logger: stderrLogger,
      abortOnError: false,
    });
    await app.init();
    const ready = app;
    return {
      app: ready,
      config,
      db: ready.get(DataSource),
      close: async () => {
        await ready.close();
        await handle.stop();
      },
    };
  } catch (err) {
    await app?.close().catch(() => undefined);
    await handle.stop().catch(() => undefined);
    throw err;
  }
}

/** A platform admin acting from the CLI: audit rows name them, with no request origin. */
export interface CliActor extends AuditActor {
  email: string;
}

/**
 * The platform admin the CLI acts as: `--as <email>`, else ADMIN_EMAIL, else the only platform admin.
 * Refused when that account is missing, not a platform admin or disabled, or when none (or several,
 * without --as) exist.
 */
export async function resolveActor(s: CliSession, as: string | undefined): Promise<CliActor> {
  const users = s.db.getRepository(User);
  const named = (as ?? s.config.adminEmail)?.trim().toLowerCase();
  const how = as !== undefined ? '--as' : 'ADMIN_EMAIL';
  if (named) {
    if (!isEmail(named)) throw new CliError(`${how} ${named}: not an email address`);
    const user = await users.findOne({ where: { email: named } });
    if (!user?.isPlatformAdmin)
      throw new CliError(`${how} ${named}: there is no platform admin with this email`);
    if (user.disabledAt) throw new CliError(`${how} ${named}: this platform admin is disabled`);
    return { userId: user.id, email: user.email };
  }
  const admins = await users.find({ where: { isPlatformAdmin: true }, take: 2, order: { createdAt: 'ASC' } });
  if (admins.length === 0)
    throw new CliError(
      'there is no platform admin to act as: create one first (paymux admin create <email> --password-stdin)',
    );
  if (admins.length > 1)
    throw new CliError('there are several platform admins: say which one acts with --as <email>');
  if (admins[0].disabledAt) throw new CliError(`the platform admin ${admins[0].email} is disabled`);
  return { userId: admins[0].id, email: admins[0].email };
}
