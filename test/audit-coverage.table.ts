import { randomUUID } from 'node:crypto';
import type { RunningPaymux } from '../src/bootstrap';
import { DEFAULT_PRIORITY } from '../src/payments/routing-defaults';
import { randomBytes } from 'node:crypto';
import {
  db,
  http,
  Merchant,
  newMember,
  newMerchant,
  newOrder,
  paidOrderId,
  signedRequest,
} from './helpers/app';

/**
 * Which staff and operator writes of openapi.json are audited, and how audit-coverage.e2e-spec.ts calls
 * each of them. Keys are `METHOD /path` exactly as openapi.json spells the path ({param} names do not
 * matter: they are compared as `{}`), optionally followed by ` [variant]` for a second way of calling
 * the same route (e.g. a forced refund). A write route that is in neither AUDITED_WRITES nor NOT_AUDITED
 * fails the test, and so does an entry here that openapi.json no longer has (except "pending: ..."
 * entries, routes on their way in).
 */

export type Auth = { authorization: string };

/** What a case gets: the app, the operator and a tenant whose owner makes the staff calls. */
export interface Ctx {
  app: RunningPaymux;
  admin: Auth;
  adminId: string;
  /** The staff side: the owner of this tenant. */
  m: Merchant;
}

/** Values a case's `prepare` made (ids, secrets) for its request and checks. */
export type Prepared = Record<string, string>;

export interface AuditedWrite {
  /** The audit row's action. */
  action: string;
  /**
   * Called by the platform operator, by the tenant's owner (staff), or without any sign-in (public:
   * the token in the body is the capability; `actor` then names the user the row is attributed to).
   */
  as: 'operator' | 'staff' | 'public';
  /** The row's actor_id when it is not the caller (public routes): the user the write acts for. */
  actor?: (c: Ctx, p: Prepared) => string;
  /** What the write needs first (its own writes happen before the count is taken). */
  prepare?: (c: Ctx) => Promise<Prepared>;
  /** The concrete path and body. */
  request: (c: Ctx, p: Prepared) => { path: string; body?: object };
  status: number;
  /** The row's tenant_id: null for platform-wide changes. */
  tenant: (c: Ctx, p: Prepared) => string | null;
  /** The row's target, `<type>:<id>` (a pattern when the id is not in the response). */
  target: (c: Ctx, p: Prepared, body: Record<string, unknown>) => string | RegExp;
  /** Secret values that must not appear anywhere in the row. */
  secrets?: (c: Ctx, p: Prepared, body: Record<string, unknown>) => string[];
  /** Anything else to check on the row (as GET /api/v1/admin/audit returns it). */
  check?: (row: Record<string, unknown>, c: Ctx, p: Prepared) => void;
}

const STRIPE = { secret_key: 'sk_test_51auditcoveragesecret', webhook_secret: 'whsec_audit_coverage_secret' };

