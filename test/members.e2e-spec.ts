import { Logger } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import type { RunningPaymux } from '../src/bootstrap';
import { db, http, Merchant, newMerchant, paidOrderId, startTestApp } from './helpers/app';

/**
 * Members and invitations: an owner invites by email (the link is returned, only its hash stored), the
 * invitee previews and accepts (a new account, or an existing one with its own password), role changes
 * and removals take effect on the member's very next request with the same old JWT, the last owner
 * stays, other tenants' members and invitations are 404, and every write leaves exactly one audit row.
 */
describe('members and invitations', () => {
  let app: RunningPaymux;

  beforeAll(async () => {
    // The public invitation routes are limited like logins; this suite makes many of them.
    app = await startTestApp({ LOGIN_RATE_LIMIT: '1000' });
  });
  afterAll(() => app.close());

  const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
  const tokenOf = (acceptUrl: string): string => new URL(acceptUrl).searchParams.get('token') ?? '';
  const audit = (target: string) =>
    db(app).query<
      { action: string; actor_id: string; tenant_id: string | null; data: Record<string, unknown> }[]
    >(`SELECT action, actor_id, tenant_id, data FROM audit_log WHERE target = $1 ORDER BY id`, [target]);
  const invite = (who: { authorization: string }, email: string, role = 'member') =>
    http(app).post('/api/v1/invitations').set(who).send({ email, role });
  const login = async (email: string, password: string, tenantId?: string) => {
    const res = await http(app)
      .post('/api/v1/auth/login')
      .send({ email, password, ...(tenantId ? { tenant_id: tenantId } : {}) })
      .expect(200);
    return { authorization: `Bearer ${res.body.access_token as string}` };
  };

  /** A new account invited to `owner`'s tenant with `role`, accepted and logged in. */
  async function joined(
    owner: Merchant,
    role = 'member',
  ): Promise<{ userId: string; email: string; auth: { authorization: string } }> {
    const email = `invitee-${randomUUID()}@example.test`;
    const created = await invite(owner.auth, email, role).expect(201);
    await http(app)
      .post('/api/v1/invitations/accept')
      .send({ token: tokenOf(created.body.accept_url), password: 'invitee password 1' })
      .expect(200);
    const [{ id }] = await db(app).query<{ id: string }[]>(`SELECT id FROM users WHERE email = $1`, [email]);
    return { userId: id, email, auth: await login(email, 'invitee password 1') };
  }

  it('an owner invites; the invitee previews, accepts with a new account, signs in and has member rights', async () => {
    const owner = await newMerchant(app);
    const email = `Invitee-${randomUUID()}@Example.test`;
    const logged = jest.spyOn(Logger.prototype, 'log');
    const created = await invite(owner.auth, email).expect(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      email: email.toLowerCase(),
      role: 'member',
      status: 'pending',
      expires_at: expect.stringMatching(/Z$/),
      created_at: expect.stringMatching(/Z$/),
      accept_url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/admin\/accept-invite\?token=[\w-]{43}$/),
    });
    // No mail transport: the link is logged at info level.
    expect(logged.mock.calls.map((c) => c[0])).toContain(
      `invitation link for ${email.toLowerCase()}: ${created.body.accept_url as string}`,
    );
    const days = (Date.parse(created.body.expires_at) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.99);
    expect(days).toBeLessThanOrEqual(7);
    const token = tokenOf(created.body.accept_url);
    const id = created.body.id as string;
    // Only the token's SHA-256 is stored.
    const [row] = await db(app).query<Record<string, unknown>[]>(`SELECT * FROM invitations WHERE id = $1`, [
      id,
    ]);
    expect(row.token_hash).toBe(sha256(token));
    expect(JSON.stringify(row)).not.toContain(token);
    expect(await audit(`invitation:${id}`)).toEqual([
      expect.objectContaining({
        action: 'invitation.create',
        actor_id: owner.userId,
        tenant_id: owner.tenantId,
      }),
    ]);

    const listed = await http(app).get('/api/v1/invitations').set(owner.auth).expect(200);
    expect(listed.body.data).toEqual([
      {
        id,
        email: email.toLowerCase(),
        role: 'member',
        status: 'pending',
        invited_by_email: owner.email,
        expires_at: created.body.expires_at,
        created_at: created.body.created_at,
        accepted_at: null,
      },
    ]);

    const preview = await http(app).get('/api/v1/invitations/preview').query({ token }).expect(200);
    expect(preview.body).toEqual({
      tenant_name: expect.any(String),
      email: email.toLowerCase(),
      role: 'member',
      expires_at: created.body.expires_at,
      account_exists: false,
    });

    // A new account's password follows the registration's rules.
    const weak = await http(app)
      .post('/api/v1/invitations/accept')
      .send({ token, password: 'password' })
      .expect(400);
    expect(weak.body.code).toBe('validation_failed');

    const accepted = await http(app)
      .post('/api/v1/invitations/accept')
      .send({ token, password: 'invitee password 1', name: 'Ivy' })
      .expect(200);
    expect(accepted.body).toEqual({
      tenant_id: owner.tenantId,
      tenant_name: preview.body.tenant_name,
      email: email.toLowerCase(),
      role: 'member',
    });
    const [user] = await db(app).query<{ id: string; name: string }[]>(
      `SELECT id, name FROM users WHERE email = $1`,
      [email.toLowerCase()],
    );
    expect(user.name).toBe('Ivy');
    const trail = await audit(`invitation:${id}`);
    expect(trail.map((a) => [a.action, a.actor_id])).toEqual([
      ['invitation.create', owner.userId],
      ['invitation.accept', user.id],
    ]);
    expect(JSON.stringify(trail)).not.toContain('invitee password 1');
    expect(JSON.stringify(logged.mock.calls)).not.toContain('invitee password 1');
    logged.mockRestore();

    // Used up: the link is gone.
    for (const again of [
      http(app).post('/api/v1/invitations/accept').send({ token, password: 'invitee password 1' }),
      http(app).get('/api/v1/invitations/preview').query({ token }),
    ]) {
      const res = await again.expect(404);
      expect(res.body.code).toBe('invitation_not_found');
    }
    const after = await http(app).get('/api/v1/invitations').set(owner.auth).expect(200);
    expect(after.body.data[0]).toMatchObject({
      status: 'accepted',
      accepted_at: expect.stringMatching(/Z$/),
    });

    // The member signs in normally, sees the tenant's orders, may not refund.
    const member = await login(email, 'invitee password 1');
    const me = await http(app).get('/api/v1/auth/me').set(member).expect(200);
    expect(me.body).toMatchObject({ tenant: { id: owner.tenantId }, role: 'member' });
    await http(app).get('/api/v1/orders').set(member).expect(200);
    const orderId = await paidOrderId(app, owner);
    const refused = await http(app)
      .post(`/api/v1/orders/${orderId}/refunds`)
      .set(member)
      .send({ reason: 'not mine to give' })
      .expect(403);
    expect(refused.body.code).toBe('forbidden');

    const members = await http(app).get('/api/v1/members').set(member).expect(200);
    expect(members.body.data).toEqual([
      {
        user_id: owner.userId,
        email: owner.email,
        name: 'Merchant',
        role: 'owner',
        created_at: expect.any(String),
      },
      {
        user_id: user.id,
        email: email.toLowerCase(),
        name: 'Ivy',
        role: 'member',
        created_at: expect.any(String),
      },
    ]);
  });

  it('a role change and a removal take effect on the very next request with the same old JWT', async () => {
    const owner = await newMerchant(app);
    const member = await joined(owner);

    // A member may not invite or change roles.
    expect((await invite(member.auth, `x-${randomUUID()}@example.test`).expect(403)).body.code).toBe(
      'forbidden',
    );
    await http(app)
      .patch(`/api/v1/members/${member.userId}`)
      .set(member.auth)
      .send({ role: 'admin' })
      .expect(403);
    await http(app).delete(`/api/v1/members/${owner.userId}`).set(member.auth).expect(403);
    await http(app).get('/api/v1/invitations').set(member.auth).expect(403);

    const changed = await http(app)
      .patch(`/api/v1/members/${member.userId}`)
      .set(owner.auth)
      .send({ role: 'admin' })
      .expect(200);
    expect(changed.body).toMatchObject({ user_id: member.userId, email: member.email, role: 'admin' });
    // The same JWT, signed when it was a member, now acts as admin.
    const me = await http(app).get('/api/v1/auth/me').set(member.auth).expect(200);
    expect(me.body.role).toBe('admin');
    await invite(member.auth, `by-admin-${randomUUID()}@example.test`).expect(201);
    const changes = await audit(`user:${member.userId}`);
    expect(changes).toEqual([
      expect.objectContaining({
        action: 'member.role_change',
        actor_id: owner.userId,
        tenant_id: owner.tenantId,
        data: expect.objectContaining({ before: { role: 'member' }, after: { role: 'admin' } }),
      }),
    ]);

    // An admin may neither grant nor take `owner`.
    await http(app)
      .patch(`/api/v1/members/${member.userId}`)
      .set(member.auth)
      .send({ role: 'owner' })
      .expect(403);
    await http(app)
      .patch(`/api/v1/members/${owner.userId}`)
      .set(member.auth)
      .send({ role: 'member' })
      .expect(403);
    await http(app).delete(`/api/v1/members/${owner.userId}`).set(member.auth).expect(403);
    const bad = await http(app)
      .patch(`/api/v1/members/${member.userId}`)
      .set(owner.auth)
      .send({ role: 'root' });
    expect(bad.status).toBe(400);

    // The member's platform token is revoked with the membership.
    const pt = await http(app).post('/api/v1/auth/tokens').set(member.auth).send({ name: 'ci' }).expect(201);
    const platform = { authorization: `Bearer ${pt.body.token as string}` };
    await http(app).get('/api/v1/orders').set(platform).expect(200);

    await http(app).delete(`/api/v1/members/${member.userId}`).set(owner.auth).expect(204);
    const gone = await http(app).get('/api/v1/orders').set(member.auth).expect(401);
    expect(gone.body.code).toBe('unauthenticated');
    await http(app).get('/api/v1/orders').set(platform).expect(401);
    expect((await audit(`user:${member.userId}`)).map((a) => a.action)).toEqual([
      'member.role_change',
      'member.remove',
    ]);
    const missing = await http(app).delete(`/api/v1/members/${member.userId}`).set(owner.auth).expect(404);
    expect(missing.body.code).toBe('member_not_found');
    const list = await http(app).get('/api/v1/members').set(owner.auth).expect(200);
    expect(list.body.data.map((m: { user_id: string }) => m.user_id)).toEqual([owner.userId]);
  });

  it('keeps the last owner, and answers 404 for another tenant’s member', async () => {
    const owner = await newMerchant(app);
    const other = await newMerchant(app);
    for (const res of [
      await http(app).patch(`/api/v1/members/${owner.userId}`).set(owner.auth).send({ role: 'admin' }),
      await http(app).delete(`/api/v1/members/${owner.userId}`).set(owner.auth),
    ]) {
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('last_owner');
    }
    for (const res of [
      await http(app).patch(`/api/v1/members/${other.userId}`).set(owner.auth).send({ role: 'member' }),
      await http(app).delete(`/api/v1/members/${other.userId}`).set(owner.auth),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('member_not_found');
    }
    expect(await audit(`user:${owner.userId}`)).toEqual([]);
    expect(await audit(`user:${other.userId}`)).toEqual([]);
    await http(app).patch('/api/v1/members/not-a-uuid').set(owner.auth).send({ role: 'admin' }).expect(400);

    // With a second owner, the first may step down.
    const second = await joined(owner, 'owner');
    await http(app)
      .patch(`/api/v1/members/${owner.userId}`)
      .set(owner.auth)
      .send({ role: 'admin' })
      .expect(200);
    const last = await http(app).delete(`/api/v1/members/${second.userId}`).set(second.auth).expect(409);
    expect(last.body.code).toBe('last_owner');
  });

  it('refuses expired, revoked and unknown links, and inviting a member; an existing account accepts with its password', async () => {
    const owner = await newMerchant(app);
    const other = await newMerchant(app);

    // Inviting someone who already is a member: 409.
    expect((await invite(owner.auth, owner.email.toUpperCase()).expect(409)).body.code).toBe(
      'already_member',
    );

    // An account that exists accepts with its own password, and keeps its own tenant.
    const created = await invite(owner.auth, other.email).expect(201);
    const token = tokenOf(created.body.accept_url);
    const preview = await http(app).get('/api/v1/invitations/preview').query({ token }).expect(200);
    expect(preview.body.account_exists).toBe(true);
    const wrong = await http(app)
      .post('/api/v1/invitations/accept')
      .send({ token, password: 'not the password 1' })
      .expect(401);
    expect(wrong.body.code).toBe('invalid_credentials');
    await http(app).post('/api/v1/invitations/accept').send({ token, password: other.password }).expect(200);
    expect((await invite(owner.auth, other.email).expect(409)).body.code).toBe('already_member');
    // Login picks the tenant with tenant_id; without it, the account's own (owned) tenant as before.
    const there = await login(other.email, other.password, owner.tenantId);
    expect((await http(app).get('/api/v1/auth/me').set(there).expect(200)).body).toMatchObject({
      tenant: { id: owner.tenantId },
      role: 'member',
    });
    const home = await login(other.email, other.password);
    expect((await http(app).get('/api/v1/auth/me').set(home).expect(200)).body).toMatchObject({
      tenant: { id: other.tenantId },
      role: 'owner',
    });
    const stranger = await http(app)
      .post('/api/v1/auth/login')
      .send({ email: owner.email, password: owner.password, tenant_id: other.tenantId })
      .expect(403);
    expect(stranger.body.code).toBe('no_tenant');

    // Expired.
    const old = await invite(owner.auth, `late-${randomUUID()}@example.test`).expect(201);
    await db(app).query(`UPDATE invitations SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      old.body.id,
    ]);
    const oldToken = tokenOf(old.body.accept_url);
    await http(app).get('/api/v1/invitations/preview').query({ token: oldToken }).expect(404);
    const late = await http(app)
      .post('/api/v1/invitations/accept')
      .send({ token: oldToken, password: 'invitee password 1' })
      .expect(404);
    expect(late.body.code).toBe('invitation_not_found');

    // Revoked: once, by its tenant only.
    const revoked = await invite(owner.auth, `revoked-${randomUUID()}@example.test`).expect(201);
    await http(app).delete(`/api/v1/invitations/${revoked.body.id}`).set(other.auth).expect(404);
    await http(app).delete(`/api/v1/invitations/${revoked.body.id}`).set(owner.auth).expect(204);
    await http(app).delete(`/api/v1/invitations/${revoked.body.id}`).set(owner.auth).expect(404);
    expect((await audit(`invitation:${revoked.body.id}`)).map((a) => [a.action, a.actor_id])).toEqual([
      ['invitation.create', owner.userId],
      ['invitation.revoke', owner.userId],
    ]);
    await http(app)
      .get('/api/v1/invitations/preview')
      .query({ token: tokenOf(revoked.body.accept_url) })
      .expect(404);

    const unknown = await http(app)
      .post('/api/v1/invitations/accept')
      .send({ token: 'x'.repeat(43), password: 'invitee password 1' })
      .expect(404);
    expect(unknown.body.code).toBe('invitation_not_found');

    const statuses = await http(app).get('/api/v1/invitations').set(owner.auth).expect(200);
    expect(
      Object.fromEntries(statuses.body.data.map((i: { id: string; status: string }) => [i.id, i.status])),
    ).toEqual({ [created.body.id]: 'accepted', [old.body.id]: 'expired', [revoked.body.id]: 'revoked' });
    // Another tenant sees none of them.
    const theirs = await http(app).get('/api/v1/invitations').set(other.auth).expect(200);
    expect(theirs.body.data).toEqual([]);
    // An admin may not invite an owner.
    const admin = await joined(owner, 'admin');
    expect((await invite(admin.auth, `o-${randomUUID()}@example.test`, 'owner').expect(403)).body.code).toBe(
      'forbidden',
    );
  });
});
