import { randomUUID } from 'node:crypto';
import type { RunningPaymux } from '../src/bootstrap';
import { db, http, newMember, newMerchant, startTestAppWithAdmin } from './helpers/app';

/**
 * The platform operators' users API: list and search (email, name, id; disabled filter), cursor pages,
 * one user's detail with memberships; never a password hash; platform admins only.
 */
describe('admin users', () => {
  let app: RunningPaymux;
  let admin: { authorization: string };

  beforeAll(async () => {
    ({ app, admin } = await startTestAppWithAdmin());
  });
  afterAll(() => app.close());

  const list = (query: Record<string, string | number>) =>
    http(app).get('/api/v1/admin/users').query(query).set(admin);
  const ids = (body: { data: { id: string }[] }): string[] => body.data.map((u) => u.id);
  const expectNoHash = (body: unknown): void => {
    const text = JSON.stringify(body);
    expect(text).not.toMatch(/argon/i);
    expect(text).not.toMatch(/password|hash/i);
  };

  it('searches by part of the email (any case), by name with literal wildcards, and by exact id', async () => {
    const a = await newMerchant(app);
    const b = await newMerchant(app);
    const byEmail = await list({ q: a.email.slice(2, 20).toUpperCase() }).expect(200);
    expect(byEmail.body).toEqual({
      data: [
        {
          id: a.userId,
          email: a.email,
          name: 'Merchant',
          is_platform_admin: false,
          disabled: false,
          disabled_at: null,
          created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
          memberships: [{ tenant_id: a.tenantId, tenant_name: expect.any(String), role: 'owner' }],
        },
      ],
      has_more: false,
      next_cursor: null,
    });
    expectNoHash(byEmail.body);

    const byId = await list({ q: b.userId.toUpperCase() }).expect(200);
    expect(ids(byId.body)).toEqual([b.userId]);
    // A prefix of the id is not a search by id (nor does it match an email or a name).
    expect(ids((await list({ q: b.userId.slice(0, 8) }).expect(200)).body)).not.toContain(b.userId);

    await db(app).query(`UPDATE users SET name = $2 WHERE id = $1`, [b.userId, `Ann 100%_off ${b.userId}`]);
    const byName = await list({ q: `ann 100%_OFF ${b.userId.slice(0, 8)}` }).expect(200);
    expect(ids(byName.body)).toEqual([b.userId]);
    // Wildcards are literal: "%" finds only names or emails holding a "%".
    const percent = await list({ q: '%', limit: 100 }).expect(200);
    expect(ids(percent.body)).toContain(b.userId);
    expect(ids(percent.body)).not.toContain(a.userId);
    for (const u of percent.body.data as { email: string; name: string }[])
      expect(`${u.email}${u.name}`).toContain('%');
    expect(ids((await list({ q: `${a.email.slice(0, 3)}_` }).expect(200)).body)).toEqual([]);
  });

  it('filters on disabled after one is disabled', async () => {
    const m = await newMerchant(app);
    const other = await newMerchant(app);
    expect(ids((await list({ q: m.email, disabled: 'true' }).expect(200)).body)).toEqual([]);
    await http(app).post(`/api/v1/admin/users/${m.userId}/disable`).set(admin).expect(200);

    const disabled = await list({ disabled: 'true', limit: 100 }).expect(200);
    expect(ids(disabled.body)).toContain(m.userId);
    expect(ids(disabled.body)).not.toContain(other.userId);
    const row = disabled.body.data.find((u: { id: string }) => u.id === m.userId);
    expect(row).toMatchObject({ disabled: true, disabled_at: expect.any(String) });
    for (const u of disabled.body.data as { disabled: boolean }[]) expect(u.disabled).toBe(true);

    const enabled = await list({ disabled: 'false', limit: 100 }).expect(200);
    expect(ids(enabled.body)).toContain(other.userId);
    expect(ids(enabled.body)).not.toContain(m.userId);
    expect(ids((await list({ q: m.email, disabled: 'false' }).expect(200)).body)).toEqual([]);

    const bad = await list({ disabled: 'yes' }).expect(400);
    expect(bad.body.code).toBe('validation_failed');
  });

  it('walks every user once, newest first, whatever the page size', async () => {
    // Other suites may add users to the same database meanwhile: walk only this test's users, found by
    // a marker in their names.
    const marker = `walk-${randomUUID()}`;
    const mine: string[] = [];
    for (let i = 0; i < 3; i++) {
      const m = await newMerchant(app);
      await db(app).query(`UPDATE users SET name = $2 WHERE id = $1`, [m.userId, `${marker} ${i}`]);
      mine.push(m.userId);
    }
    const all = await list({ q: marker, limit: 100 }).expect(200);
    expect(all.body.has_more).toBe(false);
    expect([...ids(all.body)].sort()).toEqual([...mine].sort());
    const created = (all.body.data as { created_at: string }[]).map((u) => u.created_at);
    expect([...created].sort().reverse()).toEqual(created);
    for (const size of [1, 2, 3]) {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await list({ q: marker, limit: size, ...(cursor ? { cursor } : {}) }).expect(200);
        expect(page.body.data.length).toBeLessThanOrEqual(size);
        seen.push(...ids(page.body));
        cursor = page.body.next_cursor ?? undefined;
        expect(page.body.has_more).toBe(cursor !== undefined);
      } while (cursor && seen.length < 200);
      expect(seen).toEqual(ids(all.body));
    }
    expectNoHash(all.body);

    const bad = await list({ cursor: 'nope' }).expect(400);
    expect(bad.body.code).toBe('invalid_cursor');
    expect((await list({ limit: 0 }).expect(400)).body.code).toBe('validation_failed');
  });

  it('shows one user with every membership, never a password hash', async () => {
    const m = await newMerchant(app);
    const member = await newMember(app, m);
    const res = await http(app).get(`/api/v1/admin/users/${member.userId}`).set(admin).expect(200);
    expect(res.body).toEqual({
      id: member.userId,
      email: `member-${member.userId}@example.test`,
      name: 'Member',
      is_platform_admin: false,
      disabled: false,
      disabled_at: null,
      created_at: expect.any(String),
      memberships: [{ tenant_id: m.tenantId, tenant_name: expect.any(String), role: 'member' }],
    });
    expectNoHash(res.body);

    const me = (await http(app).get('/api/v1/auth/me').set(admin).expect(200)).body.user.id as string;
    const self = await http(app).get(`/api/v1/admin/users/${me}`).set(admin).expect(200);
    expect(self.body).toMatchObject({ id: me, is_platform_admin: true });
    expectNoHash(self.body);

    const unknown = await http(app).get(`/api/v1/admin/users/${randomUUID()}`).set(admin).expect(404);
    expect(unknown.body.code).toBe('user_not_found');
    const badId = await http(app).get('/api/v1/admin/users/not-a-uuid').set(admin).expect(400);
    expect(badId.body.code).toBe('invalid_id');
  });

  it('refuses these routes to anyone but a platform admin', async () => {
    const m = await newMerchant(app);
    const member = await newMember(app, m);
    for (const who of [member.auth, m.auth]) {
      for (const req of [
        http(app).get('/api/v1/admin/users').set(who),
        http(app).get('/api/v1/admin/users').query({ q: m.email }).set(who),
        http(app).get(`/api/v1/admin/users/${m.userId}`).set(who),
      ]) {
        const res = await req;
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('forbidden');
      }
    }
    await http(app).get('/api/v1/admin/users').expect(401);
    await http(app).get(`/api/v1/admin/users/${m.userId}`).expect(401);
  });
});