const createKey = async (c: Ctx): Promise<Prepared> => {
  const res = await http(c.app)
    .post('/api/v1/api-keys')
    .set(c.m.auth)
    .send({ name: 'audit key' })
    .expect(201);
  return { id: res.body.id as string, secret: res.body.secret as string };
};
const createPackage = async (c: Ctx): Promise<Prepared> => {
  const res = await http(c.app)
    .post('/api/v1/packages')
    .set(c.m.auth)
    .send({ name: 'audit package', amount: 10, price: 1.5, currency: 'USD' })
    .expect(201);
  return { id: res.body.id as string };
};
const createMember = async (c: Ctx): Promise<Prepared> => ({ id: (await newMember(c.app, c.m)).userId });
const createTenant = async (c: Ctx): Promise<Prepared> => ({ id: (await newMerchant(c.app)).tenantId });
/** The token of an accept-invite or reset-password link. */
const tokenOf = (url: unknown): string => new URL(String(url)).searchParams.get('token') ?? '';
const paidOrder = async (c: Ctx): Promise<Prepared> => ({ id: await paidOrderId(c.app, c.m) });
const pendingOrder = async (c: Ctx): Promise<Prepared> => ({ id: (await newOrder(c.app, c.m)).id as string });
/** A merchant API order of c.m with a notify_url, paid: its first notification's id. */
const notification = async (c: Ctx): Promise<Prepared> => {
  const key = (await http(c.app).post('/api/v1/api-keys').set(c.m.auth).send({ name: 'n' }).expect(201))
    .body as { key_id: string; secret: string };
  const created = await signedRequest(c.app, key, 'POST', '/v1/payment', {
    order_no: `AC${Date.now()}${randomBytes(3).toString('hex')}`,
    currency: 'USDT',
    amount: '5',
    chain_type: 'TRON',
    notify_url: 'https://merchant.example/notify',
  }).expect(200);
  const orderId = created.body.data.id as string;
  const [p] = await db(c.app).query<{ provider_ref: string }[]>(
    'SELECT provider_ref FROM payments WHERE order_id = $1',
    [orderId],
  );
  await http(c.app)
    .post(`/api/v1/sandbox/payments/${p.provider_ref}/complete`)
    .send({ outcome: 'succeeded' })
    .expect(200);
  const [n] = await db(c.app).query<{ id: string }[]>(
    'SELECT id FROM notifications WHERE order_id = $1 ORDER BY seq LIMIT 1',
    [orderId],
  );
  return { id: n.id, orderId };
};
const invitee = () => `invitee-${randomUUID()}@example.test`;
const createInvitation = async (c: Ctx, email = invitee()): Promise<Prepared> => {
  const res = await http(c.app)
    .post('/api/v1/invitations')
    .set(c.m.auth)
    .send({ email, role: 'member' })
    .expect(201);
  return { id: res.body.id as string, token: tokenOf(res.body.accept_url), email };
};
const NEW_PASSWORD = 'audit coverage new password 1';

