import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ORDER_CSV_COLUMNS } from '../src/admin/admin-orders.controller';
import type { RunningPaymux } from '../src/bootstrap';
import { keyIdOf } from '../src/common/secret-box';
import { db, http, Merchant, newMerchant, newOrder, startTestApp } from './helpers/app';
import { FreshDatabase, freshDatabase } from './helpers/fresh-database';

const OLD_KEY = randomBytes(32).toString('base64');
const NEW_KEY = randomBytes(32).toString('base64');
/** One JWT secret for every start: tokens issued before the CLI ran still verify after. */
const JWT_SECRET = randomBytes(32).toString('hex');
const ADMIN = { email: `ops-${randomUUID()}@example.test`, password: 'admin-password-1' };

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The operator CLI as an operator runs it: the built `node dist/src/cli/paymux.js <command>` as a
 * child process, on a database of its own (it acts on a whole database). The app is stopped while the
 * CLI runs (the embedded database allows one process at a time) and started again to see the effects
 * over the API: promote, suspend (403 tenant_suspended), reconcile a lost callback, replay a stored
 * event (twice: the second changes nothing), rotate the master key, export orders as CSV.
 */
describe('operator CLI (npm run paymux)', () => {
  let fresh: FreshDatabase;
  let app: RunningPaymux | undefined;
  let m: Merchant;
  let other: Merchant;
  let registrant: string;
  let lostCallback: Record<string, unknown>;
  let earlyEvent: { orderId: string; eventRowId: string };
  const runs: Record<string, Run> = {};

  const start = async (key: string): Promise<RunningPaymux> =>
    startTestApp({
      ...fresh.env,
      JWT_SECRET,
      PAYMUX_MASTER_KEY: key,
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      LOGIN_RATE_LIMIT: '1000',
    });
  const paymux = (args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Run => {
    const run = spawnSync(process.execPath, [join(__dirname, '../dist/src/cli/paymux.js'), ...args], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        ENV_FILE: '',
        ...fresh.env,
        JWT_SECRET,
        PAYMUX_MASTER_KEY: NEW_KEY,
        PAYMUX_MASTER_KEY_PREVIOUS: OLD_KEY,
        PASSWORD_HASH_TEST_CHEAP: 'true',
        ...opts.env,
      },
      input: opts.input ?? '',
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  };

  beforeAll(async () => {
    fresh = await freshDatabase('cli', { served: true });
    app = await start(OLD_KEY);
    m = await newMerchant(app);
    other = await newMerchant(app);
    // A sealed secret under the old master key.
    await http(app).post('/api/v1/api-keys').set(m.auth).send({ name: 'srv' }).expect(201);
    registrant = `staff-${randomUUID()}@example.test`;
    await http(app)
      .post('/api/v1/auth/register')
      .send({ email: registrant, password: 'registrant password 1', name: 'Staff' })
      .expect(201);
    // Paid at the sandbox, but its callback was lost: the order waits for reconciliation.
    lostCallback = await newOrder(app, m);
    await http(app)
      .post(`/api/v1/sandbox/payments/${lostCallback.pay_id as string}/complete`)
      .send({ outcome: 'succeeded', notify: false })
      .expect(200);
    // A verified success that came before paymux had recorded its payment (so it was ignored), as
    // stored by the event path: replaying it now pays the order.
    const early = await newOrder(app, m);
    const [p] = await db(app).query<{ amount: string; currency: string; provider_ref: string }[]>(
      `SELECT amount::text AS amount, currency, provider_ref FROM payments WHERE order_id = $1`,
      [early.id],
    );
    const eventRowId = randomUUID();
    await db(app).query(
      `INSERT INTO provider_events (id, tenant_id, provider, event_id, type, payment_id, outcome, note, payload, verified)
       VALUES ($1, $2, 'sandbox', $3, 'payment.succeeded', NULL, 'ignored', 'no payment with this reference', '{}', $4)`,
      [
        eventRowId,
        m.tenantId,
        `evt_${randomUUID()}`,
        JSON.stringify({
          outcome: 'succeeded',
          provider_ref: p.provider_ref,
          amount: '49.99',
          currency: p.currency,
        }),
      ],
    );
    earlyEvent = { orderId: early.id as string, eventRowId };
    await newOrder(app, other);
    await app.close();
    app = undefined;

    // The CLI runs, one command after the other, on the stopped app's database.
    runs.promote = paymux(['admin', 'promote', registrant]);
    // From here on there are two platform admins: the one acting is named.
    const as = ['--as', ADMIN.email];
    runs.suspend = paymux(['tenant', 'suspend', m.tenantId, '--reason', 'chargebacks under review', ...as]);
    runs.suspendMissing = paymux(['tenant', 'suspend', randomUUID(), '--reason', 'x', ...as]);
    runs.reconcile = paymux(['order', 'reconcile', lostCallback.id as string, ...as]);
    runs.replay = paymux(['event', 'replay', eventRowId, ...as]);
    runs.replayAgain = paymux(['event', 'replay', eventRowId, ...as]);
    runs.rotateMissingKey = paymux(['keys', 'rotate'], { env: { PAYMUX_MASTER_KEY_PREVIOUS: '' } });
    runs.rotate = paymux(['keys', 'rotate', '--batch-size', '1']);
    runs.export = paymux(['orders', 'export', '--tenant', m.tenantId, '--from', '2000-01-01']);
    runs.exportFile = paymux(['orders', 'export', '--out', join(fresh.env.DATA_DIR, 'orders.csv')]);
    runs.exportBadFrom = paymux(['orders', 'export', '--from', 'yesterday']);
    runs.create = paymux(
      ['admin', 'create', `second-${randomUUID()}@example.test`, '--password-stdin', ...as],
      {
        input: 'second admin password 9\n',
      },
    );
    runs.noActor = paymux(['tenant', 'unsuspend', m.tenantId]); // two admins now, no --as

    app = await start(NEW_KEY);
  }, 900_000); // a dozen processes, each loading the whole app
  afterAll(async () => {
    await app?.close();
    await fresh?.drop();
  });

  const auditOf = (target: string) =>
    db(app!).query<
      { action: string; actor_id: string; request_id: string | null; data: Record<string, unknown> }[]
    >(`SELECT action, actor_id, request_id, data FROM audit_log WHERE target = $1 ORDER BY id`, [target]);
  const adminId = async (): Promise<string> =>
    (await db(app!).query<{ id: string }[]>('SELECT id FROM users WHERE email = $1', [ADMIN.email]))[0].id;

  it('admin promote: makes an account a platform admin, audited as the only platform admin', async () => {
    expect(runs.promote).toMatchObject({
      status: 0,
      stdout: `${registrant} is now a platform admin (its password is unchanged).\n`,
    });
    const [user] = await db(app!).query<{ id: string; is_platform_admin: boolean }[]>(
      'SELECT id, is_platform_admin FROM users WHERE email = $1',
      [registrant],
    );
    expect(user.is_platform_admin).toBe(true);
    expect(await auditOf(`user:${user.id}`)).toEqual([
      expect.objectContaining({
        action: 'user.promote_platform_admin',
        actor_id: await adminId(),
        request_id: null,
      }),
    ]);
  });

  it('tenant suspend: the platform API then answers 403 tenant_suspended; an unknown tenant is a clear error', async () => {
    expect(runs.suspend.status).toBe(0);
    expect(runs.suspend.stdout).toContain(`tenant ${m.tenantId}`);
    const r = await http(app!).get('/api/v1/orders').set(m.auth).expect(403);
    expect(r.body.code).toBe('tenant_suspended');
    await http(app!).get('/api/v1/orders').set(other.auth).expect(200);
    expect(await auditOf(`tenant:${m.tenantId}`)).toEqual([
      expect.objectContaining({
        action: 'tenant.suspend',
        actor_id: await adminId(),
        data: expect.objectContaining({ reason: 'chargebacks under review' }),
      }),
    ]);
    expect(runs.suspendMissing).toMatchObject({
      status: 1,
      stdout: '',
      stderr: 'paymux: tenant not found\n',
    });
  });

  it('refuses a write when it cannot tell which platform admin acts', () => {
    expect(runs.noActor.status).toBe(1);
    expect(runs.noActor.stderr).toMatch(/several platform admins.*--as/);
    expect(runs.noActor.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('order reconcile: asks the provider now and applies the answer (a lost callback ends Finished)', async () => {
    expect(runs.reconcile.status).toBe(0);
    expect(runs.reconcile.stdout).toMatch(/: paid \(state Pending -> Finished, payment succeeded\)/);
    const [o] = await db(app!).query<{ state: string }[]>('SELECT state FROM orders WHERE id = $1', [
      lostCallback.id,
    ]);
    expect(o.state).toBe('Finished');
    expect((await auditOf(`order:${lostCallback.id as string}`)).map((a) => a.action)).toEqual([
      'order.reconcile',
    ]);
  });

  it('event replay: applies a stored event through the event path once; a second replay changes nothing', async () => {
    expect(runs.replay.status).toBe(0);
    expect(runs.replay.stdout).toMatch(/replayed as replay:evt_.*: applied; order state Finished/);
    expect(runs.replayAgain.status).toBe(0);
    expect(runs.replayAgain.stdout).toMatch(/already replayed .*nothing changed/);
    const [o] = await db(app!).query<{ state: string }[]>('SELECT state FROM orders WHERE id = $1', [
      earlyEvent.orderId,
    ]);
    expect(o.state).toBe('Finished');
    const credits = await db(app!).query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM ledger_entries WHERE order_id = $1`,
      [earlyEvent.orderId],
    );
    expect(credits[0].n).toBe(1);
    const events = await db(app!).query<{ event_id: string; outcome: string }[]>(
      `SELECT e.event_id, e.outcome FROM provider_events e JOIN payments p ON p.id = e.payment_id
        WHERE p.order_id = $1`,
      [earlyEvent.orderId],
    );
    expect(events).toEqual([{ event_id: expect.stringMatching(/^replay:evt_/), outcome: 'applied' }]);
    const [pay] = await db(app!).query<{ id: string }[]>('SELECT id FROM payments WHERE order_id = $1', [
      earlyEvent.orderId,
    ]);
    expect((await auditOf(`payment:${pay.id}`)).map((a) => a.action)).toEqual(['provider_event.replay']);
  });

  it('keys rotate: resumable (a missing key fails and leaves the rest; the next run finishes)', async () => {
    expect(runs.rotateMissingKey.status).toBe(1);
    expect(runs.rotateMissingKey.stderr).toMatch(/sealed under a key that is not configured/);
    expect(runs.rotate.status).toBe(0);
    expect(runs.rotate.stdout).toMatch(/merchant API key secrets.*: re-sealed 1 /);
    const keys = await db(app!).query<{ k: string }[]>(
      'SELECT DISTINCT master_key_id AS k FROM api_keys WHERE tenant_id = $1',
      [m.tenantId],
    );
    expect(keys).toEqual([{ k: keyIdOf(Buffer.from(NEW_KEY, 'base64')) }]);
  });

  it("orders export: the HTTP export's header and one row per order of the tenant; bad input is refused", () => {
    expect(runs.export.status).toBe(0);
    const lines = runs.export.stdout.split('\r\n');
    expect(lines.pop()).toBe('');
    expect(lines[0]).toBe(ORDER_CSV_COLUMNS.join(','));
    expect(lines.length - 1).toBe(2);
    expect(lines.slice(1).every((l) => l.split(',')[1] === m.tenantId)).toBe(true);
    expect(runs.exportFile.status).toBe(0);
    expect(runs.exportFile.stdout).toBe('');
    expect(runs.exportFile.stderr).toBe(`exported 3 order(s) to ${join(fresh.env.DATA_DIR, 'orders.csv')}\n`);
    expect(readFileSync(join(fresh.env.DATA_DIR, 'orders.csv'), 'utf8').split('\r\n')).toHaveLength(5);
    expect(runs.exportBadFrom.status).toBe(1);
    expect(runs.exportBadFrom.stderr).toMatch(/--from must be an ISO-8601 timestamp/);
  });

  it('admin create: a new platform admin from a password on stdin, who can log in', async () => {
    expect(runs.create.status).toBe(0);
    const email = /platform admin (\S+) created/.exec(runs.create.stdout)?.[1];
    const login = await http(app!)
      .post('/api/v1/auth/login')
      .send({ email, password: 'second admin password 9' })
      .expect(200);
    const me = await http(app!)
      .get('/api/v1/auth/me')
      .set('authorization', `Bearer ${login.body.access_token as string}`)
      .expect(200);
    expect(me.body.user).toMatchObject({ email, is_platform_admin: true });
  });
});
