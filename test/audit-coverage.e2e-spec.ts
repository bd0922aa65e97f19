import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningPaymux } from '../src/bootstrap';
import { REDACTED } from '../src/audit/audit-log';
import { AUDITED_WRITES, Ctx, NOT_AUDITED } from './audit-coverage.table';
import {
  db,
  http,
  Merchant,
  newMember,
  newMerchant,
  newOrder,
  orderStateOf,
  startTestAppWithAdmin,
} from './helpers/app';

type Row = Record<string, unknown>;

const WRITE_METHODS = ['post', 'put', 'patch', 'delete'];
/**
 * `METHOD /path` with every `{param}` as `{}` and without a ` [variant]` suffix: the table's keys and
 * openapi.json's paths compare so.
 */
const normal = (key: string): string => key.replace(/ \[[^\]]*\]$/, '').replace(/\{[^}]+\}/g, '{}');
/** Keys whose values the audit log must never hold (as src/audit/audit-log.ts redacts them). */
const SECRET_KEY = /secret|password|private[_-]?key|api[_-]?key$|token|credential|signature|cert/i;

/** Every write operation openapi.json documents, as `METHOD /path`. */
function openapiWrites(): string[] {
  const doc = JSON.parse(readFileSync(join(__dirname, '..', 'openapi.json'), 'utf8')) as {
    paths: Record<string, Record<string, unknown>>;
  };
  const out: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths))
    for (const method of Object.keys(ops))
      if (WRITE_METHODS.includes(method)) out.push(`${method.toUpperCase()} ${path}`);
  return out;
}

/** Every value under a secret-looking key, at any depth, that is not the redaction mark. */
function unredacted(value: unknown, path = 'data'): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => unredacted(v, `${path}[${i}]`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) =>
    SECRET_KEY.test(k) && v !== REDACTED ? [`${path}.${k}`] : unredacted(v, `${path}.${k}`),
  );
}

/**
 * Every staff and operator write route of openapi.json leaves exactly one audit row (action, actor,
 * tenant, target, the X-Request-Id sent, the client IP, no secret), and none when its transaction
 * fails after the audit row was written. How each route is called: audit-coverage.table.ts.
 */