export const AUDITED_WRITES: Record<string, AuditedWrite> = {
  // ---- staff (a tenant's owner or admin) ----
  'PATCH /api/v1/tenant/settings': {
    action: 'tenant.settings.update',
    as: 'staff',
    prepare: () => Promise.resolve({ url: `https://audit-${randomUUID()}.example.test/hook` }),
    request: (_c, p) => ({
      path: '/api/v1/tenant/settings',
      body: { webhook_url: p.url, order_ttl_seconds: 900 },
    }),
    status: 200,
    tenant: (c) => c.m.tenantId,
    target: (c) => `tenant:${c.m.tenantId}`,
    check: (row, _c, p) => {
      expect(row.before).toEqual({ webhook_url: null, order_ttl_seconds: null });
      expect(row.after).toEqual({ webhook_url: p.url, order_ttl_seconds: 900 });
    },
  },
  'PUT /api/v1/providers/{provider}': {
    action: 'provider_account.create',
    as: 'staff',
    request: () => ({
      path: '/api/v1/providers/stripe',
      body: { enabled: true, mode: 'test', credentials: STRIPE },
    }),
    status: 200,
    tenant: (c) => c.m.tenantId,
    target: () => /^provider_account:[0-9a-f-]{36}$/,
    secrets: () => Object.values(STRIPE),
    check: (row) => {
      expect(row.before).toBeNull();
      expect(row.after).toEqual({ provider: 'stripe', enabled: true, mode: 'test' });
      // Only which credential fields changed: names, never values (nor their masked form).
      expect(row.data).toMatchObject({ changed_fields: ['secret_key', 'webhook_secret'] });
    },
  },
  'POST /api/v1/auth/tokens': {
    action: 'platform_token.create',
    as: 'staff',
    request: () => ({ path: '/api/v1/auth/tokens', body: { name: 'audit token' } }),
    status: 201,
    tenant: (c) => c.m.tenantId,
    target: (_c, _p, body) => `platform_token:${body.id as string}`,
    secrets: (_c, _p, body) => [body.token as string],
  },
  'DELETE /api/v1/auth/tokens/{id}': {
    action: 'platform_token.revoke',
    as: 'staff',
    prepare: async (c) => {
      const res = await http(c.app).post('/api/v1/auth/tokens').set(c.m.auth).send({ name: 't' }).expect(201);
      return { id: res.body.id as string, secret: res.body.token as string };
    },
    request: (_c, p) => ({ path: `/api/v1/auth/tokens/${p.id}` }),
    status: 204,
    tenant: (c) => c.m.tenantId,
    target: (_c, p) => `platform_token:${p.id}`,
    secrets: (_c, p) => [p.secret],
  },
  'POST /api/v1/api-keys': {
    action: 'api_key.create',
    as: 'staff',
    request: () => ({ path: '/api/v1/api-keys', body: { name: 'audit key' } }),
    status: 201,
    tenant: (c) => c.m.tenantId,
    target: (_c, _p, body) => `api_key:${body.id as string}`,
    secrets: (_c, _p, body) => [body.secret as string],
  },
  'DELETE /api/v1/api-keys/{id}': {
    action: 'api_key.revoke',
    as: 'staff',
    prepare: createKey,
    request: (_c, p) => ({ path: `/api/v1/api-keys/${p.id}` }),
    status: 200,
    tenant: (c) => c.m.tenantId,
    target: (_c, p) => `api_key:${p.id}`,
    secrets: (_c, p) => [p.secret],
  },
  'POST /api/v1/api-keys/{id}/rotate': {
    action: 'api_key.rotate',
    as: 'staff',
    prepare: createKey,
    request: (_c, p) => ({ path: `/api/v1/api-keys/${p.id}/rotate`, body: { overlap_seconds: 60 } }),
    status: 201,
    tenant: (c) => c.m.tenantId,
    target: (_c, p) => `api_key:${p.id}`,
    secrets: (_c, p, body) => [p.secret, body.secret as string],
    check: (row) => expect(row.data).toMatchObject({ replacement: { id: expect.any(String) } }),
  },
  'POST /api/v1/applications': {
    action: 'application.create',
    as: 'staff',
    request: () => ({ path: '/api/v1/applications', body: { name: 'audit app' } }),
    status: 201,
    tenant: (c) => c.m.tenantId,
    target: (_c, _p, body) => `application:${body.id as string}`,
  },
  'POST /api/v1/packages': {
    action: 'package.create',
    as: 'staff',
    request: () => ({
      path: '/api/v1/packages',
      body: { name: 'audit package', amount: 10, price: 1.5, currency: 'USD' },
    }),
    status: 201,
    tenant: (c) => c.m.tenantId,
    target: (_c, _p, body) => `package:${body.id as string}`,
    check: (row) => expect(row.after).toMatchObject({ name: 'audit package', price: '1.50', amount: '10' }),
  },
  'PATCH /api/v1/packages/{id}': {
    action: 'package.update',
    as: 'staff',
    prepare: createPackage,
    request: (_c, p) => ({ path: `/api/v1/packages/${p.id}`, body: { name: 'renamed package' } }),
    status: 200,
    tenant: (c) => c.m.tenantId,
    target: (_c, p) => `package:${p.id}`,
    check: (row) => {
      expect(row.before).toMatchObject({ name: 'audit package' });
      expect(row.after).toMatchObject({ name: 'renamed package' });
    },
  },
  'DELETE /api/v1/packages/{id}': {
    action: 'package.deactivate',
    as: 'staff',
    prepare: createPackage,
    request: (_c, p) => ({ path: `/api/v1/packages/${p.id}` }),
    status: 200,
    tenant: (c) => c.m.tenantId,
    target: (_c, p) => `package:${p.id}`,
    check: (row) => {
      expect(row.before).toMatchObject({ active: true });
      expect(row.after).toMatchObject({ active: false });
    },
  },
  'PUT /api/v1/routing': {
    action: 'routing.update',
    as: 'staff',
    request: () => ({ path: '/api/v1/routing', body: { priority: [...DEFAULT_PRIORITY].reverse() } }),
    status: 200,
    tenant: (c) => c.m.tenantId,
    target: (c) => `routing:${c.m.tenantId}`,
    check: (row) => expect(row.after).toEqual({ priority: [...DEFAULT_PRIORITY].reverse() }),
  },

  'POST /api/v1/orders/{id}/refunds': {
    action: 'refund.create',
    as: 'staff',
    prepare: paidOrder,
    request: (_c, p) => ({
      path: `/api/v1/orders/${p.id}/refunds`,
      body: { amount: '10.00', reason: 'audit' },
    }),
    status: 201,
    tenant: (c) => c.m.tenantId,
    target: (_c, _p, body) => `refund:${body.id as string}`,
    check: (row, _c, p) =>
      expect(row.data).toMatchObject({
        reason: 'audit',
        after: { order_id: p.id, amount: '10.00', forced: false },
      }),
  },
  'POST /api/v1/orders/{id}/cancel': {
    action: 'order.cancel',
    as: 'staff',
    prepare: pendingOrder,
    request: (_c, p) => ({ path: `/api/v1/orders/${p.id}/cancel` }),
    status: 200,
    tenant: (c) => c.m.tenantId,
    target: (_c, p) => `order:${p.id}`,
    check: (row) => {
      expect(row.before).toEqual({ state: 'Pending' });
      expect(row.after).toEqual({ state: 'Cancelled' });
    },
  },
  'POST /api/v1/notifications/{id}/resend': {
    action: 'notification.resend',
    as: 'staff',
    prepare: notification,
    request: (_c, p) => ({ path: `/api/v1/notifications/${p.id}/resend` }),
    status: 201,
    tenant: (c) => c.m.tenantId,
    target: (_c, p) => `notification:${p.id}`,
    check: (row, _c, p) =>
      expect(row.data).toMatchObject({ order_id: p.orderId, after: { status: 'pending' } }),
  },
  'PATCH /api/v1/members/{user_id}': {
    action: 'member.role_change',
    as: 'staff',
    prepare: createMember,
    request: (_c, p) => ({ path: `/api/v1/members/${p.id}`, body: { role: 'admin' } }),
    status: 200,
    tenant: (c) => c.m.tenantId,
    target: (_c, p) => `user:${p.id}`,
    check: (row) => {
      expect(row.before).toEqual({ role: 'member' });
      expect(row.after).toEqual({ role: 'admin' });
    },
  },
  'DELETE /api/v1/members/{user_id}': {
    action: 'member.remove',
    as: 'staff',
    prepare: createMember,
    request: (_c, p) => ({ path: `/api/v1/members/${p.id}` }),
    status: 204,
    tenant: (c) => c.m.tenantId,
    target: (_c, p) => `user:${p.id}`,
    check: (row) => expect(row.before).toMatchObject({ role: 'member' }),
  },
  'POST /api/v1/invitations': {
    action: 'invitation.create',
    as: 'staff',
    prepare: () => Promise.resolve({ email: invitee() }),
    request: (_c, p) => ({ path: '/api/v1/invitations', body: { email: p.email, role: 'admin' } }),
    status: 201,
    tenant: (c) => c.m.tenantId,
    target: (_c, _p, body) => `invitation:${body.id as string}`,
    // The link's token is the invitee's credential: neither it nor the link is on record.
    secrets: (_c, _p, body) => [tokenOf(body.accept_url), body.accept_url as string],
    check: (row, _c, p) => expect(row.after).toMatchObject({ email: p.email, role: 'admin' }),
  },
  'DELETE /api/v1/invitations/{id}': {
    action: 'invitation.revoke',
    as: 'staff',
    prepare: (c) => createInvitation(c),
    request: (_c, p) => ({ path: `/api/v1/invitations/${p.id}` }),
    status: 204,
    tenant: (c) => c.m.tenantId,
    target: (_c, p) => `invitation:${p.id}`,
    secrets: (_c, p) => [p.token],
    check: (row) => expect(row.after).toEqual({ status: 'revoked' }),
  },

  // ---- platform operator ----
  'PUT /api/v1/admin/fx-rates/{base}/{quote}': {
    action: 'fx_rate.set',
    as: 'operator',
    request: () => ({ path: '/api/v1/admin/fx-rates/THB/BTC', body: { rate: '0.00000031' } }),
    status: 200,
    tenant: () => null,
    target: () => 'fx_rate:THB/BTC',
    check: (row) => expect(row.after).toBe('0.00000031'),
  },
  'POST /api/v1/admin/users/{id}/disable': {
    action: 'user.disable',
    as: 'operator',
    prepare: createMember,
    request: (_c, p) => ({ path: `/api/v1/admin/users/${p.id}/disable` }),
    status: 200,
    tenant: () => null,
    target: (_c, p) => `user:${p.id}`,
  },
  'POST /api/v1/admin/users/{id}/enable': {
    action: 'user.enable',
    as: 'operator',
    prepare: async (c) => {
      const p = await createMember(c);
      await http(c.app).post(`/api/v1/admin/users/${p.id}/disable`).set(c.admin).expect(200);
      return p;
    },
    request: (_c, p) => ({ path: `/api/v1/admin/users/${p.id}/enable` }),
    status: 200,
    tenant: () => null,
    target: (_c, p) => `user:${p.id}`,
  },
  'POST /api/v1/admin/tenants/{id}/suspend': {
    action: 'tenant.suspend',
    as: 'operator',
    prepare: createTenant,
    request: (_c, p) => ({
      path: `/api/v1/admin/tenants/${p.id}/suspend`,
      body: { reason: 'audit coverage' },
    }),
    status: 200,
    tenant: (_c, p) => p.id,
    target: (_c, p) => `tenant:${p.id}`,
  },
  'POST /api/v1/admin/tenants/{id}/unsuspend': {
    action: 'tenant.unsuspend',
    as: 'operator',
    prepare: async (c) => {
      const p = await createTenant(c);
      await http(c.app)
        .post(`/api/v1/admin/tenants/${p.id}/suspend`)
        .set(c.admin)
        .send({ reason: 'audit coverage' })
        .expect(200);
      return p;
    },
    request: (_c, p) => ({ path: `/api/v1/admin/tenants/${p.id}/unsuspend`, body: { reason: 'cleared' } }),
    status: 200,
    tenant: (_c, p) => p.id,
    target: (_c, p) => `tenant:${p.id}`,
  },
  'POST /api/v1/admin/payments/{id}/resolve': {
    action: 'payment.resolve',
    as: 'operator',
    prepare: async (c) => {
      const order = await newOrder(c.app, c.m);
      const [payment] = await db(c.app).query<{ id: string }[]>(
        'SELECT id FROM payments WHERE order_id = $1',
        [order.id],
      );
      return { id: payment.id };
    },
    request: (_c, p) => ({
      path: `/api/v1/admin/payments/${p.id}/resolve`,
      body: { outcome: 'failed', reason: 'audit coverage' },
    }),
    status: 200,
    tenant: (c) => c.m.tenantId,
    target: (_c, p) => `payment:${p.id}`,
  },
  'POST /api/v1/admin/orders/{id}/refunds': {
    action: 'refund.create',
    as: 'operator',
    prepare: paidOrder,
    request: (_c, p) => ({ path: `/api/v1/admin/orders/${p.id}/refunds`, body: { reason: 'audit' } }),
    status: 201,
    tenant: (c) => c.m.tenantId,
    target: (_c, _p, body) => `refund:${body.id as string}`,
    check: (row, _c, p) => expect(row.data).toMatchObject({ after: { order_id: p.id, forced: false } }),
  },
  'POST /api/v1/admin/orders/{id}/refunds [force]': {
    action: 'refund.create',
    as: 'operator',
    // A tenant of its own whose credits are spent: without force the refund is refused (409).
    prepare: async (c) => {
      const f = await newMerchant(c.app);
      const id = await paidOrderId(c.app, f);
      await http(c.app)
        .post(`/api/v1/applications/${f.applicationId}/usage`)
        .set(f.auth)
        .send({ amount: 450, reference: `spent-${randomUUID()}` })
        .expect((r) => expect([200, 201]).toContain(r.status));
      await http(c.app)
        .post(`/api/v1/admin/orders/${id}/refunds`)
        .set(c.admin)
        .send({ reason: 'audit' })
        .expect(409);
      return { id, tenantId: f.tenantId };
    },
    request: (_c, p) => ({
      path: `/api/v1/admin/orders/${p.id}/refunds`,
      body: { reason: 'audit force', force: true },
    }),
    status: 201,
    tenant: (_c, p) => p.tenantId,
    target: (_c, _p, body) => `refund:${body.id as string}`,
    check: (row, _c, p) =>
      expect(row.data).toMatchObject({ reason: 'audit force', after: { order_id: p.id, forced: true } }),
  },
  'POST /api/v1/admin/orders/{id}/cancel': {
    action: 'order.cancel',
    as: 'operator',
    prepare: pendingOrder,
    request: (_c, p) => ({ path: `/api/v1/admin/orders/${p.id}/cancel` }),
    status: 200,
    tenant: (c) => c.m.tenantId,
    target: (_c, p) => `order:${p.id}`,
    check: (row) => expect(row.after).toEqual({ state: 'Cancelled' }),
  },
  'POST /api/v1/admin/orders/{id}/reconcile': {
    action: 'order.reconcile',
    as: 'operator',
    // Still open at the sandbox: the provider is asked, nothing changes, the ask is on record.
    prepare: pendingOrder,
    request: (_c, p) => ({ path: `/api/v1/admin/orders/${p.id}/reconcile` }),
    status: 200,
    tenant: (c) => c.m.tenantId,
    target: (_c, p) => `order:${p.id}`,
    check: (row) => expect(row.before).toEqual({ state: 'Pending' }),
  },
  'POST /api/v1/admin/notifications/{id}/resend': {
    action: 'notification.resend',
    as: 'operator',
    prepare: notification,
    request: (_c, p) => ({ path: `/api/v1/admin/notifications/${p.id}/resend` }),
    status: 201,
    tenant: (c) => c.m.tenantId,
    target: (_c, p) => `notification:${p.id}`,
  },
  'POST /api/v1/admin/users/{id}/password-reset': {
    action: 'user.password_reset_link',
    as: 'operator',
    prepare: createMember,
    request: (_c, p) => ({ path: `/api/v1/admin/users/${p.id}/password-reset` }),
    status: 201,
    tenant: () => null,
    target: (_c, p) => `user:${p.id}`,
    // The link's token is the account holder's credential: neither it nor the link is on record.
    secrets: (_c, _p, body) => [tokenOf(body.reset_url), body.reset_url as string],
  },

  // ---- public: no sign-in, the token is the capability; the row's actor is the user it acts for ----
  'POST /api/v1/invitations/accept': {
    action: 'invitation.accept',
    as: 'public',
    // An existing account (with a tenant of its own) joins c.m's tenant with its own password.
    prepare: async (c) => {
      const f = await newMerchant(c.app);
      return { ...(await createInvitation(c, f.email)), userId: f.userId, password: f.password };
    },
    actor: (_c, p) => p.userId,
    request: (_c, p) => ({
      path: '/api/v1/invitations/accept',
      body: { token: p.token, password: p.password },
    }),
    status: 200,
    tenant: (c) => c.m.tenantId,
    target: (_c, p) => `invitation:${p.id}`,
    secrets: (_c, p) => [p.token, p.password],
    check: (row, _c, p) => {
      expect(row.after).toEqual({ user_id: p.userId, email: p.email, role: 'member' });
      expect(row.data).toMatchObject({ account_created: false });
    },
  },
  'POST /api/v1/auth/password-reset': {
    action: 'user.password_reset',
    as: 'public',
    prepare: async (c) => {
      const { id } = await createMember(c);
      const res = await http(c.app).post(`/api/v1/admin/users/${id}/password-reset`).set(c.admin).expect(201);
      return { id, token: tokenOf(res.body.reset_url) };
    },
    actor: (_c, p) => p.id,
    request: (_c, p) => ({
      path: '/api/v1/auth/password-reset',
      body: { token: p.token, password: NEW_PASSWORD },
    }),
    status: 204,
    tenant: () => null,
    target: (_c, p) => `user:${p.id}`,
    secrets: (_c, p) => [p.token, NEW_PASSWORD],
  },
};

