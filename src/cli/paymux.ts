#!/usr/bin/env node
/**
 * The operator CLI: `npm run paymux -- <command>` (built: `npm run paymux:prod -- <command>`, i.e.
 * `node dist/src/cli/paymux.js <command>`). It runs the server's own services (AppModule in a Nest
 * application context, no HTTP listener) on the server's database. `npm run paymux -- --help` lists
 * the commands. Exit code 0 on success, 1 on any error (message on stderr).
 */
import { OrderReconcileService } from '../payments/reconciliation/order-reconcile.service';
import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { isEmail, isUUID, validate } from 'class-validator';
import { Command, CommanderError, Option } from 'commander';
import { createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { orderCsvRows } from '../admin/admin-orders.controller';
import { AdminOrdersService } from '../admin/admin-orders.service';
import { AdminTenantsService } from '../admin/admin-tenants.service';
import { AdminOrdersExportQueryDto } from '../admin/dto/admin-orders.dto';
import { recordAudit } from '../audit/audit-log';
import { passwordHashOptions } from '../auth/password-hash';
import { AdminActor, createPlatformAdmin, promoteToPlatformAdmin } from '../auth/promote-admin';
import { DomainError } from '../common/domain-error';
import { passwordProblem } from '../common/password-policy';
import { Order } from '../orders/order.entity';
import { Payment } from '../payments/attempts/payment.entity';
import { PaymentEventsService } from '../payments/events/payment-events.service';
import { rotateMasterKey } from '../tenants/master-key-rotation';
import { TenantsService } from '../tenants/tenants.service';
import { CliError, CliSession, openSession, resolveActor } from './cli-session';

const DATABASE_HELP = `
Database: the server's, from the same settings (DATABASE_URL, else the embedded database in DATA_DIR;
an .env file is read like the server reads it). The embedded database is locked while a server runs
on the same DATA_DIR: stop the server first (PostgreSQL has no such limit). Pending migrations are
applied first, as at server start.
Writes are audited as the platform admin named by --as <email> (default: ADMIN_EMAIL, else the only
platform admin); a command that writes is refused when there is none.
Exit code: 0 on success, 1 on an error (the message on stderr).`;

/** Open the session, run `fn`, close the session whatever happens. */
async function withSession<T>(fn: (s: CliSession) => Promise<T>): Promise<T> {
  const s = await openSession();
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

const say = (line: string): void => void process.stdout.write(`${line}\n`);

function uuidArg(what: string, value: string): string {
  if (!isUUID(value)) throw new CliError(`${what} must be a uuid, got ${JSON.stringify(value)}`);
  return value;
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY)
    throw new CliError('--password-stdin: pipe the password in, e.g. printf %s "$PASSWORD" | paymux ...');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/**
 * Who creates or promotes a platform admin: `--as` when given (it must be one); else the default
 * admin (ADMIN_EMAIL, the only one) when there is one, else the account itself (the first admin, or
 * ADMIN_EMAIL naming the very account being promoted), as `admin:promote` always recorded it.
 */
async function adminActor(s: CliSession, as: string | undefined): Promise<AdminActor> {
  if (as !== undefined) return resolveActor(s, as);
  return resolveActor(s, undefined).catch((err: unknown) => {
    if (err instanceof CliError) return 'self' as const;
    throw err;
  });
}

/** Ask the providers about an order's open attempts now (the admin API's reconcile, audited alike). */
async function reconcileOrder(s: CliSession, orderId: string, as: string | undefined): Promise<void> {
  const actor = await resolveActor(s, as);
  const order = await s.db.getRepository(Order).findOne({ where: { id: orderId } });
  if (!order) throw new CliError(`no order ${orderId}`);
  const before = order.state;
  const r = await s.app.get(OrderReconcileService).reconcile(actor, order.tenantId, order.id);
  say(
    `order ${order.id}: ${r.outcome} (state ${before}${r.state !== before ? ` -> ${r.state}` : ''}, ` +
      `payment ${r.payment_status ?? 'none'}); ${r.detail}`,
  );
}

async function replayEvent(s: CliSession, ref: string, as: string | undefined): Promise<void> {
  const actor = await resolveActor(s, as);
  const r = await s.app.get(PaymentEventsService).replay(ref, async (m, original) => {
    const payment = original.verified
      ? await m.findOne(Payment, {
          where: {
            tenantId: original.tenantId,
            provider: original.provider,
            providerRef: original.verified.provider_ref,
          },
        })
      : null;
    await recordAudit(m, actor, {
      tenantId: original.tenantId,
      action: 'provider_event.replay',
      target: payment ? `payment:${payment.id}` : `provider_event:${original.id}`,
      data: { provider_event_id: original.id, provider: original.provider, event_id: original.eventId },
    });
  });
  const what = `provider event ${r.original.id} (${r.original.provider} ${r.original.eventId})`;
  if (r.outcome === 'duplicate') {
    say(`${what} was already replayed as ${r.replayEventId}: nothing changed`);
    return;
  }
  say(
    `${what} replayed as ${r.replayEventId}: ${r.outcome}${r.note ? ` (${r.note})` : ''}` +
      `${r.orderState ? `; order state ${r.orderState}` : ''}`,
  );
}

async function rotateKeys(s: CliSession, batchSize: number): Promise<void> {
  const { config } = s;
  const results = await rotateMasterKey(s.db, config.masterKey, config.previousMasterKeys, batchSize);
  let left = 0;
  for (const r of results) {
    say(`${r.label}: re-sealed ${r.resealed} under the current PAYMUX_MASTER_KEY`);
    if (r.unreadable > 0)
      process.stderr.write(
        `  ${r.unreadable} sealed under a key that is not configured: add it to PAYMUX_MASTER_KEY_PREVIOUS and run again\n`,
      );
    if (r.failed > 0) process.stderr.write(`  ${r.failed} could not be opened (damaged or tampered with)\n`);
    left += r.unreadable + r.failed;
  }
  if (left > 0)
    throw new CliError(`${left} value(s) are not under the current key: keep the old key until they are.`);
  say('Every sealed value is under the current key: the previous key may be removed.');
}

interface ExportOptions {
  tenant?: string;
  from?: string;
  to?: string;
  out?: string;
}

/** A date alone (2026-01-31) means its start, UTC. */
const timestampArg = (v: string | undefined): string | undefined =>
  v !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v;

async function exportOrders(s: CliSession, o: ExportOptions): Promise<void> {
  // The HTTP export's query, checked by its own rules.
  const query = plainToInstance(AdminOrdersExportQueryDto, {
    tenant_id: o.tenant,
    created_from: timestampArg(o.from),
    created_to: timestampArg(o.to),
  });
  const problems = await validate(query, { whitelist: true, forbidNonWhitelisted: true });
  if (problems.length > 0)
    throw new CliError(
      problems
        .flatMap((p) => Object.values(p.constraints ?? {}))
        .join('; ')
        .replace(/tenant_id/g, '--tenant')
        .replace(/created_from/g, '--from')
        .replace(/created_to/g, '--to'),
    );
  let rows = -1; // the header is not an order
  const count = new Transform({
    transform(chunk: string, _enc, done) {
      rows++;
      done(null, chunk);
    },
    writableObjectMode: true,
  });
  const out = o.out ? createWriteStream(o.out) : process.stdout;
  await pipeline(Readable.from(orderCsvRows(s.app.get(AdminOrdersService), {}, query)), count, out, {
    end: o.out !== undefined,
  });
  if (o.out) process.stderr.write(`exported ${rows} order(s) to ${o.out}\n`);
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliError('--batch-size must be a positive integer');
  return n;
}

export function buildProgram(): Command {
  const program = new Command('paymux')
    .description('paymux operator commands (the same services and database as the server)')
    .addHelpText('after', DATABASE_HELP)
    .showHelpAfterError()
    .exitOverride();
  const asOption = (): Option => new Option('--as <email>', 'the platform admin this is done as (audit log)');

  const admin = program.command('admin').description('platform admin accounts');
  admin
    .command('create <email>')
    .description('create a platform admin account; the password is read from stdin')
    .requiredOption('--password-stdin', 'read the password from stdin (e.g. printf %s "$PW" | ...)')
    .option('--name <name>', 'display name', 'Platform admin')
    .addOption(asOption())
    .action(async (email: string, o: { name: string; as?: string }) => {
      if (!isEmail(email)) throw new CliError(`${email} is not an email address`);
      const password = await readStdin();
      const problem = passwordProblem(password, email);
      if (problem) throw new CliError(`password: ${problem}`);
      await withSession(async (s) => {
        const actor = await adminActor(s, o.as);
        const user = await s.db.transaction((m) =>
          createPlatformAdmin(
            m,
            s.app.get(TenantsService),
            { email, password, name: o.name, hashOptions: passwordHashOptions(s.config) },
            actor,
          ),
        );
        if (!user)
          throw new CliError(
            `${email} already has an account: nothing was changed (make it an admin with: paymux admin promote ${email})`,
          );
        say(`platform admin ${user.email} created (user ${user.id})`);
      });
    });
  admin
    .command('promote <email>')
    .description('make an existing account a platform admin (it keeps its own password)')
    .addOption(asOption())
    .action(async (email: string, o: { as?: string }) => {
      await withSession(async (s) => {
        const actor = await adminActor(s, o.as);
        const result = await s.db.transaction((m) => promoteToPlatformAdmin(m, email, actor));
        if (result === null) throw new CliError(`No account has the email ${email}: nothing was changed.`);
        say(
          result === 'already'
            ? `${email} is already a platform admin.`
            : `${email} is now a platform admin (its password is unchanged).`,
        );
      });
    });

  const tenant = program.command('tenant').description('tenants');
  tenant
    .command('suspend <tenant-id>')
    .description('suspend a tenant: its staff, API keys and new orders are refused (403 tenant_suspended)')
    .requiredOption('--reason <text>', 'why (kept on the tenant and in the audit log)')
    .addOption(asOption())
    .action(async (id: string, o: { reason: string; as?: string }) => {
      uuidArg('tenant-id', id);
      const reason = o.reason.trim();
      if (!reason || reason.length > 500) throw new CliError('--reason must be 1 to 500 characters');
      await withSession(async (s) => {
        const actor = await resolveActor(s, o.as);
        const t = await s.app.get(AdminTenantsService).setSuspended(actor, id, true, reason);
        say(`tenant ${t.id} (${t.name}) is suspended: ${t.suspension_reason ?? reason}`);
      });
    });
  tenant
    .command('unsuspend <tenant-id>')
    .description('lift a tenant suspension')
    .option('--reason <text>', 'why (kept in the audit log)')
    .addOption(asOption())
    .action(async (id: string, o: { reason?: string; as?: string }) => {
      uuidArg('tenant-id', id);
      await withSession(async (s) => {
        const actor = await resolveActor(s, o.as);
        const t = await s.app
          .get(AdminTenantsService)
          .setSuspended(actor, id, false, o.reason?.trim() || undefined);
        say(`tenant ${t.id} (${t.name}) is not suspended`);
      });
    });

  program
    .command('order')
    .description('one order')
    .command('reconcile <order-id>')
    .description("ask the provider about the order's open payment attempts now and apply the answer")
    .addOption(asOption())
    .action(async (id: string, o: { as?: string }) => {
      uuidArg('order-id', id);
      await withSession((s) => reconcileOrder(s, id, o.as));
    });

  program
    .command('event')
    .description('stored provider events')
    .command('replay <provider-event-id>')
    .description(
      'apply a stored, verified provider event again through the normal event path (idempotent: ' +
        "replaying it twice changes nothing). The id is the event's uuid (order timeline) or the provider's event id",
    )
    .addOption(asOption())
    .action(async (ref: string, o: { as?: string }) => {
      await withSession((s) => replayEvent(s, ref, o.as));
    });

  program
    .command('keys')
    .description('the master key')
    .command('rotate')
    .description(
      're-seal every sealed secret under the current PAYMUX_MASTER_KEY (old key in PAYMUX_MASTER_KEY_PREVIOUS); ' +
        'resumable: run it again until it reports nothing left, then drop the old key',
    )
    .addOption(new Option('--batch-size <n>', 'rows read per batch').default(100).argParser(positiveInt))
    .action(async (o: { batchSize: number }) => {
      await withSession((s) => rotateKeys(s, o.batchSize));
    });

  program
    .command('orders')
    .description('orders of every tenant')
    .command('export')
    .description('stream orders as CSV (the columns of GET /api/v1/admin/orders/export.csv), newest first')
    .option('--tenant <id>', "only this tenant's orders")
    .option('--from <time>', 'created at or after (ISO-8601 with a time zone, or a date: its start, UTC)')
    .option('--to <time>', 'created before (ISO-8601 with a time zone, or a date)')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (o: ExportOptions) => {
      await withSession((s) => exportOrders(s, o));
    });

  return program;
}

/** Run the CLI with these arguments (after `node script`); resolves to the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 1; // commander printed it
    if (err instanceof CliError || err instanceof DomainError) {
      process.stderr.write(`paymux: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`paymux: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

if (require.main === module) {
  void runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
    // Everything is closed; should a library still hold the event loop, do not hang the shell.
    setTimeout(() => process.exit(code), 5000).unref();
  });
}
