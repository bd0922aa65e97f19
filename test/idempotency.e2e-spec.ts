import { randomUUID } from 'node:crypto';
import type { RunningPaymux } from '../src/bootstrap';
import { db, http, Merchant, newMerchant, startTestApp } from './helpers/app';

/** `Idempotency-Key` on `POST /api/v1/orders`: one key, one order, per tenant. */
describe('Idempotency-Key on POST /api/v1/orders', () => {
  let app: RunningPaymux;

  beforeAll(async () => {
    app = await startTestApp({ LOGIN_RATE_LIMIT: '1000' });
  });
  afterAll(() => app.close());

  const body = (m: Merchant, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    application_id: m.applicationId,
    package_id: m.packageId,
    pay_way: 'Sandbox',
    ...extra,
  });

  const create = (m: Merchant, key: string, payload: Record<string, unknown>) =>
    http(app).post('/api/v1/orders').set(m.auth).set('Idempotency-Key', key).send(payload);

  async function count(table: 'orders' | 'payments' | 'idempotency_keys', tenantId: string): Promise<number> {
    const rows = await db(app).query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM ${table} WHERE tenant_id = $1`,
      [tenantId],
    );
    return rows[0].n;
  }

  async function counts(tenantId: string): Promise<Record<string, number>> {
    return {
      orders: await count('orders', tenantId),
      payments: await count('payments', tenantId),
      idempotency_keys: await count('idempotency_keys', tenantId),
    };
  }

  it('replays the same key and body: same order, 200, Idempotent-Replayed, one row', async () => {
    const m = await newMerchant(app);
    const key = `order-${randomUUID()}`;
    const first = await create(m, key, body(m)).expect(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(first.body).toMatchObject({
      state: 'Pending',
      pay_way: 'Sandbox',
      application_id: m.applicationId,
    });

    const second = await create(m, key, body(m)).expect(200);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toEqual(first.body);

    // The pay_way is matched case-insensitively, so this is still the same request.
    const third = await create(m, key, body(m, { pay_way: 'sandbox' })).expect(200);
    expect(third.body.id).toBe(first.body.id);
    expect(third.headers['idempotent-replayed']).toBe('true');

    expect(await counts(m.tenantId)).toEqual({ orders: 1, payments: 1, idempotency_keys: 1 });
    const stored = await db(app).query<{ order_id: string }[]>(
      'SELECT order_id FROM idempotency_keys WHERE tenant_id = $1 AND key = $2',
      [m.tenantId, key],
    );
    expect(stored).toEqual([{ order_id: first.body.id }]);
  });

  it('without a key every request creates its own order', async () => {
    const m = await newMerchant(app);
    const a = await http(app).post('/api/v1/orders').set(m.auth).send(body(m)).expect(201);
    const b = await http(app).post('/api/v1/orders').set(m.auth).send(body(m)).expect(201);
    expect(a.body.id).not.toBe(b.body.id);
    expect(await counts(m.tenantId)).toEqual({ orders: 2, payments: 2, idempotency_keys: 0 });
  });

  it('refuses the same key with a different body: 409 idempotency_key_reused, no new row', async () => {
    const m = await newMerchant(app);
    const other = await http(app)
      .post('/api/v1/packages')
      .set(m.auth)
      .send({ name: '100 credits', amount: 100, price: 9.99, currency: 'USD' })
      .expect(201);
    const key = `order-${randomUUID()}`;
    const first = await create(m, key, body(m)).expect(201);
    const before = await counts(m.tenantId);

    for (const changed of [
      body(m, { package_id: other.body.id }),
      body(m, { redirect_url: 'https://shop.example/thanks' }),
    ]) {
      const res = await create(m, key, changed).expect(409);
      expect(res.body).toEqual({ code: 'idempotency_key_reused', message: expect.any(String) });
      expect(res.headers['idempotent-replayed']).toBeUndefined();
      expect(JSON.stringify(res.body)).not.toContain(first.body.id as string);
    }
    expect(await counts(m.tenantId)).toEqual(before);
    // The original request still replays.
    const replay = await create(m, key, body(m)).expect(200);
    expect(replay.body.id).toBe(first.body.id);
  });

  it('does not burn a key on a failed request', async () => {
    const m = await newMerchant(app);
    const key = `order-${randomUUID()}`;
    const failed = await create(m, key, body(m, { pay_way: 'Stripe' })).expect(422);
    expect(failed.body.code).toBe('pay_way_unavailable');
    expect(await counts(m.tenantId)).toEqual({ orders: 0, payments: 0, idempotency_keys: 0 });
    const ok = await create(m, key, body(m)).expect(201);
    expect(await counts(m.tenantId)).toEqual({ orders: 1, payments: 1, idempotency_keys: 1 });
    await create(m, key, body(m)).expect(200);
    expect((await create(m, key, body(m))).body.id).toBe(ok.body.id);
  });

  it('gives 10 concurrent requests with the same key and body one order and one payment', async () => {
    const m = await newMerchant(app);
    const rounds = 5;
    for (let round = 0; round < rounds; round++) {
      const key = `order-${randomUUID()}`;
      const answers = await Promise.all(Array.from({ length: 10 }, () => create(m, key, body(m))));

      expect(answers.map((res) => res.status).sort()).toEqual([
        200, 200, 200, 200, 200, 200, 200, 200, 200, 201,
      ]);
      const ids = new Set(answers.map((res) => res.body.id as string));
      expect(ids.size).toBe(1);
      for (const res of answers.filter((r) => r.status === 200)) {
        expect(res.headers['idempotent-replayed']).toBe('true');
      }
      const [id] = [...ids];
      const rows = await db(app).query<{ orders: number; payments: number; transitions: number }[]>(
        `SELECT (SELECT count(*)::int FROM orders WHERE id = $1) AS orders,
                (SELECT count(*)::int FROM payments WHERE order_id = $1) AS payments,
                (SELECT count(*)::int FROM order_transitions WHERE order_id = $1) AS transitions`,
        [id],
      );
      expect(rows[0]).toEqual({ orders: 1, payments: 1, transitions: 1 });
    }
    expect(await counts(m.tenantId)).toEqual({ orders: rounds, payments: rounds, idempotency_keys: rounds });
  });

  it('lets exactly one of concurrent requests with one key but two bodies win', async () => {
    const m = await newMerchant(app);
    const other = await http(app)
      .post('/api/v1/packages')
      .set(m.auth)
      .send({ name: '100 credits', amount: 100, price: 9.99, currency: 'USD' })
      .expect(201);
    const key = `order-${randomUUID()}`;
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        create(m, key, i % 2 === 0 ? body(m) : body(m, { package_id: other.body.id })),
      ),
    );
    const won = answers.filter((res) => res.status === 200 || res.status === 201);
    const lost = answers.filter((res) => res.status === 409);
    expect(won.length + lost.length).toBe(10);
    expect(won.filter((res) => res.status === 201)).toHaveLength(1);
    expect(new Set(won.map((res) => res.body.id as string)).size).toBe(1);
    // Every winner asked for the same package: the losers are exactly the other body.
    expect(new Set(won.map((res) => res.body.package_id as string)).size).toBe(1);
    expect(lost.length).toBe(5);
    for (const res of lost) expect(res.body.code).toBe('idempotency_key_reused');
    expect(await counts(m.tenantId)).toEqual({ orders: 1, payments: 1, idempotency_keys: 1 });
  });

  it("keeps each tenant's keys apart", async () => {
    const a = await newMerchant(app);
    const b = await newMerchant(app);
    const key = `shared-${randomUUID()}`;
    const fromA = await create(a, key, body(a)).expect(201);
    const fromB = await create(b, key, body(b)).expect(201);
    expect(fromB.body.id).not.toBe(fromA.body.id);
    expect(fromB.body.application_id).toBe(b.applicationId);
    expect(fromB.headers['idempotent-replayed']).toBeUndefined();

    // Each replays its own order, never the other tenant's.
    expect((await create(a, key, body(a)).expect(200)).body.id).toBe(fromA.body.id);
    expect((await create(b, key, body(b)).expect(200)).body.id).toBe(fromB.body.id);
    // A's body under B's key is B's own conflict, and it does not reveal A's order.
    const cross = await create(b, key, body(a)).expect(409);
    expect(cross.body.code).toBe('idempotency_key_reused');
    expect(JSON.stringify(cross.body)).not.toContain(fromA.body.id as string);

    expect(await counts(a.tenantId)).toEqual({ orders: 1, payments: 1, idempotency_keys: 1 });
    expect(await counts(b.tenantId)).toEqual({ orders: 1, payments: 1, idempotency_keys: 1 });
  });

  it.each([
    ['too long', 'k'.repeat(256)],
    ['with a space', 'has space'],
    ['with a tab', 'tab\there'],
  ])('refuses a key %s with 400 invalid_idempotency_key and writes nothing', async (_label, key) => {
    const m = await newMerchant(app);
    const res = await create(m, key, body(m)).expect(400);
    expect(res.body.code).toBe('invalid_idempotency_key');
    expect(await counts(m.tenantId)).toEqual({ orders: 0, payments: 0, idempotency_keys: 0 });
  });

  it('accepts a key of exactly 255 printable characters', async () => {
    const m = await newMerchant(app);
    const key = '~'.repeat(255);
    const first = await create(m, key, body(m)).expect(201);
    expect((await create(m, key, body(m)).expect(200)).body.id).toBe(first.body.id);
  });
});
