import { randomBytes } from 'node:crypto';
import type { RunningPaymux } from '../src/bootstrap';
import {
  http,
  Merchant,
  newMember,
  newMerchant,
  newOrder,
  signedRequest,
  startTestAppWithAdmin,
} from './helpers/app';

type Row = Record<string, unknown>;

/**
 * The operator's order views for a merchant's staff, scoped to their tenant over real HTTP: GET
 * /api/v1/orders with the list filters (additive: the rows keep the platform API's shape), the CSV
 * export, an order's timeline and the needs-attention queue; another tenant's orders never show.
 */
describe('staff order views', () => {
  let app: RunningPaymux;
  let admin: { authorization: string };
  let a: Merchant;
  let b: Merchant;
  let member: { auth: { authorization: string } };
  const orders: Record<string, Row> = {};
  let orderNo: string;

  const complete = (payId: unknown, body: Row) =>
    http(app)
      .post(`/api/v1/sandbox/payments/${String(payId)}/complete`)
      .send(body)
      .expect(200);
  const ids = async (who: Merchant | { auth: { authorization: string } }, q: Row): Promise<string[]> =>
    (
      (
        await http(app)
          .get('/api/v1/orders')
          .query({ limit: 100, ...q })
          .set(who.auth)
          .expect(200)
      ).body.data as Row[]
    )
      .map((o) => o.id as string)
      .sort();
  const sorted = (...keys: string[]) => keys.map((k) => orders[k].id as string).sort();
  const csvOf = async (who: { auth: { authorization: string } }, q: Row = {}): Promise<string[][]> => {
    const res = await http(app)
      .get('/api/v1/orders/export.csv')
      .query(q)
      .set(who.auth)
      .buffer(true)
      .parse((r, done) => {
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => (text += c));
        r.on('end', () => done(null, text));
      })
      .expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    // No cell of these orders holds a comma, quote or line break: a plain split is exact here.
    return (res.body as string)
      .split('\r\n')
      .filter((l) => l !== '')
      .map((l) => l.split(','));
  };

  beforeAll(async () => {
    ({ app, admin } = await startTestAppWithAdmin());
    a = await newMerchant(app);
    b = await newMerchant(app);
    member = await newMember(app, a);
    // Tenant A: Pending, Finished, one flagged (paid another amount), one Cancelled, one merchant order.
    orders.pending = await newOrder(app, a);
    orders.finished = await newOrder(app, a);
    await complete(orders.finished.pay_id, { outcome: 'succeeded' });
    orders.flagged = await newOrder(app, a);
    await complete(orders.flagged.pay_id, { outcome: 'succeeded', amount: '1.00' });
    orders.cancelled = await newOrder(app, a);
    await http(app)
      .post(`/api/v1/orders/${orders.cancelled.id as string}/cancel`)
      .set(a.auth)
      .expect(200);
    const key = (await http(app).post('/api/v1/api-keys').set(a.auth).send({ name: 'srv' }).expect(201))
      .body as { key_id: string; secret: string };
    orderNo = `S${Date.now()}${randomBytes(3).toString('hex')}`;
    const created = await signedRequest(app, key, 'POST', '/v1/payment', {
      order_no: orderNo,
      currency: 'USDT',
      amount: '0.1',
      chain_type: 'BSC',
      notify_url: 'https://merchant.example/notify',
    }).expect(200);
    orders.merchant = created.body.data as Row;
    // Tenant B: a Finished order and a flagged one, for the scoping checks.
    orders.b1 = await newOrder(app, b);
    await complete(orders.b1.pay_id, { outcome: 'succeeded' });
    orders.bFlagged = await newOrder(app, b);
    await complete(orders.bFlagged.pay_id, { outcome: 'succeeded', amount: '2.00' });
  });
  afterAll(() => app.close());

  it('keeps the rows of GET /api/v1/orders as they were, with the old filters and pages', async () => {
    const one = await http(app)
      .get(`/api/v1/orders/${orders.finished.id as string}`)
      .set(a.auth)
      .expect(200);
    const res = await http(app).get('/api/v1/orders').set(a.auth).expect(200);
    expect(Object.keys(res.body as Row).sort()).toEqual(['data', 'has_more', 'next_cursor']);
    const row = (res.body.data as Row[]).find((o) => o.id === orders.finished.id);
    expect(row).toEqual(one.body);
    // The platform API's numbers stay numbers; no admin-only field appears.
    expect(typeof row?.price).toBe('number');
    expect(row).not.toHaveProperty('tenant_id');
    expect(row).not.toHaveProperty('flagged');
    // Old filters and cursor pages.
    expect(await ids(a, { application_id: a.applicationId })).toEqual(
      sorted('pending', 'finished', 'flagged', 'cancelled'),
    );
    expect(await ids(a, { state: 'Finished', pay_way: 'sandbox' })).toEqual(sorted('finished'));
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i += 1) {
      const page = await http(app)
        .get('/api/v1/orders')
        .query({ limit: 2, ...(cursor ? { cursor } : {}) })
        .set(a.auth)
        .expect(200);
      seen.push(...(page.body.data as Row[]).map((o) => o.id as string));
      if (!page.body.has_more) break;
      cursor = page.body.next_cursor as string;
    }
    expect(seen.sort()).toEqual(sorted('pending', 'finished', 'flagged', 'cancelled', 'merchant'));
  });

  it('filters the list like the operator list, within the tenant only', async () => {
    expect(await ids(a, {})).toEqual(sorted('pending', 'finished', 'flagged', 'cancelled', 'merchant'));
    expect(await ids(a, { state: 'Cancelled' })).toEqual(sorted('cancelled'));
    expect(await ids(a, { flagged: 'true' })).toEqual(sorted('flagged'));
    expect(await ids(a, { flagged: 'false' })).toEqual(
      sorted('pending', 'finished', 'cancelled', 'merchant'),
    );
    expect(await ids(b, { flagged: 'true' })).toEqual(sorted('bFlagged'));
    expect(await ids(a, { amount_min: '49.99', amount_max: '49.99' })).toEqual(
      sorted('pending', 'finished', 'flagged', 'cancelled'),
    );
    expect(await ids(a, { amount_max: '0.1' })).toEqual(sorted('merchant'));
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect(await ids(a, { created_from: future })).toEqual([]);
    expect(await ids(a, { created_to: future })).toHaveLength(5);
    // q: the order id, its pay_id or the merchant's order number.
    expect(await ids(a, { q: orders.finished.id })).toEqual(sorted('finished'));
    expect(await ids(a, { q: orders.pending.pay_id })).toEqual(sorted('pending'));
    expect(await ids(a, { q: orderNo })).toEqual(sorted('merchant'));
    expect(await ids(a, { q: 'no-such-order' })).toEqual([]);
    // Another tenant's order is not found by any filter.
    expect(await ids(b, { q: orders.finished.id })).toEqual([]);
    expect(await ids(b, { q: orderNo })).toEqual([]);
    // A member reads the same list.
    expect(await ids(member, { state: 'Finished' })).toEqual(sorted('finished'));
    // Bad filters are a 400 with the field named; tenant_id is not a staff filter.
    for (const q of [
      { amount_min: '1e3' },
      { created_from: 'yesterday' },
      { flagged: 'yes' },
      { tenant_id: b.tenantId },
    ]) {
      const res = await http(app).get('/api/v1/orders').query(q).set(a.auth);
      expect([res.status, res.body.code]).toEqual([400, 'validation_failed']);
    }
  });

  it('exports only the tenant’s orders as CSV, with the list’s filters', async () => {
    const [header, ...records] = await csvOf(a);
    expect(header.slice(0, 4)).toEqual(['id', 'tenant_id', 'created_at', 'state']);
    expect(records.map((r) => r[0]).sort()).toEqual(
      sorted('pending', 'finished', 'flagged', 'cancelled', 'merchant'),
    );
    expect(new Set(records.map((r) => r[1]))).toEqual(new Set([a.tenantId]));
    const flagged = await csvOf(member, { flagged: 'true' });
    expect(flagged.slice(1).map((r) => r[0])).toEqual(sorted('flagged'));
    const theirs = await csvOf(b);
    expect(
      theirs
        .slice(1)
        .map((r) => r[0])
        .sort(),
    ).toEqual(sorted('b1', 'bFlagged'));
  });

  it("shows an order's timeline in the operator's shape, and 404 to another tenant", async () => {
    const id = orders.finished.id as string;
    const mine = await http(app).get(`/api/v1/orders/${id}/timeline`).set(member.auth).expect(200);
    const operator = await http(app).get(`/api/v1/admin/orders/${id}/timeline`).set(admin).expect(200);
    expect(mine.body).toEqual(operator.body);
    expect(mine.body.order).toMatchObject({ id, tenant_id: a.tenantId, state: 'Finished' });
    expect((mine.body.transitions as Row[]).map((t) => t.to_state)).toEqual(['Pending', 'Paid', 'Finished']);
    const other = await http(app).get(`/api/v1/orders/${id}/timeline`).set(b.auth).expect(404);
    expect(other.body.code).toBe('order_not_found');
  });

  it("lists what needs attention in the tenant only; the operator's queue filters by tenant", async () => {
    const mine = await http(app).get('/api/v1/attention').query({ limit: 100 }).set(member.auth).expect(200);
    const items = mine.body.data as Row[];
    expect(new Set(items.map((i) => i.tenant_id))).toEqual(new Set([a.tenantId]));
    expect(items.map((i) => [i.kind, i.order_id, i.order_url])).toEqual([
      ['payment_flagged', orders.flagged.id, `/api/v1/orders/${orders.flagged.id as string}/timeline`],
    ]);
    const theirs = await http(app).get('/api/v1/attention').set(b.auth).expect(200);
    expect((theirs.body.data as Row[]).map((i) => i.order_id)).toEqual([orders.bFlagged.id]);
    const operator = await http(app)
      .get('/api/v1/admin/attention')
      .query({ tenant_id: b.tenantId })
      .set(admin)
      .expect(200);
    expect((operator.body.data as Row[]).map((i) => [i.order_id, i.order_url])).toEqual([
      [orders.bFlagged.id, `/api/v1/admin/orders/${orders.bFlagged.id as string}/timeline`],
    ]);
    const bad = await http(app).get('/api/v1/attention').query({ tenant_id: b.tenantId }).set(a.auth);
    expect([bad.status, bad.body.code]).toEqual([400, 'validation_failed']);
    // The staff views need a signed-in caller.
    for (const path of ['/api/v1/attention', '/api/v1/orders/export.csv'])
      await http(app).get(path).expect(401);
  });
});
