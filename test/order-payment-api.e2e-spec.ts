import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import type { RunningPaymux } from '../src/bootstrap';
import {
  db,
  http,
  Merchant,
  newMember as newMemberOf,
  newMerchant,
  newOrder,
  startTestApp,
} from './helpers/app';

/**
 * The order payment API ("Order Creation Payment Interface"): `POST /api/order/payment`, its
 * `{code, msg, data}` envelope and every one of its error codes with the HTTP status
 * docs/api-contract.md gives it.
 */
describe('POST /api/order/payment (order payment API)', () => {
  let app: RunningPaymux;
  let m: Merchant;

  beforeAll(async () => {
    app = await startTestApp({ LOGIN_RATE_LIMIT: '1000' });
    m = await newMerchant(app);
  });
  afterAll(() => app.close());

  const pay = (auth: Record<string, string>, body: Record<string, unknown>) =>
    http(app).post('/api/order/payment').set(auth).send(body);

  /**
   * The order payment API's error envelope, exactly: numeric code, a non-empty msg, data null,
   * nothing else.
   */
  function expectSeedError(res: Response, status: number, code: number): void {
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({ code, msg: expect.any(String), data: null });
    expect((res.body as { msg: string }).msg.length).toBeGreaterThan(0);
  }

  const paymentRows = async (orderId: string): Promise<number> => {
    const rows = await db(app).query<{ n: number }[]>(
      'SELECT count(*)::int AS n FROM payments WHERE order_id = $1',
      [orderId],
    );
    return rows[0].n;
  };

  const orderRow = async (
    orderId: string,
  ): Promise<{ state: string; pay_way: string; pay_id: string | null }> => {
    const rows = await db(app).query<{ state: string; pay_way: string; pay_id: string | null }[]>(
      'SELECT state, pay_way, pay_id FROM orders WHERE id = $1',
      [orderId],
    );
    return rows[0];
  };

  const newMember = (): ReturnType<typeof newMemberOf> => newMemberOf(app, m);

  describe('success', () => {
    it('answers code 0 with the sandbox jump_url, and reuses the open payment on a repeat', async () => {
      const order = await newOrder(app, m);
      expect(order.pay_url).toMatch(new RegExp(`/checkout/${order.id as string}$`));
      const res = await pay(m.auth, { order_id: order.id, pay_way: 'sandbox' }).expect(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({ code: 0, msg: '', data: { pay_way: 'sandbox', jump_url: order.pay_url } });
      expect(await paymentRows(order.id as string)).toBe(1);

      const again = await pay(m.auth, { order_id: order.id, pay_way: 'SANDBOX' }).expect(200);
      expect(again.body).toEqual(res.body);
      expect(await paymentRows(order.id as string)).toBe(1);
    });

    it('lets a member pay an order they created themselves', async () => {
      const member = await newMember();
      const own = await http(app)
        .post('/api/v1/orders')
        .set(member.auth)
        .send({ application_id: m.applicationId, package_id: m.packageId, pay_way: 'Sandbox' })
        .expect(201);
      expect(own.body.user_id).toBe(member.userId);
      const res = await pay(member.auth, { order_id: own.body.id, pay_way: 'sandbox' }).expect(200);
      expect(res.body).toEqual({
        code: 0,
        msg: '',
        data: { pay_way: 'sandbox', jump_url: own.body.pay_url },
      });
    });
  });

  describe('1001 not logged in (401)', () => {
    it.each([
      ['no Authorization header', {}],
      ['a garbage Bearer token', { authorization: 'Bearer not-a-token' }],
      [
        'an unknown platform token',
        { authorization: 'Bearer pmx_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
      ],
      ['a Basic scheme', { authorization: 'Basic dXNlcjpwYXNz' }],
      ['an empty Bearer', { authorization: 'Bearer ' }],
    ])('with %s', async (_label, auth: Record<string, string>) => {
      const order = await newOrder(app, m);
      const res = await pay(auth, { order_id: order.id, pay_way: 'sandbox' });
      expectSeedError(res, 401, 1001);
      expect(await paymentRows(order.id as string)).toBe(1);
    });

    it('with a JWT signed by another secret, or with alg none', async () => {
      const order = await newOrder(app, m);
      const claims = { sub: m.userId, tid: m.tenantId, role: 'owner', pa: true };
      const forged = { authorization: `Bearer ${jwt(claims, 'HS256', randomBytes(32).toString('hex'))}` };
      expectSeedError(await pay(forged, { order_id: order.id, pay_way: 'sandbox' }), 401, 1001);
      const unsigned = { authorization: `Bearer ${jwt(claims, 'none')}` };
      expectSeedError(await pay(unsigned, { order_id: order.id, pay_way: 'sandbox' }), 401, 1001);
    });

    it('with a revoked platform token', async () => {
      const created = await http(app)
        .post('/api/v1/auth/tokens')
        .set(m.auth)
        .send({ name: 'gone' })
        .expect(201);
      const auth = { authorization: `Bearer ${created.body.token as string}` };
      const order = await newOrder(app, m);
      await pay(auth, { order_id: order.id, pay_way: 'sandbox' }).expect(200);
      await http(app)
        .delete(`/api/v1/auth/tokens/${created.body.id as string}`)
        .set(m.auth)
        .expect(204);
      expectSeedError(await pay(auth, { order_id: order.id, pay_way: 'sandbox' }), 401, 1001);
    });
  });

  describe('1002 unauthorized (403)', () => {
    it('refuses a member paying an order another user of the tenant created', async () => {
      const member = await newMember();
      const order = await newOrder(app, m);
      const before = await orderRow(order.id as string);
      const res = await pay(member.auth, { order_id: order.id, pay_way: 'sandbox' });
      expectSeedError(res, 403, 1002);
      expect(JSON.stringify(res.body)).not.toContain(order.pay_url as string);
      expect(await orderRow(order.id as string)).toEqual(before);
      expect(await paymentRows(order.id as string)).toBe(1);
      // The owner still may.
      await pay(m.auth, { order_id: order.id, pay_way: 'sandbox' }).expect(200);
    });
  });

  describe('4001 order does not exist (404)', () => {
    it('for an unknown uuid', async () => {
      expectSeedError(await pay(m.auth, { order_id: randomUUID(), pay_way: 'sandbox' }), 404, 4001);
    });

    it('for a non-uuid id like the documented example "202211232209080046"', async () => {
      expectSeedError(await pay(m.auth, { order_id: '202211232209080046', pay_way: 'sandbox' }), 404, 4001);
      expectSeedError(await pay(m.auth, { order_id: "1' OR '1'='1", pay_way: 'sandbox' }), 404, 4001);
    });

    it("for another tenant's order, which is left untouched", async () => {
      const other = await newMerchant(app);
      const theirs = await newOrder(app, other);
      const before = await orderRow(theirs.id as string);
      const res = await pay(m.auth, { order_id: theirs.id, pay_way: 'sandbox' });
      expectSeedError(res, 404, 4001);
      expect(JSON.stringify(res.body)).not.toContain(theirs.pay_url as string);
      expect(await orderRow(theirs.id as string)).toEqual(before);
      expect(await paymentRows(theirs.id as string)).toBe(1);
      await pay(other.auth, { order_id: theirs.id, pay_way: 'sandbox' }).expect(200);
    });
  });

  describe('4002 state does not allow payment (409)', () => {
    it('for a cancelled order', async () => {
      const order = await newOrder(app, m);
      const cancelled = await http(app)
        .post(`/api/v1/orders/${order.id as string}/cancel`)
        .set(m.auth)
        .expect(200);
      expect(cancelled.body.state).toBe('Cancelled');
      expectSeedError(await pay(m.auth, { order_id: order.id, pay_way: 'sandbox' }), 409, 4002);
      expect((await orderRow(order.id as string)).state).toBe('Cancelled');
      expect(await paymentRows(order.id as string)).toBe(1);
    });

    it('for a Finished order', async () => {
      const order = await newOrder(app, m);
      const done = await http(app)
        .post(`/api/v1/sandbox/payments/${order.pay_id as string}/complete`)
        .send({ outcome: 'succeeded' })
        .expect(200);
      expect(done.body).toMatchObject({ order_state: 'Finished' });
      expectSeedError(await pay(m.auth, { order_id: order.id, pay_way: 'sandbox' }), 409, 4002);
      expect((await orderRow(order.id as string)).state).toBe('Finished');
      expect(await paymentRows(order.id as string)).toBe(1);
    });

    it('for a Pending order whose expires_at has passed', async () => {
      const order = await newOrder(app, m);
      await db(app).query(`UPDATE orders SET expires_at = now() - interval '1 minute' WHERE id = $1`, [
        order.id,
      ]);
      expectSeedError(await pay(m.auth, { order_id: order.id, pay_way: 'sandbox' }), 409, 4002);
    });
  });

  describe('4003 method not supported or not enabled (422)', () => {
    it('for an unknown pay_way', async () => {
      const order = await newOrder(app, m);
      expectSeedError(await pay(m.auth, { order_id: order.id, pay_way: 'bitcoin' }), 422, 4003);
      expect(await orderRow(order.id as string)).toMatchObject({ state: 'Pending', pay_way: 'Sandbox' });
      expect(await paymentRows(order.id as string)).toBe(1);
    });

    it.each(['stripe', 'paypal', 'alipay', 'wechat'])(
      'for %s, known but not enabled for the tenant',
      async (way) => {
        const order = await newOrder(app, m);
        expectSeedError(await pay(m.auth, { order_id: order.id, pay_way: way }), 422, 4003);
        expect(await orderRow(order.id as string)).toMatchObject({ state: 'Pending', pay_way: 'Sandbox' });
        expect(await paymentRows(order.id as string)).toBe(1);
      },
    );
  });

  describe('4004 amount is 0 (422)', () => {
    it('for an order of a zero-price package', async () => {
      const pkg = await http(app)
        .post('/api/v1/packages')
        .set(m.auth)
        .send({ name: 'free', amount: 10, price: 0, currency: 'USD' })
        .expect(201);
      const order = await newOrder(app, m, { package_id: pkg.body.id });
      expect(order).toMatchObject({ price: 0, pay_url: null, pay_id: null, state: 'Pending' });
      expect(await paymentRows(order.id as string)).toBe(0);
      expectSeedError(await pay(m.auth, { order_id: order.id, pay_way: 'sandbox' }), 422, 4004);
      expect(await paymentRows(order.id as string)).toBe(0);
      expect(await orderRow(order.id as string)).toMatchObject({ state: 'Pending', pay_id: null });
    });
  });

  describe('-1 anything else (400)', () => {
    it('for a missing pay_way', async () => {
      const order = await newOrder(app, m);
      const res = await pay(m.auth, { order_id: order.id });
      expectSeedError(res, 400, -1);
      expect(res.body.msg).toMatch(/pay_way/);
      expect(await paymentRows(order.id as string)).toBe(1);
    });

    it('for a missing order_id, a wrong type, an unknown field and malformed JSON', async () => {
      const order = await newOrder(app, m);
      expectSeedError(await pay(m.auth, { pay_way: 'sandbox' }), 400, -1);
      expectSeedError(await pay(m.auth, { order_id: 42, pay_way: 'sandbox' }), 400, -1);
      expectSeedError(await pay(m.auth, { order_id: order.id, pay_way: 'sandbox', admin: true }), 400, -1);
      const bad = await http(app)
        .post('/api/order/payment')
        .set(m.auth)
        .set('content-type', 'application/json')
        .send('{"order_id":');
      expectSeedError(bad, 400, -1);
    });
  });
});

/** A compact JWT; signed with HMAC-SHA256 when `secret` is given, unsigned for alg none. */
function jwt(claims: Record<string, unknown>, alg: 'HS256' | 'none', secret?: string): string {
  const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const head = `${b64({ alg, typ: 'JWT' })}.${b64({ ...claims, iat: now, exp: now + 600 })}`;
  const sig = secret ? createHmac('sha256', secret).update(head).digest('base64url') : '';
  return `${head}.${sig}`;
}
