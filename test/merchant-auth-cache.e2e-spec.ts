import { randomBytes } from 'node:crypto';
import type { RunningPaymux } from '../src/bootstrap';
import {
  db,
  http,
  Merchant,
  newMerchant,
  signedRequest,
  startTestApp,
  startTestAppWithAdmin,
} from './helpers/app';

interface Key {
  id: string;
  key_id: string;
  secret: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The merchant API's signed requests cost few statements (the key cached per process, nonces written by
 * group commit, last_used_at sent at most once a minute per key), and none of that weakens what a
 * signed request guarantees: a nonce is used once, in any number of processes at once; a revoked or
 * expired key and a suspended tenant are refused at once, whichever process made the change; a key's
 * last use is still recorded. AUTH_RECHECK_SECONDS is the default 30 here: nothing below may wait for
 * the cache to expire.
 */
describe('merchant API auth: cached key, batched nonces, guarantees intact', () => {
  let app: RunningPaymux;
  let other: RunningPaymux;
  let admin: { authorization: string };
  let m: Merchant;

  beforeAll(async () => {
    ({ app, admin } = await startTestAppWithAdmin());
    // A second process on the same database.
    other = await startTestApp();
    m = await newMerchant(app);
  });
  afterAll(async () => {
    await other?.close();
    await app?.close();
  });

  const newKey = async (name = 'k'): Promise<Key> =>
    (await http(app).post('/api/v1/api-keys').set(m.auth).send({ name }).expect(201)).body as Key;
  const payment = (): Record<string, unknown> => ({
    order_no: `Auth${Date.now()}${randomBytes(3).toString('hex')}`,
    currency: 'USDT',
    amount: '0.1',
    chain_type: 'BSC',
    product_name: 'Test product name',
    notify_url: 'https://merchant.example/notify',
    redirect_url: 'https://merchant.example/redirect',
  });
  const ordersNumbered = async (no: unknown): Promise<number> =>
    (
      await db(app).query<{ n: number }[]>(
        'SELECT count(*)::int AS n FROM orders WHERE tenant_id = $1 AND merchant_order_no = $2',
        [m.tenantId, no],
      )
    )[0].n;

  it('lets exactly one of 10 concurrent requests with the same nonce through, in one process', async () => {
    const key = await newKey();
    const nonce = randomBytes(12).toString('hex');
    // Different bodies (each its own order), one nonce: only the nonce can refuse them.
    const bodies = Array.from({ length: 10 }, () => payment());
    const results = await Promise.all(
      bodies.map((b) => signedRequest(app, key, 'POST', '/v1/payment', b, { nonce })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, ...Array<number>(9).fill(401)]);
    for (const r of results.filter((x) => x.status === 401)) expect(r.body.code).toBe(10002);
    const counts = await Promise.all(bodies.map((b) => ordersNumbered(b.order_no)));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1);
    // And later, too.
    await signedRequest(app, key, 'POST', '/v1/payment', payment(), { nonce }).expect(401);
  });

  it('lets exactly one through when the same nonce reaches two processes at once', async () => {
    const key = await newKey();
    for (let round = 0; round < 3; round++) {
      const nonce = randomBytes(12).toString('hex');
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          signedRequest(i % 2 ? other : app, key, 'GET', '/v1/payment/NoSuchOrder1', undefined, { nonce }),
        ),
      );
      // 404: authenticated (no such order); 401: the nonce was already used.
      expect(results.filter((r) => r.status === 404)).toHaveLength(1);
      expect(results.filter((r) => r.status === 401).map((r) => r.body.code)).toEqual(
        Array<number>(9).fill(10002),
      );
    }
  });

  it('keeps distinct nonces of one batch apart: each concurrent request with its own nonce passes', async () => {
    const key = await newKey();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => signedRequest(app, key, 'GET', '/v1/payment/NoSuchOrder1')),
    );
    expect(results.map((r) => r.status)).toEqual(Array<number>(20).fill(404));
  });

  it('refuses a key revoked by this process at once (its cached entry dropped)', async () => {
    const key = await newKey();
    await signedRequest(app, key, 'GET', '/v1/payment/NoSuchOrder1').expect(404);
    await http(app).delete(`/api/v1/api-keys/${key.id}`).set(m.auth).expect(200);
    const res = await signedRequest(app, key, 'GET', '/v1/payment/NoSuchOrder1').expect(401);
    expect(res.body).toEqual({ code: 10001, message: expect.any(String) });
  });

  it('refuses at once a key revoked or rotated to expiry by another process, though still cached here', async () => {
    const revoked = await newKey();
    const expiring = await newKey();
    for (const k of [revoked, expiring])
      await signedRequest(app, k, 'GET', '/v1/payment/NoSuchOrder1').expect(404);
    // The other process revokes one and rotates the other (its overlap then ends); a platform token
    // (stored) is good in both processes, unlike a JWT (each test app signs with its own secret).
    const token = (await http(app).post('/api/v1/auth/tokens').set(m.auth).send({ name: 'ops' }).expect(201))
      .body as { token: string };
    const pat = { authorization: `Bearer ${token.token}` };
    await http(other).delete(`/api/v1/api-keys/${revoked.id}`).set(pat).expect(200);
    await http(other)
      .post(`/api/v1/api-keys/${expiring.id}/rotate`)
      .set(pat)
      .send({ overlap_seconds: 1 })
      .expect(201);
    await sleep(1100);
    for (const k of [revoked, expiring]) {
      const res = await signedRequest(app, k, 'GET', '/v1/payment/NoSuchOrder1').expect(401);
      expect(res.body.code).toBe(10001);
    }
  });

  it('refuses a suspended tenant at once, even when the suspension was made elsewhere', async () => {
    const t = await newMerchant(app);
    const key = (await http(app).post('/api/v1/api-keys').set(t.auth).send({ name: 's' }).expect(201))
      .body as Key;
    await signedRequest(app, key, 'GET', '/v1/payment/NoSuchOrder1').expect(404);
    // Another process (the row changed directly): no cache of this process was told.
    await db(app).query(`UPDATE tenants SET suspended_at = now() WHERE id = $1`, [t.tenantId]);
    const res = await signedRequest(app, key, 'GET', '/v1/payment/NoSuchOrder1').expect(403);
    expect(res.body).toEqual({ code: 10001, message: expect.stringContaining('suspended') });
    // Its nonces are not burnt meanwhile, and lifting the suspension lets it in at once.
    const nonce = randomBytes(12).toString('hex');
    await signedRequest(app, key, 'GET', '/v1/payment/NoSuchOrder1', undefined, { nonce }).expect(403);
    await db(app).query(`UPDATE tenants SET suspended_at = NULL WHERE id = $1`, [t.tenantId]);
    await signedRequest(app, key, 'GET', '/v1/payment/NoSuchOrder1', undefined, { nonce }).expect(404);
    // Suspended by the platform API of this process: refused at once too.
    await http(app)
      .post(`/api/v1/admin/tenants/${t.tenantId}/suspend`)
      .set(admin)
      .send({ reason: 'x' })
      .expect(200);
    await signedRequest(app, key, 'GET', '/v1/payment/NoSuchOrder1').expect(403);
  });

  it('still sets last_used_at when a key is used', async () => {
    const key = await newKey();
    const lastUsed = async (): Promise<Date | null> =>
      (
        await db(app).query<{ last_used_at: Date | null }[]>(
          'SELECT last_used_at FROM api_keys WHERE id = $1',
          [key.id],
        )
      )[0].last_used_at;
    expect(await lastUsed()).toBeNull();
    const before = Date.now();
    await signedRequest(app, key, 'GET', '/v1/payment/NoSuchOrder1').expect(404);
    // Written after the answer (a request never waits for it).
    let seen: Date | null = null;
    for (let i = 0; i < 50 && !seen; i++) {
      seen = await lastUsed();
      if (!seen) await sleep(100);
    }
    expect(seen).not.toBeNull();
    expect((seen as Date).getTime()).toBeGreaterThanOrEqual(before - 5000);
  });
});
