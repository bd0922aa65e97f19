import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { RunningPaymux } from '../src/bootstrap';
import { db, http, startTestApp, TEST_MASTER_KEY } from './helpers/app';

const run = promisify(execFile);

/**
 * ADMIN_EMAIL never promotes an existing account implicitly: the start stops, naming
 * `npm run admin:promote`, which (here from the compiled JS, as in production) promotes it explicitly.
 */
describe('ADMIN_EMAIL bootstrap and admin:promote', () => {
  let app: RunningPaymux;
  const dataDir = mkdtempSync(join(tmpdir(), 'paymux-promote-'));

  beforeAll(async () => {
    app = await startTestApp({ LOGIN_RATE_LIMIT: '1000' });
  });
  afterAll(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** `node dist/src/cli/paymux.js admin promote <email>` (what admin:promote:prod runs), on the test database. */
  const promote = (email: string) =>
    run(process.execPath, [join(__dirname, '../dist/src/cli/paymux.js'), 'admin', 'promote', email], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        DATABASE_URL: process.env.DATABASE_URL,
        DATA_DIR: dataDir,
        JWT_SECRET: randomBytes(32).toString('hex'),
        PAYMUX_MASTER_KEY: TEST_MASTER_KEY,
      },
    });

  const adminFlag = async (email: string): Promise<boolean | undefined> =>
    (
      await db(app).query<{ is_platform_admin: boolean }[]>(
        'SELECT is_platform_admin FROM users WHERE email = $1',
        [email],
      )
    )[0]?.is_platform_admin;

  it('refuses to start when ADMIN_EMAIL is a registered non-admin; the command promotes it; then the start works', async () => {
    const email = `first-${randomUUID()}@example.test`;
    const registrantPassword = 'registrant password 1';
    await http(app)
      .post('/api/v1/auth/register')
      .send({ email, password: registrantPassword, name: 'First' })
      .expect(201);
    const env = { ADMIN_EMAIL: email, ADMIN_PASSWORD: 'admin-password-1', LOGIN_RATE_LIMIT: '1000' };

    await expect(startTestApp(env)).rejects.toThrow(
      new RegExp(
        `ADMIN_EMAIL=${email.replace(/[.]/g, '\\.')} .*not a platform admin.*npm run admin:promote -- `,
        's',
      ),
    );
    expect(await adminFlag(email)).toBe(false);

    const promoted = await promote(email);
    expect(promoted.stdout).toContain(`${email} is now a platform admin`);
    expect(await adminFlag(email)).toBe(true);
    const audit = await db(app).query<{ action: string }[]>(
      `SELECT a.action FROM audit_log a JOIN users u ON a.target = 'user:' || u.id WHERE u.email = $1`,
      [email],
    );
    expect(audit.map((a) => a.action)).toEqual(['user.promote_platform_admin']);
    // Again: nothing to do, said so.
    expect((await promote(email)).stdout).toContain('already a platform admin');

    const started = await startTestApp(env);
    try {
      // The registrant's password is unchanged, and it is now the admin's; ADMIN_PASSWORD was not applied.
      const login = await http(started)
        .post('/api/v1/auth/login')
        .send({ email, password: registrantPassword })
        .expect(200);
      const me = await http(started)
        .get('/api/v1/auth/me')
        .set('authorization', `Bearer ${login.body.access_token as string}`)
        .expect(200);
      expect(me.body.user).toMatchObject({ email, is_platform_admin: true });
      await http(started)
        .post('/api/v1/auth/login')
        .send({ email, password: 'admin-password-1' })
        .expect(401);
    } finally {
      await started.close();
    }
  });

  it('creates the admin when no account has ADMIN_EMAIL, and leaves an existing admin as it is', async () => {
    const email = `admin-${randomUUID()}@example.test`;
    const first = await startTestApp({ ADMIN_EMAIL: email, ADMIN_PASSWORD: 'admin-password-1' });
    await first.close();
    const hash = async (): Promise<string> =>
      (
        await db(app).query<{ password_hash: string }[]>('SELECT password_hash FROM users WHERE email = $1', [
          email,
        ])
      )[0].password_hash;
    const before = await hash();
    expect(await adminFlag(email)).toBe(true);
    // A second start with another ADMIN_PASSWORD changes nothing (the admin may have changed its password).
    const second = await startTestApp({ ADMIN_EMAIL: email, ADMIN_PASSWORD: 'another-password-2' });
    await second.close();
    expect(await hash()).toBe(before);
  });

  it('the command refuses an unknown email, changing nothing', async () => {
    const email = `nobody-${randomUUID()}@example.test`;
    const failed = await promote(email).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain(`No account has the email ${email}`);
  });
});