describe('audit coverage of staff and operator writes', () => {
  let app: RunningPaymux;
  let c: Ctx;

  beforeAll(async () => {
    const started = await startTestAppWithAdmin();
    app = started.app;
    const adminId = (await http(app).get('/api/v1/auth/me').set(started.admin).expect(200)).body.user
      .id as string;
    c = { app, admin: started.admin, adminId, m: await newMerchant(app) };
  });
  afterAll(() => app.close());

  const rowsOfRequest = async (requestId: string): Promise<Row[]> =>
    (
      await http(app)
        .get('/api/v1/admin/audit')
        .query({ request_id: requestId, limit: 100 })
        .set(c.admin)
        .expect(200)
    ).body.data as Row[];
  const rowsOfActor = async (actorId: string): Promise<number> =>
    (
      await db(app).query<{ n: number }[]>('SELECT count(*)::int AS n FROM audit_log WHERE actor_id = $1', [
        actorId,
      ])
    )[0].n;

  describe('the table', () => {
    const writes = openapiWrites().map(normal);
    const audited = Object.keys(AUDITED_WRITES).map(normal);
    const excluded = Object.entries(NOT_AUDITED).map(([k, why]) => ({ key: normal(k), why }));

    it('lists every write route of openapi.json, as audited or as an explained exclusion', () => {
      const listed = new Set([...audited, ...excluded.map((e) => e.key)]);
      expect(writes.filter((w) => !listed.has(w))).toEqual([]);
      expect(audited.filter((a) => excluded.some((e) => e.key === a))).toEqual([]);
      for (const e of excluded) expect(e.why.trim()).not.toBe('');
    });

    it('names no route openapi.json does not have (except routes pending from another helper)', () => {
      const known = new Set(writes);
      expect(audited.filter((a) => !known.has(a))).toEqual([]);
      expect(
        excluded.filter((e) => !known.has(e.key) && !e.why.startsWith('pending: ')).map((e) => e.key),
      ).toEqual([]);
    });
  });

  describe('one audit row per write', () => {
    it.each(Object.keys(AUDITED_WRITES))('%s', async (key) => {
      const w = AUDITED_WRITES[key];
      const method = key.slice(0, key.indexOf(' ')).toLowerCase() as 'post' | 'put' | 'patch' | 'delete';
      const prepared = w.prepare ? await w.prepare(c) : {};
      const actorId = w.actor?.(c, prepared) ?? (w.as === 'operator' ? c.adminId : c.m.userId);
      const before = await rowsOfActor(actorId);
      const requestId = `audit-cov-${randomUUID()}`;
      const { path, body } = w.request(c, prepared);
      const auth = w.as === 'operator' ? c.admin : w.as === 'staff' ? c.m.auth : {};
      const res = await http(app)
        [method](path)
        .set(auth)
        .set('X-Request-Id', requestId)
        .send(body ?? {});
      expect({ status: res.status, body: res.body as unknown }).toMatchObject({ status: w.status });

      const rows = await rowsOfRequest(requestId);
      expect(rows).toHaveLength(1);
      expect(await rowsOfActor(actorId)).toBe(before + 1);
      const [row] = rows;
      const resBody = (res.body ?? {}) as Record<string, unknown>;
      expect(row).toMatchObject({
        action: w.action,
        actor_id: actorId,
        tenant_id: w.tenant(c, prepared),
        request_id: requestId,
      });
      expect(row.ip).toMatch(/^(::ffff:)?127\.0\.0\.1$|^::1$/);
      const target = w.target(c, prepared, resBody);
      if (target instanceof RegExp) expect(row.target).toMatch(target);
      else expect(row.target).toBe(target);

      // No secret: nothing under a secret-looking key, and none of the call's secret values anywhere.
      expect(unredacted(row.data)).toEqual([]);
      const stored = JSON.stringify(row);
      for (const secret of w.secrets?.(c, prepared, resBody) ?? []) {
        expect(secret.length).toBeGreaterThan(8);
        expect(stored).not.toContain(secret);
      }
      w.check?.(row, c, prepared);
    });
  });

  describe('details', () => {
    it('a provider account update records the names of the changed credential fields only', async () => {
      const f = await newMerchant(app);
      const put = (credentials: Record<string, string>, rid: string) =>
        http(app)
          .put('/api/v1/providers/stripe')
          .set(f.auth)
          .set('X-Request-Id', rid)
          .send({ enabled: true, mode: 'test', credentials })
          .expect(200);
      await put(
        { secret_key: 'sk_test_51firstsecretvalue', webhook_secret: 'whsec_first_value' },
        randomUUID(),
      );
      const rid = randomUUID();
      await put({ secret_key: 'sk_test_51firstsecretvalue', webhook_secret: 'whsec_second_value' }, rid);
      const [row] = await rowsOfRequest(rid);
      expect(row).toMatchObject({
        action: 'provider_account.update',
        before: { provider: 'stripe', enabled: true, mode: 'test' },
        after: { provider: 'stripe', enabled: true, mode: 'test' },
        data: { changed_fields: ['webhook_secret'] },
      });
      expect(JSON.stringify(row)).not.toMatch(/sk_test_51first|whsec_(first|second)/);
    });

    it('a write that changes nothing writes no row', async () => {
      const f = await newMerchant(app);
      const key = (await http(app).post('/api/v1/api-keys').set(f.auth).send({ name: 'k' }).expect(201)).body
        .id as string;
      await http(app).delete(`/api/v1/api-keys/${key}`).set(f.auth).expect(200);
      await http(app)
        .patch('/api/v1/tenant/settings')
        .set(f.auth)
        .send({ order_ttl_seconds: 600 })
        .expect(200);
      const before = await rowsOfActor(f.userId);
      await http(app).delete(`/api/v1/api-keys/${key}`).set(f.auth).expect(200);
      await http(app)
        .patch('/api/v1/tenant/settings')
        .set(f.auth)
        .send({ order_ttl_seconds: 600 })
        .expect(200);
      await http(app).patch('/api/v1/tenant/settings').set(f.auth).send({}).expect(200);
      await http(app).patch(`/api/v1/packages/${f.packageId}`).set(f.auth).send({ active: true }).expect(200);
      expect(await rowsOfActor(f.userId)).toBe(before);
    });
  });

  /**
   * A write whose transaction fails after its audit row was inserted: a deferred constraint trigger,
   * installed here on the target table for this test's marked value only, raises at COMMIT (so after
   * every statement of the transaction, the audit insert included). The request fails, and neither
   * the change nor the audit row exists.
   */
  describe('no audit row when the transaction fails', () => {
    const tag = randomBytes(6).toString('hex');
    const fn = `audit_cov_fail_${tag}`;
    const installed: { name: string; table: string }[] = [];
    let f: Merchant;

    beforeAll(async () => {
      f = await newMerchant(app);
      await db(app).query(
        `CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN RAISE EXCEPTION 'audit coverage: forced failure at commit'; END $$`,
      );
    });
    afterAll(async () => {
      for (const t of installed) await db(app).query(`DROP TRIGGER IF EXISTS ${t.name} ON ${t.table}`);
      await db(app).query(`DROP FUNCTION IF EXISTS ${fn}()`);
    });

    /** Make every commit that wrote a row of `table` matching `when` (on NEW) fail. */
    const failCommitsOn = async (table: string, when: string): Promise<void> => {
      const name = `${fn}_${installed.length}`;
      await db(app).query(
        `CREATE CONSTRAINT TRIGGER ${name} AFTER INSERT OR UPDATE ON ${table}
           DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (${when}) EXECUTE FUNCTION ${fn}()`,
      );
      installed.push({ name, table });
    };

    const failedWithoutAudit = async (
      send: (rid: string) => Promise<{ status: number }>,
      actorId: string,
    ): Promise<void> => {
      const before = await rowsOfActor(actorId);
      const requestId = `audit-fail-${randomUUID()}`;
      const res = await send(requestId);
      expect(res.status).toBe(500);
      expect(await rowsOfRequest(requestId)).toEqual([]);
      expect(await rowsOfActor(actorId)).toBe(before);
    };

    it('package create (staff): no package, no row', async () => {
      const name = `audit-fail-${tag}-package`;
      await failCommitsOn('packages', `NEW.name = '${name}'`);
      await failedWithoutAudit(
        (rid) =>
          http(app)
            .post('/api/v1/packages')
            .set(f.auth)
            .set('X-Request-Id', rid)
            .send({ name, amount: 10, price: 1.5, currency: 'USD' }),
        f.userId,
      );
      const left = await db(app).query('SELECT id FROM packages WHERE name = $1', [name]);
      expect(left).toEqual([]);
    });

    it('tenant settings (staff): settings unchanged, no row', async () => {
      const url = `https://audit-fail-${tag}.example.test/hook`;
      await failCommitsOn('tenants', `NEW.webhook_url = '${url}'`);
      const settings = (await http(app).get('/api/v1/tenant/settings').set(f.auth).expect(200)).body as Row;
      await failedWithoutAudit(
        (rid) =>
          http(app)
            .patch('/api/v1/tenant/settings')
            .set(f.auth)
            .set('X-Request-Id', rid)
            .send({ webhook_url: url }),
        f.userId,
      );
      expect((await http(app).get('/api/v1/tenant/settings').set(f.auth).expect(200)).body).toEqual(settings);
    });

    it('API key create (staff): no key, no row', async () => {
      const name = `audit-fail-${tag}-key`;
      await failCommitsOn('api_keys', `NEW.name = '${name}'`);
      await failedWithoutAudit(
        (rid) => http(app).post('/api/v1/api-keys').set(f.auth).set('X-Request-Id', rid).send({ name }),
        f.userId,
      );
      const keys = (await http(app).get('/api/v1/api-keys').set(f.auth).expect(200)).body.data as Row[];
      expect(keys.filter((k) => k.name === name)).toEqual([]);
    });

    it('provider account (staff): no account, no row', async () => {
      await failCommitsOn('provider_accounts', `NEW.tenant_id = '${f.tenantId}'`);
      await failedWithoutAudit(
        (rid) =>
          http(app)
            .put('/api/v1/providers/stripe')
            .set(f.auth)
            .set('X-Request-Id', rid)
            .send({
              credentials: { secret_key: 'sk_test_51auditfailsecret', webhook_secret: 'whsec_audit_fail' },
            }),
        f.userId,
      );
      expect((await http(app).get('/api/v1/providers').set(f.auth).expect(200)).body.data).toEqual([]);
    });

    it('user disable (operator): still enabled, no row', async () => {
      const member = await newMember(app, f);
      await failCommitsOn('users', `NEW.id = '${member.userId}'`);
      await failedWithoutAudit(
        (rid) =>
          http(app)
            .post(`/api/v1/admin/users/${member.userId}/disable`)
            .set(c.admin)
            .set('X-Request-Id', rid)
            .send({}),
        c.adminId,
      );
      const [user] = await db(app).query<{ disabled_at: Date | null }[]>(
        'SELECT disabled_at FROM users WHERE id = $1',
        [member.userId],
      );
      expect(user.disabled_at).toBeNull();
      await http(app).get('/api/v1/auth/me').set(member.auth).expect(200);
    });
    it('order cancel (staff): still Pending, no row', async () => {
      const order = await newOrder(app, f);
      const id = order.id as string;
      await failCommitsOn('orders', `NEW.id = '${id}'`);
      await failedWithoutAudit(
        (rid) => http(app).post(`/api/v1/orders/${id}/cancel`).set(f.auth).set('X-Request-Id', rid).send({}),
        f.userId,
      );
      expect(await orderStateOf(app, f, id)).toBe('Pending');
      const history = await db(app).query(
        'SELECT 1 FROM order_transitions WHERE order_id = $1 AND to_state = $2',
        [id, 'Cancelled'],
      );
      expect(history).toEqual([]);
    });

    it('member role change (staff): role unchanged, no row', async () => {
      const member = await newMember(app, f);
      await failCommitsOn('memberships', `NEW.user_id = '${member.userId}'`);
      await failedWithoutAudit(
        (rid) =>
          http(app)
            .patch(`/api/v1/members/${member.userId}`)
            .set(f.auth)
            .set('X-Request-Id', rid)
            .send({ role: 'admin' }),
        f.userId,
      );
      const members = (await http(app).get('/api/v1/members').set(f.auth).expect(200)).body.data as Row[];
      expect(members.find((x) => x.user_id === member.userId)).toMatchObject({ role: 'member' });
      expect((await http(app).get('/api/v1/auth/me').set(member.auth).expect(200)).body.role).toBe('member');
    });
  });
});
