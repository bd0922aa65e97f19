import { randomUUID } from 'node:crypto';
import type { RunningPaymux } from '../src/bootstrap';
import { db, http, newMerchant, startTestApp } from './helpers/app';

/**
 * Order creation by group commit (PendingOrderWriter): concurrent creations are written together, one
 * statement for many orders, and each order still gets exactly its own rows and its own answer.
 */
describe('POST /api/v1/orders: group commit', () => {
  let app: RunningPaymux;

  beforeAll(async () => {
    app = await startTestApp({ LOGIN_RATE_LIMIT: '1000' });
  });
  afterAll(() => app.close());

  /** Each order with the transaction (xmin) that wrote it, its payment's and its history row's. */
  const written = (tenantId: string) =>
    db(app).query<{ id: string; order_x: string; payment_x: string[]; history_x: string[] }[]>(
      `SELECT o.id, o.xmin::text AS order_x,
              array(SELECT p.xmin::text FROM payments p WHERE p.order_id = o.id) AS payment_x,
              array(SELECT t.xmin::text FROM order_transitions t WHERE t.order_id = o.id) AS history_x
         FROM orders o WHERE o.tenant_id = $1`,
      [tenantId],
    );

  it('writes concurrent orders in shared statements, each with its own payment and history row', async () => {
    const m = await newMerchant(app);
    const body = { application_id: m.applicationId, package_id: m.packageId, pay_way: 'Sandbox' };
    const responses = await Promise.all(
      Array.from({ length: 40 }, () => http(app).post('/api/v1/orders').set(m.auth).send(body)),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(40).fill(201));
    const ids = new Set(responses.map((r) => r.body.id as string));
    expect(ids.size).toBe(40);

    const rows = await written(m.tenantId);
    expect(new Set(rows.map((r) => r.id))).toEqual(ids);
    // Each order's payment and history row were written by the statement that wrote the order.
    for (const r of rows) {
      expect(r.payment_x).toEqual([r.order_x]);
      expect(r.history_x).toEqual([r.order_x]);
    }
    // Fewer transactions than orders: some statements wrote several orders.
    expect(new Set(rows.map((r) => r.order_x)).size).toBeLessThan(40);
    // Each answer is its own order's, with the database's timestamps.
    for (const r of responses) {
      expect(r.body).toMatchObject({ state: 'Pending', application_id: m.applicationId });
      expect(Date.parse(r.body.created_at as string)).not.toBeNaN();
    }
  });

  it('a duplicate idempotency key in a batch fails only its own order, which is then answered as a replay', async () => {
    const m = await newMerchant(app);
    const body = { application_id: m.applicationId, package_id: m.packageId, pay_way: 'Sandbox' };
    const key = `gc-${randomUUID()}`;
    const keyed = () => http(app).post('/api/v1/orders').set(m.auth).set('Idempotency-Key', key).send(body);
    const plain = () => http(app).post('/api/v1/orders').set(m.auth).send(body);
    const responses = await Promise.all([
      ...Array.from({ length: 10 }, plain),
      keyed(),
      keyed(),
      ...Array.from({ length: 10 }, plain),
    ]);
    const [a, b] = [responses[10], responses[11]];
    // One created the order, the other (in the same batch or not) is its replay.
    expect([a.status, b.status].sort()).toEqual([200, 201]);
    expect(a.body.id).toBe(b.body.id);
    for (const r of [...responses.slice(0, 10), ...responses.slice(12)]) expect(r.status).toBe(201);

    const rows = await written(m.tenantId);
    expect(rows).toHaveLength(21);
    for (const r of rows) expect(r.payment_x).toEqual([r.order_x]);
    const keys = await db(app).query<{ order_id: string }[]>(
      'SELECT order_id FROM idempotency_keys WHERE tenant_id = $1',
      [m.tenantId],
    );
    expect(keys).toEqual([{ order_id: a.body.id }]);
  });
});
