import { randomBytes } from 'node:crypto';
import request from 'supertest';
import type { RunningPaymux } from '../src/bootstrap';
import {
  db,
  http,
  Merchant,
  newMember,
  newMerchant,
  startTestAppWithAdmin,
  signedRequest,
} from './helpers/app';

interface Key {
  id: string;
  key_id: string;
  secret: string;
}

/**
 * The merchant API over real HTTP: API keys (secret shown once, sealed at rest, revoked,
 * rotated with an overlap), signed requests (timestamp window, nonce, timing-safe signature), and
 * `/v1/payment` create/get/close with its envelopes and codes (docs/api-contract.md), routed to the Sandbox.
 */
describe('merchant API', () => {
  let app: RunningPaymux;
  let admin: { authorization: string };
  let m: Merchant;
  let key: Key;

  beforeAll(async () => {
    ({ app, admin } = await startTestAppWithAdmin());
    // HKD/USDT belongs to this suite only (the FX table is platform-wide).
    await http(app).put('/api/v1/admin/fx-rates/HKD/USDT').set(admin).send({ rate: '0.128' }).expect(200);
    m = await newMerchant(app);
    key = (await http(app).post('/api/v1/api-keys').set(m.auth).send({ name: 'server' }).expect(201))
      .body as Key;
  });
  afterAll(async () => {
    await db(app).query(`DELETE FROM fx_rates WHERE base = 'HKD' AND quote = 'USDT'`);
    await app.close();
  });

  /** A request signed as a merchant's server would sign it. */
  const signed = (
    method: 'GET' | 'POST',
    path: string,
    body?: Record<string, unknown> | string,
    opts: { key?: Key; timestamp?: number; nonce?: string; tamper?: (raw: string) => string } = {},
  ): request.Test => signedRequest(app, opts.key ?? key, method, path, body, opts);

  const orderNo = (): string => `Pay${Date.now()}${randomBytes(3).toString('hex')}`;
  const payment = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
    order_no: orderNo(),
    currency: 'USDT',
    amount: '0.1',
    chain_type: 'BSC',
    product_name: 'Test product name',
    notify_url: 'https://merchant.example/notify',
    redirect_url: 'https://merchant.example/redirect',
    meta: 'id:123',
    ...over,
  });
  const orderRows = async (no: unknown): Promise<number> =>
    (
      await db(app).query<{ n: number }[]>(
        'SELECT count(*)::int AS n FROM orders WHERE tenant_id = $1 AND merchant_order_no = $2',
        [m.tenantId, no],
      )
    )[0].n;

  describe('API keys', () => {
    it('shows the secret once, keeps it sealed at rest, and lists keys without it', async () => {
      expect(key.key_id).toMatch(/^mk_[0-9a-f]{24}$/);
      expect(key.secret).toMatch(/^msk_/);
      const [row] = await db(app).query<{ secret_sealed: string }[]>(
        'SELECT secret_sealed FROM api_keys WHERE id = $1',
        [key.id],
      );
      expect(row.secret_sealed).not.toContain(key.secret);
      expect(row.secret_sealed).not.toContain(key.secret.slice(4));
      const list = await http(app).get('/api/v1/api-keys').set(m.auth).expect(200);
      expect(JSON.stringify(list.body)).not.toContain(key.secret);
      expect(list.body.data[0]).toMatchObject({
        id: key.id,
        key_id: key.key_id,
        name: 'server',
        active: true,
      });
    });

    it('lets only owners and admins manage keys; another tenant sees none of them', async () => {
      const member = await newMember(app, m);
      await http(app).post('/api/v1/api-keys').set(member.auth).send({ name: 'x' }).expect(403);
      const other = await newMerchant(app);
      await http(app).delete(`/api/v1/api-keys/${key.id}`).set(other.auth).expect(404);
      const theirs = await http(app).get('/api/v1/api-keys').set(other.auth).expect(200);
      expect(theirs.body.data).toEqual([]);
    });

    it('refuses a revoked key with 10001', async () => {
      const k = (await http(app).post('/api/v1/api-keys').set(m.auth).send({ name: 'temp' }).expect(201))
        .body as Key;
      await signed('GET', '/v1/payment/NoSuchOrder1', undefined, { key: k }).expect(404);
      await http(app).delete(`/api/v1/api-keys/${k.id}`).set(m.auth).expect(200);
      const res = await signed('GET', '/v1/payment/NoSuchOrder1', undefined, { key: k }).expect(401);
      expect(res.body).toEqual({ code: 10001, message: expect.any(String) });
    });

    it('rotates with an overlap: both keys work, then only the new one', async () => {
      const k = (await http(app).post('/api/v1/api-keys').set(m.auth).send({ name: 'rot' }).expect(201))
        .body as Key;
      const rotated = await http(app)
        .post(`/api/v1/api-keys/${k.id}/rotate`)
        .set(m.auth)
        .send({ overlap_seconds: 3600 })
        .expect(201);
      const fresh = rotated.body as Key & { previous: { expires_at: string } };
      expect(fresh.key_id).not.toBe(k.key_id);
      expect(new Date(fresh.previous.expires_at).getTime()).toBeGreaterThan(Date.now() + 3500_000);
      await signed('GET', '/v1/payment/NoSuchOrder1', undefined, { key: k }).expect(404);
      await signed('GET', '/v1/payment/NoSuchOrder1', undefined, { key: fresh }).expect(404);
      await db(app).query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [
        k.id,
      ]);
      expect(
        (await signed('GET', '/v1/payment/NoSuchOrder1', undefined, { key: k }).expect(401)).body.code,
      ).toBe(10001);
      await signed('GET', '/v1/payment/NoSuchOrder1', undefined, { key: fresh }).expect(404);
    });
  });

  describe('signed requests', () => {
    it('refuses missing headers, an unknown key and a bad or tampered signature with 401 10001', async () => {
      const bare = await request(app.url).post('/v1/payment').send(payment()).expect(401);
      expect(bare.body).toEqual({ code: 10001, message: expect.any(String) });
      const unknown = await signed('POST', '/v1/payment', payment(), {
        key: { ...key, key_id: 'mk_000000000000000000000000' },
      }).expect(401);
      expect(unknown.body.code).toBe(10001);
      const wrong = await signed('POST', '/v1/payment', payment(), {
        key: { ...key, secret: 'msk_wrong' },
      }).expect(401);
      expect(wrong.body.code).toBe(10001);
      const body = payment();
      const tampered = await signed('POST', '/v1/payment', body, {
        tamper: (raw) => raw.replace('"0.1"', '"100"'),
      }).expect(401);
      expect(tampered.body.code).toBe(10001);
      expect(await orderRows(body.order_no)).toBe(0);
    });

    it('refuses a stale timestamp and a reused nonce with 401 10002', async () => {
      const old = await signed('POST', '/v1/payment', payment(), {
        timestamp: Math.floor(Date.now() / 1000) - 301,
      }).expect(401);
      expect(old.body).toEqual({ code: 10002, message: expect.any(String) });
      const future = await signed('GET', '/v1/payment/NoSuchOrder1', undefined, {
        // A minute outside the 300 s window, so neither a slow request nor the second turning while it
        // is in flight brings it back inside (+301 did, 1 time in 10 on a loaded machine).
        timestamp: Math.floor(Date.now() / 1000) + 360,
      }).expect(401);
      expect(future.body.code).toBe(10002);
      const nonce = randomBytes(8).toString('hex');
      await signed('GET', '/v1/payment/NoSuchOrder1', undefined, { nonce }).expect(404);
      const again = await signed('GET', '/v1/payment/NoSuchOrder1', undefined, { nonce }).expect(401);
      expect(again.body.code).toBe(10002);
    });

    it('does not let an unsigned caller burn a nonce', async () => {
      const nonce = randomBytes(8).toString('hex');
      await signed('GET', '/v1/payment/NoSuchOrder1', undefined, {
        nonce,
        key: { ...key, secret: 'msk_wrong' },
      }).expect(401);
      await signed('GET', '/v1/payment/NoSuchOrder1', undefined, { nonce }).expect(404);
    });
  });

  describe('POST /v1/payment', () => {
    it('creates a routed order and answers the merchant API envelope exactly', async () => {
      const body = payment();
      const res = await signed('POST', '/v1/payment', body).expect(200);
      expect(Object.keys(res.body)).toEqual(['code', 'message', 'data']);
      expect(res.body.code).toBe(10000);
      expect(res.body.message).toBe('OK');
      expect(Object.keys(res.body.data).sort()).toEqual(
        ['amount', 'cancel_time', 'currency', 'id', 'order_amount', 'order_no', 'pay_url', 'state'].sort(),
      );
      const now = Math.floor(Date.now() / 1000);
      expect(res.body.data).toEqual({
        id: expect.any(String),
        order_no: body.order_no,
        currency: 'USDT',
        amount: '0.1',
        order_amount: '0.1',
        cancel_time: expect.any(Number),
        state: 1,
        pay_url: `${app.url}/checkout/${res.body.data.id as string}`,
      });
      expect(res.body.data.cancel_time).toBeGreaterThanOrEqual(now + 1800 - 5);
      expect(res.body.data.cancel_time).toBeLessThanOrEqual(now + 1800 + 5);
      const [row] = await db(app).query<Record<string, unknown>[]>(
        `SELECT o.notify_url, o.meta, o.product_name, o.redirect_url, o.pay_currency, o.chain, p.provider, p.route
           FROM orders o JOIN payments p ON p.order_id = o.id WHERE o.id = $1`,
        [res.body.data.id],
      );
      expect(row).toEqual({
        notify_url: 'https://merchant.example/notify',
        meta: 'id:123',
        product_name: 'Test product name',
        redirect_url: 'https://merchant.example/redirect',
        pay_currency: 'USDT',
        chain: 'BSC',
        provider: 'sandbox',
        route: { currency: 'USDT', chain: 'BSC', chosen: 'sandbox', fallbacks: [] },
      });
    });

    it('converts a fiat amount into USDT with the FX table (order_amount)', async () => {
      const res = await signed(
        'POST',
        '/v1/payment',
        payment({ currency: 'HKD', amount: '10.05', chain_type: 'tron' }),
      ).expect(200);
      // 10.05 HKD * 0.128 = 1.2864 USDT
      expect(res.body.data).toMatchObject({
        currency: 'HKD',
        amount: '10.05',
        order_amount: '1.2864',
        state: 1,
      });
    });

    it('refuses a duplicate order_no with 10004, whatever races', async () => {
      const body = payment();
      await signed('POST', '/v1/payment', body).expect(200);
      const dup = await signed('POST', '/v1/payment', body).expect(409);
      expect(dup.body).toEqual({ code: 10004, message: expect.stringContaining(body.order_no as string) });
      const racing = payment();
      const results = await Promise.all([1, 2, 3, 4].map(() => signed('POST', '/v1/payment', racing)));
      expect(results.filter((r) => r.status === 200)).toHaveLength(1);
      expect(results.filter((r) => r.status === 409).map((r) => r.body.code)).toEqual([10004, 10004, 10004]);
      expect(await orderRows(racing.order_no)).toBe(1);
    });

    it.each([
      [{ currency: 'XYZ' }, 'Invalid parameter `currency`: currency does not exist'],
      [{ currency: 'USDT ', amount: '0.1234567' }, 'Invalid parameter `amount`'],
      [{ amount: 0.1 }, 'Invalid parameter `amount`'],
      [{ amount: '-1' }, 'Invalid parameter `amount`'],
      [{ chain_type: 'DOGE' }, 'Invalid parameter `chain_type`'],
      [{ currency: 'BTC', chain_type: 'TRON' }, 'Invalid parameter `chain_type`'],
      [{ order_no: 'short' }, 'Invalid parameter `order_no`'],
      [{ order_no: 'has-dashes-123' }, 'Invalid parameter `order_no`'],
      [{ notify_url: 'ftp://merchant.example/x' }, 'Invalid parameter `notify_url`'],
      [{ notify_url: undefined }, 'Invalid parameter `notify_url`'],
      [{ product_name: 'x'.repeat(33) }, 'Invalid parameter `product_name`'],
    ])('refuses %j with 10003 naming the field, writing nothing', async (over, message) => {
      const body = payment(over);
      const res = await signed('POST', '/v1/payment', body);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.body).toEqual({ code: 10003, message: expect.stringContaining(message) });
      expect(await orderRows(body.order_no)).toBe(0);
    });

    it('answers bad JSON with 10003, not a 5xx', async () => {
      const res = await signed('POST', '/v1/payment', '{"order_no": ');
      expect(res.status).toBe(400);
      expect(res.body.code).toBe(10003);
    });
  });

  describe('GET /v1/payment/:order_no and close', () => {
    it('returns the same envelope with the current state, and 10005 for another tenant', async () => {
      const body = payment();
      const created = await signed('POST', '/v1/payment', body).expect(200);
      const got = await signed('GET', `/v1/payment/${body.order_no as string}`).expect(200);
      expect(got.body).toEqual(created.body);

      const payId = (
        await db(app).query<{ provider_ref: string }[]>(
          'SELECT provider_ref FROM payments WHERE order_id = $1',
          [created.body.data.id],
        )
      )[0].provider_ref;
      await http(app)
        .post(`/api/v1/sandbox/payments/${payId}/complete`)
        .send({ outcome: 'succeeded' })
        .expect(200);
      const paid = await signed('GET', `/v1/payment/${body.order_no as string}`).expect(200);
      expect(paid.body.data.state).toBe(3);

      const other = await newMerchant(app);
      const theirKey = (
        await http(app).post('/api/v1/api-keys').set(other.auth).send({ name: 'o' }).expect(201)
      ).body as Key;
      const hidden = await signed('GET', `/v1/payment/${body.order_no as string}`, undefined, {
        key: theirKey,
      }).expect(404);
      expect(hidden.body).toEqual({ code: 10005, message: expect.any(String) });
    });

    it('answers an order_no with a NUL byte or of another form 404 10005, not a 5xx (found by the fuzz)', async () => {
      for (const no of ['abc%00def12', '1%001', 'x'.repeat(33), 'has%20space1']) {
        const got = await signed('GET', `/v1/payment/${no}`).expect(404);
        expect(got.body).toEqual({ code: 10005, message: expect.any(String) });
        const closed = await signed('POST', `/v1/payment/${no}/close`).expect(404);
        expect(closed.body).toEqual({ code: 10005, message: expect.any(String) });
      }
    });

    it('closes a pending order (state 5) once', async () => {
      const body = payment();
      await signed('POST', '/v1/payment', body).expect(200);
      const closed = await signed('POST', `/v1/payment/${body.order_no as string}/close`).expect(200);
      expect(closed.body).toMatchObject({ code: 10000, data: { order_no: body.order_no, state: 5 } });
      const again = await signed('POST', `/v1/payment/${body.order_no as string}/close`).expect(409);
      expect(again.body.code).toBe(10003);
      const [p] = await db(app).query<{ status: string }[]>(
        'SELECT p.status FROM payments p JOIN orders o ON o.id = p.order_id WHERE o.merchant_order_no = $1',
        [body.order_no],
      );
      expect(p.status).toBe('cancelled');
    });
  });
});
