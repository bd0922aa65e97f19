import { JwtService } from '@nestjs/jwt';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { RunningPaymux } from '../src/bootstrap';
import { db, http, newMember, newMerchant, startTestApp } from './helpers/app';

const sha256Hex = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('authentication and roles', () => {
  let app: RunningPaymux;

  beforeAll(async () => {
    // The login limit has its own test below, on its own app; this one must not trip it.
    app = await startTestApp({ LOGIN_RATE_LIMIT: '1000' });
  });
  afterAll(() => app.close());

  const usersWithEmail = async (target: RunningPaymux, email: string): Promise<number> => {
    const rows = await db(target).query<{ n: number }[]>(
      'SELECT count(*)::int AS n FROM users WHERE email = $1',
      [email.toLowerCase()],
    );
    return rows[0].n;
  };

  describe('register and login', () => {
    it('refuses an email that is taken (any case) with 409 email_taken', async () => {
      const m = await newMerchant(app);
      for (const email of [m.email, m.email.toUpperCase()]) {
        const res = await http(app)
          .post('/api/v1/auth/register')
          .send({ email, password: 'another password 1', name: 'Dup' })
          .expect(409);
        expect(res.body.code).toBe('email_taken');
      }
      expect(await usersWithEmail(app, m.email)).toBe(1);
    });

    it('answers 401 invalid_credentials for a wrong password and for an unknown email alike', async () => {
      const m = await newMerchant(app);
      await http(app).post('/api/v1/auth/login').send({ email: m.email, password: m.password }).expect(200);
      const wrong = await http(app)
        .post('/api/v1/auth/login')
        .send({ email: m.email, password: 'not the password' })
        .expect(401);
      const unknown = await http(app)
        .post('/api/v1/auth/login')
        .send({ email: `nobody-${randomUUID()}@example.test`, password: m.password })
        .expect(401);
      expect(wrong.body.code).toBe('invalid_credentials');
      expect(unknown.body).toEqual(wrong.body);
      expect(wrong.body.access_token).toBeUndefined();
    });

    it('answers 403 registration_disabled and writes nothing when registration is off', async () => {
      const closed = await startTestApp({ REGISTRATION_ENABLED: 'false' });
      try {
        const email = `closed-${randomUUID()}@example.test`;
        const res = await http(closed)
          .post('/api/v1/auth/register')
          .send({ email, password: 'correct horse battery', name: 'Closed' })
          .expect(403);
        expect(res.body.code).toBe('registration_disabled');
        expect(await usersWithEmail(closed, email)).toBe(0);
      } finally {
        await closed.close();
      }
    });

    it('rate-limits login: the 6th attempt within the window gets 429 rate_limited and Retry-After', async () => {
      const limited = await startTestApp({ LOGIN_RATE_LIMIT: '5', LOGIN_RATE_WINDOW_SECONDS: '3600' });
      try {
        const email = `limited-${randomUUID()}@example.test`;
        const password = 'correct horse battery';
        await http(limited).post('/api/v1/auth/register').send({ email, password, name: 'L' }).expect(201);
        for (let i = 0; i < 5; i++) {
          await http(limited).post('/api/v1/auth/login').send({ email, password }).expect(200);
        }
        const res = await http(limited).post('/api/v1/auth/login').send({ email, password }).expect(429);
        expect(res.body.code).toBe('rate_limited');
        expect(res.body.access_token).toBeUndefined();
        // Retry-After comes from the throttler's own window (an hour here), not a fixed guess.
        const retryAfter = Number(res.headers['retry-after']);
        expect(Number.isInteger(retryAfter) && retryAfter > 60 && retryAfter <= 3600).toBe(true);
        // The limit is on login only: other routes stay open to the same client.
        await http(limited).get('/health').expect(200);
        // A forged X-Forwarded-For does not make a new client (TRUST_PROXY is off by default).
        const forged = await http(limited)
          .post('/api/v1/auth/login')
          .set('x-forwarded-for', `10.${Math.floor(Math.random() * 200)}.0.1`)
          .send({ email, password })
          .expect(429);
        expect(forged.body.code).toBe('rate_limited');
      } finally {
        await limited.close();
      }
    });

    it('rate-limits login per client address across accounts (password spraying), behind a trusted proxy', async () => {
      // One proxy of ours in front (hop count 1): the client is the right-most X-Forwarded-For entry.
      const spray = await startTestApp({ LOGIN_IP_RATE_LIMIT: '3', TRUST_PROXY: '1' });
      try {
        // A client address of its own: the limit's window is shared by every process on the database.
        const ip = `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.7`;
        // The client sends "X-Forwarded-For: a" with a new `a` each time; our proxy appends the address
        // it saw ("a, b"): the limit counts b, so the client-chosen a does not escape it.
        const attempt = (n: number) =>
          http(spray)
            .post('/api/v1/auth/login')
            .set('x-forwarded-for', `192.0.2.${n + 1}, ${ip}`)
            .send({ email: `nobody-${n}-${randomUUID()}@example.test`, password: 'guess guess guess' });
        for (let i = 0; i < 3; i++) expect((await attempt(i)).status).toBe(401);
        const blocked = await attempt(3).expect(429);
        expect(blocked.body.code).toBe('rate_limited');
        // Another address is not affected.
        await http(spray)
          .post('/api/v1/auth/login')
          .set('x-forwarded-for', `${ip}1`)
          .send({ email: `nobody-${randomUUID()}@example.test`, password: 'guess guess guess' })
          .expect(401);
      } finally {
        await spray.close();
      }
    });

    it('stores passwords as argon2id', async () => {
      const m = await newMerchant(app);
      const rows = await db(app).query<{ password_hash: string }[]>(
        'SELECT password_hash FROM users WHERE id = $1',
        [m.userId],
      );
      expect(rows[0].password_hash.startsWith('$argon2id$')).toBe(true);
      expect(rows[0].password_hash).not.toContain(m.password);
    });
  });

  describe('platform tokens', () => {
    it('authenticate, are stored only as their sha256, are never listed, and stop working once revoked', async () => {
      const m = await newMerchant(app);
      const created = await http(app)
        .post('/api/v1/auth/tokens')
        .set(m.auth)
        .send({ name: 'ci' })
        .expect(201);
      const token = created.body.token as string;
      const tokenId = created.body.id as string;
      expect(token).toMatch(/^pmx_/);
      const bearer = { authorization: `Bearer ${token}` };

      const me = await http(app).get('/api/v1/auth/me').set(bearer).expect(200);
      expect(me.body).toMatchObject({
        user: { id: m.userId, email: m.email },
        tenant: { id: m.tenantId },
        role: 'owner',
        auth: 'platform_token',
      });

      const rows = await db(app).query<{ token_hash: string; row: string }[]>(
        'SELECT t.token_hash, row_to_json(t)::text AS row FROM platform_tokens t WHERE t.id = $1',
        [tokenId],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].token_hash).toBe(sha256Hex(token));
      expect(rows[0].row).not.toContain(token);
      expect(rows[0].row).not.toContain(token.slice('pmx_'.length));

      const list = await http(app).get('/api/v1/auth/tokens').set(m.auth).expect(200);
      expect(list.body.data).toEqual([{ id: tokenId, name: 'ci', created_at: expect.any(String) }]);
      expect(JSON.stringify(list.body)).not.toContain(token.slice('pmx_'.length));

      await http(app).delete(`/api/v1/auth/tokens/${tokenId}`).set(m.auth).expect(204);
      const after = await http(app).get('/api/v1/auth/me').set(bearer).expect(401);
      expect(after.body.code).toBe('unauthenticated');
      const listed = await http(app).get('/api/v1/auth/tokens').set(m.auth).expect(200);
      expect(listed.body.data).toEqual([]);
      await http(app).delete(`/api/v1/auth/tokens/${tokenId}`).set(m.auth).expect(404);
    });
  });

  describe('JWTs', () => {
    it('rejects a JWT signed with another secret, an expired one and an unsigned one with 401', async () => {
      const m = await newMerchant(app);
      const claims = { sub: m.userId, tid: m.tenantId, role: 'owner', pa: false };
      const appJwt = app.app.get(JwtService);
      const nowSec = Math.floor(Date.now() / 1000);

      // Control: the same claims signed by the app's own key, unexpired, are accepted.
      const good = appJwt.sign({ ...claims, exp: nowSec + 60 });
      const ok = await http(app).get('/api/v1/auth/me').set('authorization', `Bearer ${good}`).expect(200);
      expect(ok.body).toMatchObject({ user: { id: m.userId }, auth: 'jwt' });

      const otherSecret = new JwtService({ secret: randomBytes(32).toString('hex') }).sign(
        { ...claims, exp: nowSec + 60 },
        { algorithm: 'HS256' },
      );
      const expired = appJwt.sign({ ...claims, iat: nowSec - 100, exp: nowSec - 10 });
      const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
      const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, exp: nowSec + 60 })}.`;

      for (const token of [otherSecret, expired, unsigned, `${good}x`]) {
        const res = await http(app)
          .get('/api/v1/auth/me')
          .set('authorization', `Bearer ${token}`)
          .expect(401);
        expect(res.body.code).toBe('unauthenticated');
      }
      const none = await http(app).get('/api/v1/auth/me').expect(401);
      expect(none.body.code).toBe('unauthenticated');
    });
  });

  describe('platform admin', () => {
    it('bootstraps ADMIN_EMAIL / ADMIN_PASSWORD as a platform admin who can log in', async () => {
      const email = `admin-${randomUUID()}@example.test`;
      const password = 'admin-password-1';
      const withAdmin = await startTestApp({ ADMIN_EMAIL: email, ADMIN_PASSWORD: password });
      try {
        const login = await http(withAdmin).post('/api/v1/auth/login').send({ email, password }).expect(200);
        const me = await http(withAdmin)
          .get('/api/v1/auth/me')
          .set('authorization', `Bearer ${login.body.access_token as string}`)
          .expect(200);
        expect(me.body.user).toMatchObject({ email, is_platform_admin: true });
        const rows = await db(withAdmin).query<{ password_hash: string; is_platform_admin: boolean }[]>(
          'SELECT password_hash, is_platform_admin FROM users WHERE email = $1',
          [email],
        );
        expect(rows).toHaveLength(1);
        expect(rows[0].is_platform_admin).toBe(true);
        expect(rows[0].password_hash.startsWith('$argon2id$')).toBe(true);
      } finally {
        await withAdmin.close();
      }

      // An ordinary merchant is no platform admin.
      const m = await newMerchant(app);
      const me = await http(app).get('/api/v1/auth/me').set(m.auth).expect(200);
      expect(me.body.user.is_platform_admin).toBe(false);
    });
  });

  describe('roles', () => {
    it('a member cannot create a package but can list packages and create orders', async () => {
      const m = await newMerchant(app);
      const { userId, auth } = await newMember(app, m);

      const denied = await http(app)
        .post('/api/v1/packages')
        .set(auth)
        .send({ name: 'sneaky', amount: 1, price: 0.01, currency: 'USD' })
        .expect(403);
      expect(denied.body.code).toBe('forbidden');
      const pkgs = await db(app).query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM packages WHERE tenant_id = $1 AND name = 'sneaky'`,
        [m.tenantId],
      );
      expect(pkgs[0].n).toBe(0);

      const list = await http(app).get('/api/v1/packages').set(auth).expect(200);
      expect((list.body.data as { id: string }[]).map((p) => p.id)).toEqual([m.packageId]);

      const order = await http(app)
        .post('/api/v1/orders/')
        .set(auth)
        .send({ application_id: m.applicationId, package_id: m.packageId, pay_way: 'Sandbox' })
        .expect(201);
      expect(order.body).toMatchObject({
        user_id: userId,
        application_id: m.applicationId,
        package_id: m.packageId,
        state: 'Pending',
      });
    });
  });
});
