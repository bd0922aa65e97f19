import { randomBytes } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunningPaymux } from '../src/bootstrap';
import { NotificationsService } from '../src/notifications/notifications.service';
import { ProviderError } from '../src/payments/contract/payment-provider';
import { SandboxProvider } from '../src/payments/providers/sandbox/sandbox.provider';
import {
  db,
  http,
  Merchant,
  newMember,
  newMerchant,
  newOrder,
  paidOrderId,
  signedRequest,
  startTestAppWithAdmin,
} from './helpers/app';

type Row = Record<string, unknown>;

/**
 * The platform operator's audit log and needs-attention queue over real HTTP: rows written by real
 * operator actions, filtered and paged newest first; the queue's flagged payment, x402 settle of
 * unknown outcome, refund pending for over an hour and failing notification, oldest first. Platform
 * admins only.
 */
describe('admin audit log and attention queue', () => {
  let app: RunningPaymux;
  let admin: { authorization: string };
  let adminId: string;
  let a: Merchant;
  let b: Merchant;
  let receiver: Server;
  let receiverUrl: string;

  const audit = (query: Record<string, string | number>, auth = admin) =>
    http(app).get('/api/v1/admin/audit').query(query).set(auth);
  const attention = (query: Record<string, string | number> = {}, auth = admin) =>
    http(app).get('/api/v1/admin/attention').query(query).set(auth);

  /** Every page of a query, walked with next_cursor. */
  const walk = async (query: Record<string, string | number>): Promise<Row[]> => {
    const seen: Row[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 100; pages += 1) {
      const res = await audit({ ...query, ...(cursor ? { cursor } : {}) }).expect(200);
      seen.push(...(res.body.data as Row[]));
      if (!res.body.has_more) {
        expect(res.body.next_cursor).toBeNull();
        return seen;
      }
      cursor = res.body.next_cursor as string;
    }
    throw new Error('too many pages');
  };

  beforeAll(async () => {
    ({ app, admin } = await startTestAppWithAdmin({ NOTIFY_ALLOW_PRIVATE: 'true' }));
    adminId = (await http(app).get('/api/v1/auth/me').set(admin).expect(200)).body.user.id as string;
    a = await newMerchant(app);
    b = await newMerchant(app);
    receiver = createServer((_req, res) => res.writeHead(500, { 'content-type': 'text/plain' }).end('down'));
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/notify`;
  });
  afterAll(async () => {
    await app.close();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  describe('audit log', () => {
    let member: { userId: string; auth: { authorization: string } };

    beforeAll(async () => {
      member = await newMember(app, a);
      await http(app).put('/api/v1/admin/fx-rates/VND/IDR').set(admin).send({ rate: '1.2345' }).expect(200);
      await http(app)
        .post(`/api/v1/admin/tenants/${a.tenantId}/suspend`)
        .set(admin)
        .send({ reason: 'chargebacks' })
        .expect(200);
      await http(app)
        .post(`/api/v1/admin/tenants/${a.tenantId}/unsuspend`)
        .set(admin)
        .send({ reason: 'cleared' })
        .expect(200);
      await http(app)
        .post(`/api/v1/admin/tenants/${b.tenantId}/suspend`)
        .set(admin)
        .send({ reason: 'abuse' })
        .expect(200);
      await http(app).post(`/api/v1/admin/users/${member.userId}/disable`).set(admin).expect(200);
    });

    it("lists the operator's rows newest first, typed, with actor, tenant, target and before/after as stored", async () => {
      const mine = (await audit({ actor_id: adminId, limit: 100 }).expect(200)).body.data as Row[];
      expect(mine.map((r) => r.action).slice(0, 5)).toEqual([
        'user.disable',
        'tenant.suspend',
        'tenant.unsuspend',
        'tenant.suspend',
        'fx_rate.set',
      ]);
      const [disable, suspendB, unsuspendA, suspendA, fx] = mine;
      expect(disable).toMatchObject({
        actor_id: adminId,
        actor_email: expect.stringContaining('@example.test'),
        tenant_id: null,
        tenant_name: null,
        target: `user:${member.userId}`,
        target_type: 'user',
        target_id: member.userId,
        before: 'enabled',
        after: 'disabled',
        data: { from: 'enabled', to: 'disabled' },
      });
      expect(suspendA).toMatchObject({
        tenant_id: a.tenantId,
        tenant_name: expect.any(String),
        target: `tenant:${a.tenantId}`,
        before: { suspended: false, reason: null },
        after: { suspended: true, reason: 'chargebacks' },
      });
      expect(unsuspendA).toMatchObject({ before: { suspended: true, reason: 'chargebacks' } });
      expect(suspendB).toMatchObject({ tenant_id: b.tenantId, action: 'tenant.suspend' });
      expect(fx).toMatchObject({ target: 'fx_rate:VND/IDR', target_type: 'fx_rate', target_id: 'VND/IDR' });
      expect(fx.after).toBe('1.2345');
      for (const r of mine) expect(r.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
      const ids = mine.map((r) => BigInt(r.id as string));
      expect([...ids].sort((x, y) => (x > y ? -1 : x < y ? 1 : 0))).toEqual(ids);
    });

    it('filters by tenant, action, target and date range', async () => {
      const actions = async (q: Record<string, string>): Promise<string[]> =>
        ((await audit({ limit: 100, ...q }).expect(200)).body.data as Row[]).map((r) => r.action as string);
      // The tenant's own staff writes are there too (newMerchant created its application and package).
      expect(await actions({ tenant_id: a.tenantId })).toEqual([
        'tenant.unsuspend',
        'tenant.suspend',
        'package.create',
        'application.create',
      ]);
      expect(await actions({ tenant_id: b.tenantId })).toEqual([
        'tenant.suspend',
        'package.create',
        'application.create',
      ]);
      expect(await actions({ tenant_id: a.tenantId, actor_id: adminId })).toEqual([
        'tenant.unsuspend',
        'tenant.suspend',
      ]);
      expect(await actions({ tenant_id: a.tenantId, actor_id: a.userId })).toEqual([
        'package.create',
        'application.create',
      ]);
      expect(await actions({ tenant_id: a.tenantId, action: 'tenant.suspend' })).toEqual(['tenant.suspend']);
      expect(await actions({ actor_id: adminId, action: 'user.disable' })).toEqual(['user.disable']);
      expect(await actions({ target_type: 'user', target_id: member.userId })).toEqual(['user.disable']);
      expect(await actions({ target_id: member.userId })).toEqual(['user.disable']);
      expect(await actions({ actor_id: adminId, target_type: 'tenant' })).toHaveLength(3);
      expect(await actions({ target_type: 'fx_rate', target_id: 'VND/IDR', actor_id: adminId })).toEqual([
        'fx_rate.set',
      ]);

      // Date range: move A's two rows to known instants; `from` is inclusive, `to` exclusive.
      await db(app).query(
        `UPDATE audit_log SET created_at = CASE action WHEN 'tenant.suspend' THEN '2026-01-01T10:00:00Z'::timestamptz
                                                       ELSE '2026-01-02T10:00:00Z'::timestamptz END
          WHERE tenant_id = $1 AND actor_id = $2`,
        [a.tenantId, adminId],
      );
      const inRange = (from: string, to: string) =>
        actions({ tenant_id: a.tenantId, actor_id: adminId, from, to });
      expect(await inRange('2026-01-01T10:00:00Z', '2026-01-02T10:00:00Z')).toEqual(['tenant.suspend']);
      expect(await inRange('2026-01-01T10:00:00.000001Z', '2026-01-03T00:00:00Z')).toEqual([
        'tenant.unsuspend',
      ]);
      expect(await inRange('2025-12-31T00:00:00Z', '2026-01-03T00:00:00+02:00')).toEqual([
        'tenant.unsuspend',
        'tenant.suspend',
      ]);
      expect(await inRange('2026-02-01T00:00:00Z', '2026-03-01T00:00:00Z')).toEqual([]);
    });

    it('walks pages without gaps or duplicates, also when rows share a creation time', async () => {
      // Three more rows, and every row of this admin at the same instant: only the id orders them.
      for (const rate of ['1.1', '1.2', '1.3'])
        await http(app).put('/api/v1/admin/fx-rates/VND/IDR').set(admin).send({ rate }).expect(200);
      await db(app).query(
        `UPDATE audit_log SET created_at = '2026-01-05T00:00:00.123456Z' WHERE actor_id = $1`,
        [adminId],
      );
      const all = (await audit({ actor_id: adminId, limit: 100 }).expect(200)).body.data as Row[];
      expect(all).toHaveLength(8);
      for (const limit of [1, 2, 3, 7]) {
        const pages = await walk({ actor_id: adminId, limit });
        expect(pages.map((r) => r.id)).toEqual(all.map((r) => r.id));
      }
      const ids = all.map((r) => BigInt(r.id as string));
      expect([...ids].sort((x, y) => (x > y ? -1 : x < y ? 1 : 0))).toEqual(ids);
    });

    it('answers bad parameters with 400 naming the field', async () => {
      const bad: [Record<string, string>, string][] = [
        [{ tenant_id: 'nope' }, 'tenant_id'],
        [{ actor_id: '123' }, 'actor_id'],
        [{ action: 'DROP TABLE' }, 'action'],
        [{ target_type: 'a:b' }, 'target_type'],
        [{ target_id: 'x'.repeat(201) }, 'target_id'],
        [{ from: 'yesterday' }, 'from'],
        [{ to: '2026-13-01T00:00:00Z' }, 'to'],
        [{ to: '0000-01-01T00:00:00Z' }, 'to'],
        [{ limit: '0' }, 'limit'],
        [{ limit: '101' }, 'limit'],
        [{ unknown: '1' }, 'unknown'],
      ];
      for (const [query, field] of bad) {
        const res = await audit(query);
        expect([res.status, res.body.code]).toEqual([400, 'validation_failed']);
        expect((res.body.details.fields as { field: string }[]).map((f) => f.field)).toContain(field);
      }
      for (const cursor of [
        'garbage',
        Buffer.from(JSON.stringify(['audit', "2026' OR 1=1", '1'])).toString('base64url'),
        Buffer.from(JSON.stringify(['audit', '2026-01-01T00:00:00.000000Z', '1; --'])).toString('base64url'),
      ]) {
        const res = await audit({ cursor });
        expect([res.status, res.body.code, res.body.details]).toEqual([
          400,
          'invalid_cursor',
          { field: 'cursor' },
        ]);
      }
      for (const limit of ['many', '0', '101']) {
        const res = await attention({ limit });
        expect([res.status, res.body.code]).toEqual([400, 'validation_failed']);
        expect((res.body.details.fields as { field: string }[]).map((f) => f.field)).toContain('limit');
      }
    });

    it('refuses a tenant owner and a member with 403, and no token with 401', async () => {
      const owner = await newMerchant(app);
      const memberOfOwner = await newMember(app, owner);
      for (const auth of [owner.auth, memberOfOwner.auth]) {
        await audit({}, auth).expect(403);
        await attention({}, auth).expect(403);
      }
      await http(app).get('/api/v1/admin/audit').expect(401);
      await http(app).get('/api/v1/admin/attention').expect(401);
    });
  });

  describe('attention queue', () => {
    let c: Merchant;
    const items: Record<string, Row> = {};

    const mineOf = async (): Promise<Row[]> => {
      const res = await attention({ limit: 100 }).expect(200);
      return (res.body.data as Row[]).filter((i) => i.tenant_id === c.tenantId);
    };

    beforeAll(async () => {
      c = await newMerchant(app);
      const paymentOf = async (orderId: unknown): Promise<string> =>
        (await db(app).query<{ id: string }[]>('SELECT id FROM payments WHERE order_id = $1', [orderId]))[0]
          .id;

      // A payment confirmed with another amount: flagged.
      const flagged = await newOrder(app, c);
      await http(app)
        .post(`/api/v1/sandbox/payments/${flagged.pay_id as string}/complete`)
        .send({ outcome: 'succeeded', amount: '1.00' })
        .expect(200);
      items.flagged = { order_id: flagged.id, id: await paymentOf(flagged.id) };

      // A refund the provider did not answer: pending. One older than an hour, one of 30 minutes.
      const sandbox = app.app.get(SandboxProvider);
      const refunded: string[] = [];
      for (let i = 0; i < 2; i += 1) {
        const orderId = await paidOrderId(app, c);
        jest.spyOn(sandbox, 'refund').mockRejectedValueOnce(new ProviderError('timeout', 'no answer'));
        const res = await http(app)
          .post(`/api/v1/orders/${orderId}/refunds`)
          .set(c.auth)
          .send({ amount: 10, reason: 'slow provider' })
          .expect(202);
        expect(res.body.status).toBe('pending');
        refunded.push(orderId, res.body.id as string);
      }
      items.refund = { order_id: refunded[0], id: refunded[1] };
      items.recentRefund = { order_id: refunded[2], id: refunded[3] };
      await db(app).query(`UPDATE refunds SET created_at = now() - interval '61 minutes' WHERE id = $1`, [
        items.refund.id,
      ]);
      await db(app).query(`UPDATE refunds SET created_at = now() - interval '30 minutes' WHERE id = $1`, [
        items.recentRefund.id,
      ]);

      // A merchant API order whose receiver answers 500: three real delivery attempts of its first
      // notification, all failed.
      const key = (await http(app).post('/api/v1/api-keys').set(c.auth).send({ name: 'n' }).expect(201))
        .body as { key_id: string; secret: string };
      const created = await signedRequest(app, key, 'POST', '/v1/payment', {
        order_no: `A${Date.now()}${randomBytes(3).toString('hex')}`,
        currency: 'USDT',
        amount: '5',
        chain_type: 'TRON',
        notify_url: receiverUrl,
      }).expect(200);
      const notifiedOrder = created.body.data.id as string;
      const [payment] = await db(app).query<{ provider_ref: string }[]>(
        'SELECT provider_ref FROM payments WHERE order_id = $1',
        [notifiedOrder],
      );
      await http(app)
        .post(`/api/v1/sandbox/payments/${payment.provider_ref}/complete`)
        .send({ outcome: 'succeeded' })
        .expect(200);
      const [first] = await db(app).query<{ id: string }[]>(
        'SELECT id FROM notifications WHERE order_id = $1 ORDER BY seq LIMIT 1',
        [notifiedOrder],
      );
      const notifications = app.app.get(NotificationsService);
      await notifications.deliver(first.id);
      await notifications.deliver(first.id);
      items.twoAttempts = { order_id: notifiedOrder, id: first.id };
      expect((await mineOf()).some((i) => i.id === first.id)).toBe(false);
      await notifications.deliver(first.id);
      items.notification = { order_id: notifiedOrder, id: first.id };

      // An x402 settle whose outcome is unknown, as X402Store.markUnknown leaves it.
      const x402 = await newOrder(app, c);
      const x402Payment = await paymentOf(x402.id);
      await db(app).query(
        `UPDATE payments SET provider = 'x402',
                action = jsonb_build_object('kind', 'x402', 'settling', jsonb_build_object(
                  'claim', 'c1', 'phase', 'unknown', 'started_at', '2001-01-01T00:00:01.000Z',
                  'reason', 'facilitator timed out', 'request', '{}'::jsonb))
          WHERE id = $1`,
        [x402Payment],
      );
      items.x402 = { order_id: x402.id, id: x402Payment };

      // Known, distinct instants far back (the queue is platform-wide and oldest first: ours lead it).
      await db(app).query(
        `UPDATE provider_events SET received_at = '2001-01-01T00:00:02Z' WHERE payment_id = $1 AND outcome = 'flagged'`,
        [items.flagged.id],
      );
      await db(app).query(`UPDATE refunds SET created_at = '2001-01-01T00:00:03Z' WHERE id = $1`, [
        items.refund.id,
      ]);
      await db(app).query(`UPDATE notifications SET created_at = '2001-01-01T00:00:04Z' WHERE id = $1`, [
        items.notification.id,
      ]);
    });

    it('queues each kind with its tenant, order link, a short reason and since, oldest first', async () => {
      const mine = await mineOf();
      const byKind = (kind: string) => mine.filter((i) => i.kind === kind);
      expect(byKind('payment_flagged')).toEqual([
        {
          kind: 'payment_flagged',
          id: items.flagged.id,
          tenant_id: c.tenantId,
          order_id: items.flagged.order_id,
          order_url: `/api/v1/admin/orders/${items.flagged.order_id as string}/timeline`,
          reason: expect.stringMatching(/amount|mismatch/i),
          since: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/),
        },
      ]);
      expect(byKind('refund_pending')).toEqual([
        expect.objectContaining({
          id: items.refund.id,
          order_id: items.refund.order_id,
          reason: 'refund of 10.00 USD pending for more than an hour',
        }),
      ]);
      expect(byKind('notification_failing')).toEqual([
        expect.objectContaining({
          id: items.notification.id,
          order_id: items.notification.order_id,
          reason: 'notification not delivered after 3 attempts; last: HTTP 500',
        }),
      ]);
      expect(byKind('x402_settle_unknown')).toEqual([
        expect.objectContaining({
          id: items.x402.id,
          order_id: items.x402.order_id,
          reason: 'x402 settle outcome unknown: facilitator timed out',
          since: '2001-01-01T00:00:01.000000Z',
        }),
      ]);
      // Oldest first; the refund of 30 minutes and the notification of two attempts are not there.
      expect(mine.map((i) => [i.kind, i.since])).toEqual([
        ['x402_settle_unknown', '2001-01-01T00:00:01.000000Z'],
        ['payment_flagged', '2001-01-01T00:00:02.000000Z'],
        ['refund_pending', '2001-01-01T00:00:03.000000Z'],
        ['notification_failing', '2001-01-01T00:00:04.000000Z'],
      ]);
      // The order link works.
      const timeline = await http(app)
        .get(
          items.flagged.order_id ? `/api/v1/admin/orders/${items.flagged.order_id as string}/timeline` : '',
        )
        .set(admin)
        .expect(200);
      expect(timeline.body.order.id).toBe(items.flagged.order_id);
    });

    it('drops a flagged payment once an operator resolves it, and caps the queue at limit', async () => {
      await http(app)
        .post(`/api/v1/admin/payments/${items.flagged.id as string}/resolve`)
        .set(admin)
        .send({ outcome: 'failed', reason: 'customer paid the wrong amount, refunded off-platform' })
        .expect(200);
      expect((await mineOf()).map((i) => i.kind).sort()).toEqual([
        'notification_failing',
        'refund_pending',
        'x402_settle_unknown',
      ]);
      const resolved = (
        await audit({ target_type: 'payment', target_id: items.flagged.id as string }).expect(200)
      ).body.data as Row[];
      expect(resolved).toEqual([
        expect.objectContaining({ action: 'payment.resolve', tenant_id: c.tenantId, before: 'pending' }),
      ]);
      const one = await attention({ limit: 1 }).expect(200);
      expect(one.body.data).toHaveLength(1);
      expect(one.body.has_more).toBe(true);
    });
  });
});