/**
 * Write routes that leave no audit row, each with why. A "pending: <reason>" entry may be absent from
 * openapi.json (a route on its way in); none is pending today.
 */
export const NOT_AUDITED: Record<string, string> = {
  // Public: nobody is signed in (the account and tenant a registration creates are its own record).
  'POST /api/v1/auth/register': 'public: self-service sign-up, no signed-in actor',
  'POST /api/v1/auth/login': 'public: signs in, changes no tenant data',
  'POST /api/v1/sandbox/payments/{pay_id}/complete': "public: the Sandbox provider's own completion",
  // The platform API used by the merchant's integration: business traffic with its own record (the
  // order, its history, the ledger), not a change of configuration by staff.
  'POST /api/v1/orders': 'integration: order creation (the order and its history are the record)',
  'POST /api/order/payment': 'integration: paying an order (the payment attempt is the record)',
  'POST /api/v1/applications/{id}/usage':
    'integration: usage debits are metered consumption by the merchant backend; the ledger entry (with its reference) is the record',
  // The merchant API (signed requests) and provider webhooks: no staff involved.
  'POST /v1/payment': 'merchant API: signed order creation',
  'POST /v1/payment/{order_no}/close': 'merchant API: signed order close (order history is the record)',
  // The console's session: signing in and out changes no tenant data (like login).
  'POST /api/v1/auth/session': 'public: the console sign-in, changes no tenant data',
  'DELETE /api/v1/auth/session': "sign-out: ends the caller's own session, changes no tenant data",
};
