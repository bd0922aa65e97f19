import { Logger } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import type { RunningPaymux } from '../src/bootstrap';
import { db, http, newMerchant, startTestApp, startTestAppWithAdmin } from './helpers/app';

/**
 * Operators' password-reset links: a platform admin makes a one-time link (1 hour, only its hash
 * stored); its holder sets a new password once; JWTs issued before the reset are refused at once, the
 * old password no longer works and the new one does; every write leaves one audit row.
 */
describe('password reset', () => {
  let app: RunningPaymux;
  let admin: { authorization: string };
  let adminId: string;

  beforeAll(async () => {
    ({ app, admin } = await startTestAppWithAdmin());
    adminId = (await http(app).get('/api/v1/auth/me').set(admin).expect(200)).body.user.id as string;
  });
  afterAll(() => app.close());

  const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
  const tokenOf = (url: string): string => new URL(url).searchParams.get('token') ?? '';
  const audit = (target: string) =>
    db(app).query<{ action: string; actor_id: string; tenant_id: string | null }[]>(
      `SELECT action, actor_id, tenant_id FROM audit_log WHERE target = $1 ORDER BY id`,
      [target],
    );
  const link = (userId: string) => http(app).post(`/api/v1/admin/users/${userId}/password-reset`).set(admin);
  const reset = (token: string, password: string) =>
    http(app).post('/api/v1/auth/password-reset').send({ token, password });
  const login = (email: string, password: string) =>
    http(app).post('/api/v1/auth/login').send({ email, password });

  it('an operator makes a link; it resets the password once and ends the old JWTs', async () => {
    const m = await newMerchant(app);
    const logged = jest.spyOn(Logger.prototype, 'log');
    const made = await link(m.userId).expect(201);
    expect(logged.mock.calls.map((c) => c[0])).toContain(
      `password reset link for ${m.email}: ${made.body.reset_url as string}`,
    );
    expect(made.body).toEqual({
      reset_url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/admin\/reset-password\?token=[\w-]{43}$/),
      expires_at: expect.stringMatching(/Z$/),
    });
    const minutes = (Date.parse(made.body.expires_at) - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(59);
    expect(minutes).toBeLessThanOrEqual(60);
    const token = tokenOf(made.body.reset_url);
    const rows = await db(app).query<Record<string, unknown>[]>(
      `SELECT * FROM password_reset_tokens WHERE user_id = $1`,
      [m.userId],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ token_hash: sha256(token), created_by: adminId, used_at: null });
    expect(JSON.stringify(rows)).not.toContain(token);
    // A second link made meanwhile is used up by the reset too.
    const second = tokenOf((await link(m.userId).expect(201)).body.reset_url);
    // A platform token made before the reset (separately revocable) keeps working.
    const pt = await http(app).post('/api/v1/auth/tokens').set(m.auth).send({ name: 'ci' }).expect(201);

    // The password rules apply; a bad token is 404.
    expect((await reset(token, m.email).expect(400)).body.code).toBe('validation_failed');
    expect((await reset('x'.repeat(43), 'brand new secret 9').expect(404)).body.code).toBe(
      'reset_token_not_found',
    );
    await http(app).get('/api/v1/auth/me').set(m.auth).expect(200);

    await reset(token, 'brand new secret 9').expect(204);
    // The JWT signed before the reset is refused on its very next request.
    expect((await http(app).get('/api/v1/auth/me').set(m.auth).expect(401)).body.code).toBe(
      'unauthenticated',
    );
    expect((await login(m.email, m.password).expect(401)).body.code).toBe('invalid_credentials');
    const fresh = await login(m.email, 'brand new secret 9').expect(200);
    await http(app)
      .get('/api/v1/auth/me')
      .set({ authorization: `Bearer ${fresh.body.access_token as string}` })
      .expect(200);
    await http(app)
      .get('/api/v1/auth/me')
      .set({ authorization: `Bearer ${pt.body.token as string}` })
      .expect(200);

    // Single use, and the other link is spent too.
    expect((await reset(token, 'another new secret 8').expect(404)).body.code).toBe('reset_token_not_found');
    expect((await reset(second, 'another new secret 8').expect(404)).body.code).toBe('reset_token_not_found');
    await login(m.email, 'brand new secret 9').expect(200);

    const trail = await audit(`user:${m.userId}`);
    expect(trail.map((a) => [a.action, a.actor_id, a.tenant_id])).toEqual([
      ['user.password_reset_link', adminId, null],
      ['user.password_reset_link', adminId, null],
      ['user.password_reset', m.userId, null],
    ]);
    expect(JSON.stringify(trail)).not.toContain('brand new secret 9');
    expect(JSON.stringify(logged.mock.calls)).not.toContain('brand new secret 9');
    logged.mockRestore();
  });

  it('refuses an expired link, and non-operators and unknown users', async () => {
    const m = await newMerchant(app);
    const expired = tokenOf((await link(m.userId).expect(201)).body.reset_url);
    await db(app).query(
      `UPDATE password_reset_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`,
      [sha256(expired)],
    );
    expect((await reset(expired, 'brand new secret 9').expect(404)).body.code).toBe('reset_token_not_found');
    await login(m.email, m.password).expect(200);

    const other = await newMerchant(app);
    const refused = await http(app)
      .post(`/api/v1/admin/users/${other.userId}/password-reset`)
      .set(m.auth)
      .expect(403);
    expect(refused.body.code).toBe('forbidden');
    expect((await link(randomUUID()).expect(404)).body.code).toBe('user_not_found');
    expect(await audit(`user:${other.userId}`)).toEqual([]);
  });
});

/** The public token routes are limited per client address like logins, so tokens cannot be guessed in bulk. */
describe('public token routes: rate limits', () => {
  let app: RunningPaymux;

  beforeAll(async () => {
    app = await startTestApp({ LOGIN_RATE_LIMIT: '3' });
  });
  afterAll(() => app.close());

  it.each([
    ['POST /api/v1/auth/password-reset', () => http(app).post('/api/v1/auth/password-reset')],
    ['POST /api/v1/invitations/accept', () => http(app).post('/api/v1/invitations/accept')],
  ])('%s answers 429 past LOGIN_RATE_LIMIT guesses', async (_, route) => {
    // Hits only add up within the window (other suites' too), so the fourth is always over the limit.
    let last = await route().send({ token: randomUUID(), password: 'some password 1' });
    for (let i = 0; i < 3; i++)
      last = await route().send({ token: randomUUID(), password: 'some password 1' });
    expect(last.status).toBe(429);
    expect(last.body.code).toBe('rate_limited');
    expect(Number(last.headers['retry-after'])).toBeGreaterThan(0);
  });
});
