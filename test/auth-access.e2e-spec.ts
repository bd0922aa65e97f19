import { JwtService } from '@nestjs/jwt';
import { randomUUID } from 'node:crypto';
import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import type { RunningPaymux } from '../src/bootstrap';
import { db, http, newMember, newMerchant, newOrder, startTestAppWithAdmin } from './helpers/app';

/** Poll until `check` is true, for at most `timeoutMs` (generous: the machine may be loaded). */
async function eventually(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const decode = (jwt: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;

/**
 * (Also: a member may cancel only their own orders, like paying.)
 * A token's role, platform-admin flag and the account's disabled flag are re-read from the database
 * at most every AUTH_RECHECK_SECONDS (1 here): demotion, removal and disabling take effect without a
 * query per request; JWTs must carry exp and iat.
 */
describe('current access of token holders', () => {
  let app: RunningPaymux;
  let admin: { authorization: string };

  beforeAll(async () => {
    ({ app, admin } = await startTestAppWithAdmin({ AUTH_RECHECK_SECONDS: '1' }));
  });
  afterAll(() => app.close());

  it('refuses a demoted platform admin within the recheck bound, though its JWT still says pa: true', async () => {
    const m = await newMerchant(app);
    await db(app).query('UPDATE users SET is_platform_admin = true WHERE id = $1', [m.userId]);
    const login = await http(app)
      .post('/api/v1/auth/login')
      .send({ email: m.email, password: m.password })
      .expect(200);
    const auth = { authorization: `Bearer ${login.body.access_token as string}` };
    expect(decode(login.body.access_token as string).pa).toBe(true);
    // Promoted behind the app's back too: also seen within the bound (its set-up requests cached pa=false).
    await eventually(async () => (await http(app).get('/api/v1/admin/fx-rates').set(auth)).status === 200);

    await db(app).query('UPDATE users SET is_platform_admin = false WHERE id = $1', [m.userId]);
    await eventually(async () => (await http(app).get('/api/v1/admin/fx-rates').set(auth)).status === 403);
    const me = await http(app).get('/api/v1/auth/me').set(auth).expect(200);
    expect(me.body.user.is_platform_admin).toBe(false);
  });

  it('applies a role change (owner demoted to member) and refuses a removed member', async () => {
    const m = await newMerchant(app);
    const pkg = { name: 'p', amount: 1, price: 1, currency: 'USD' };
    await http(app).post('/api/v1/packages').set(m.auth).send(pkg).expect(201);
    await db(app).query(`UPDATE memberships SET role = 'member' WHERE user_id = $1 AND tenant_id = $2`, [
      m.userId,
      m.tenantId,
    ]);
    await eventually(
      async () => (await http(app).post('/api/v1/packages').set(m.auth).send(pkg)).status === 403,
    );

    const member = await newMember(app, m);
    await http(app).get('/api/v1/orders').set(member.auth).expect(200);
    await db(app).query('DELETE FROM memberships WHERE user_id = $1 AND tenant_id = $2', [
      member.userId,
      m.tenantId,
    ]);
    await eventually(async () => (await http(app).get('/api/v1/orders').set(member.auth)).status === 401);
    const refused = await http(app).get('/api/v1/orders').set(member.auth).expect(401);
    expect(refused.body.code).toBe('unauthenticated');
  });

  it('disables a user (audited): its JWT, platform token and logins are refused at once; enabling restores them', async () => {
    const m = await newMerchant(app);
    const token = await http(app).post('/api/v1/auth/tokens').set(m.auth).send({ name: 'ci' }).expect(201);
    const pat = { authorization: `Bearer ${token.body.token as string}` };
    await http(app).get('/api/v1/orders').set(pat).expect(200);
    await http(app).get('/api/v1/orders').set(m.auth).expect(200);

    // Only a platform admin may.
    const other = await newMerchant(app);
    const denied = await http(app)
      .post(`/api/v1/admin/users/${m.userId}/disable`)
      .set(other.auth)
      .expect(403);
    expect(denied.body.code).toBe('forbidden');

    const res = await http(app).post(`/api/v1/admin/users/${m.userId}/disable`).set(admin).expect(200);
    expect(res.body).toMatchObject({ id: m.userId, disabled: true, disabled_at: expect.any(String) });
    // This process invalidated its cache: refused at once, not after the recheck bound.
    for (const auth of [m.auth, pat]) {
      const r = await http(app).get('/api/v1/orders').set(auth).expect(401);
      expect(r.body.code).toBe('account_disabled');
    }
    const login = await http(app)
      .post('/api/v1/auth/login')
      .send({ email: m.email, password: m.password })
      .expect(401);
    expect(login.body.code).toBe('account_disabled');
    // A wrong password still says only that.
    const wrong = await http(app)
      .post('/api/v1/auth/login')
      .send({ email: m.email, password: 'not the password' })
      .expect(401);
    expect(wrong.body.code).toBe('invalid_credentials');

    const audit = await db(app).query<{ actor_id: string; action: string; data: unknown }[]>(
      `SELECT actor_id, action, data FROM audit_log WHERE target = $1 ORDER BY id`,
      [`user:${m.userId}`],
    );
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'user.disable', data: { from: 'enabled', to: 'disabled' } });

    await http(app).post(`/api/v1/admin/users/${m.userId}/enable`).set(admin).expect(200);
    await http(app).get('/api/v1/orders').set(m.auth).expect(200);
    await http(app).get('/api/v1/orders').set(pat).expect(200);
    await http(app).post('/api/v1/auth/login').send({ email: m.email, password: m.password }).expect(200);

    const unknown = await http(app)
      .post(`/api/v1/admin/users/${randomUUID()}/disable`)
      .set(admin)
      .expect(404);
    expect(unknown.body.code).toBe('user_not_found');
  });

  it('refuses, within the recheck bound, a user disabled by another process (the row changed directly)', async () => {
    const m = await newMerchant(app);
    await http(app).get('/api/v1/orders').set(m.auth).expect(200);
    await db(app).query('UPDATE users SET disabled_at = now() WHERE id = $1', [m.userId]);
    await eventually(async () => (await http(app).get('/api/v1/orders').set(m.auth)).status === 401);
  });

  it('refuses a platform token revoked by another process within the recheck bound', async () => {
    const m = await newMerchant(app);
    const token = await http(app).post('/api/v1/auth/tokens').set(m.auth).send({ name: 'ci' }).expect(201);
    const pat = { authorization: `Bearer ${token.body.token as string}` };
    await http(app).get('/api/v1/orders').set(pat).expect(200);
    await db(app).query('UPDATE platform_tokens SET revoked_at = now() WHERE id = $1', [token.body.id]);
    await eventually(async () => (await http(app).get('/api/v1/orders').set(pat)).status === 401);
  });

  it('issues JWTs with iat and exp, and refuses a JWT without exp or without iat', async () => {
    const m = await newMerchant(app);
    const claims = decode(m.token);
    expect(typeof claims.iat).toBe('number');
    expect(claims.exp).toBe((claims.iat as number) + 3600);

    const appJwt = app.app.get(JwtService);
    const base = { sub: m.userId, tid: m.tenantId, role: 'owner', pa: false };
    const nowSec = Math.floor(Date.now() / 1000);
    // Control: signed by the app's key with iat and exp, accepted.
    await http(app)
      .get('/api/v1/auth/me')
      .set('authorization', `Bearer ${appJwt.sign({ ...base, exp: nowSec + 60 })}`)
      .expect(200);
    const noExp = appJwt.sign(base);
    expect(decode(noExp).exp).toBeUndefined();
    const noIat = appJwt.sign({ ...base, exp: nowSec + 60 }, { noTimestamp: true });
    expect(decode(noIat).iat).toBeUndefined();
    for (const token of [noExp, noIat]) {
      const res = await http(app).get('/api/v1/auth/me').set('authorization', `Bearer ${token}`).expect(401);
      expect(res.body.code).toBe('unauthenticated');
    }
  });

  it('costs no query per request to check access: at most one per recheck window (counted)', async () => {
    const m = await newMerchant(app);
    const token = await http(app).post('/api/v1/auth/tokens').set(m.auth).send({ name: 'ci' }).expect(201);
    const pat = { authorization: `Bearer ${token.body.token as string}` };
    const isAccessCheck = (sql: string): boolean =>
      /FROM users u\s+LEFT JOIN memberships/.test(sql) || /FROM platform_tokens/.test(sql);
    const N = 40;
    for (const [label, auth] of [
      ['jwt', m.auth],
      ['platform token', pat],
    ] as const) {
      const spy = jest.spyOn(PostgresQueryRunner.prototype, 'query');
      const started = Date.now();
      let all: string[];
      try {
        for (let i = 0; i < N; i++) await http(app).get('/api/v1/orders').set(auth).expect(200);
        all = spy.mock.calls.map((c) => String(c[0]));
      } finally {
        spy.mockRestore();
      }
      const windows = Math.floor((Date.now() - started) / 1000) + 1;
      const checks = all.filter(isAccessCheck).length;
      process.stdout.write(
        `[measure] ${label}: ${N} requests in ${windows} s: ${all.length} statements (${(all.length / N).toFixed(2)}/request), ` +
          `${checks} access checks\n`,
      );
      // One (user, tenant) read per window, plus one token lookup per window for platform tokens.
      expect(checks).toBeLessThanOrEqual(label === 'jwt' ? windows : 2 * windows);
      expect(checks).toBeLessThan(N / 4);
    }
  });

  it("refuses a member cancelling another user's order (like paying it); the member's own and the owner's cancels pass", async () => {
    const m = await newMerchant(app);
    const member = await newMember(app, m);
    const ownersOrder = await newOrder(app, m);
    const refused = await http(app)
      .post(`/api/v1/orders/${ownersOrder.id as string}/cancel`)
      .set(member.auth)
      .expect(403);
    expect(refused.body.code).toBe('forbidden');
    const state = await http(app)
      .get(`/api/v1/orders/${ownersOrder.id as string}`)
      .set(m.auth)
      .expect(200);
    expect(state.body.state).toBe('Pending');

    const membersOrder = await http(app)
      .post('/api/v1/orders/')
      .set(member.auth)
      .send({ application_id: m.applicationId, package_id: m.packageId, pay_way: 'Sandbox' })
      .expect(201);
    const own = await http(app)
      .post(`/api/v1/orders/${membersOrder.body.id as string}/cancel`)
      .set(member.auth)
      .expect(200);
    expect(own.body.state).toBe('Cancelled');
    const byOwner = await http(app)
      .post(`/api/v1/orders/${ownersOrder.id as string}/cancel`)
      .set(m.auth)
      .expect(200);
    expect(byOwner.body.state).toBe('Cancelled');
  });
});
