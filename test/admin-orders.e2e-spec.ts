import { randomBytes, randomUUID } from 'node:crypto';
import type { AdminOrderResponse } from '../src/admin/admin-orders.response';
import { AdminOrdersService } from '../src/admin/admin-orders.service';
import type { RunningPaymux } from '../src/bootstrap';
import {
  db,
  http,
  Merchant,
  newMember,
  newMerchant,
  newOrder,
  signedRequest,
  startTestAppWithAdmin,
} from './helpers/app';

type Row = Record<string, unknown>;

/** RFC 4180: records of CRLF-separated, comma-separated cells; quoted cells may hold , " and line breaks. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let cell = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i += 1;
      } else {
        cell += c;
        i += 1;
      }
    } else if (c === '"') {
      quoted = true;
      i += 1;
    } else if (c === ',') {
      record.push(cell);
      cell = '';
      i += 1;
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(cell);
      records.push(record);
      record = [];
      cell = '';
      i += 2;
    } else {
      cell += c;
      i += 1;
    }
  }
  if (cell !== '' || record.length) throw new Error('the last record is not CRLF-terminated');
  return records;
}

/**
 * The platform operator's order read model over real HTTP: orders of every tenant with filters, sort
 * and cursor pages, the CSV export (same content, streamed, quoted, formula-safe), and an order's
 * timeline in one call. Platform admins only.
 */
describe('admin orders across tenants', () => {
  let app: RunningPaymux;
  let admin: { authorization: string };
  let a: Merchant;
  let b: Merchant;
  const orders: Record<string, Row> = {};
  let orderNo: string;

  const list = (query: Record<string, string | number>, auth = admin) =>
    http(app).get('/api/v1/admin/orders').query(query).set(auth);
  const complete = (payId: unknown, body: Record<string, unknown>) =>
    http(app)
      .post(`/api/v1/sandbox/payments/${String(payId)}/complete`)
      .send(body)
      .expect(200);

  /** Every page of a query, walked with next_cursor. */
  const walk = async (query: Record<string, string | number>): Promise<Row[]> => {
    const seen: Row[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 100; pages += 1) {
      const res = await list({ ...query, ...(cursor ? { cursor } : {}) }).expect(200);
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
    ({ app, admin } = await startTestAppWithAdmin());
    a = await newMerchant(app);
    b = await newMerchant(app, { name: 'cheap', amount: 100, price: '10.00' });

    // Tenant A: Pending, Finished, Cancelled, and one flagged (paid another amount).
    orders.pending = await newOrder(app, a);
    orders.finished = await newOrder(app, a);
    await complete(orders.finished.pay_id, { outcome: 'succeeded' });
    orders.cancelled = await newOrder(app, a);
    await http(app)
      .post(`/api/v1/orders/${orders.cancelled.id as string}/cancel`)
      .set(a.auth)
      .expect(200);
    orders.flagged = await newOrder(app, a);
    await complete(orders.flagged.pay_id, { outcome: 'succeeded', amount: '1.00' });
    // Tenant A, one more: a partial refund of a paid order.
    orders.refunded = await newOrder(app, a);
    await complete(orders.refunded.pay_id, { outcome: 'succeeded' });
    await http(app)
      .post(`/api/v1/orders/${orders.refunded.id as string}/refunds`)
      .set(a.auth)
      .send({ amount: 10, reason: 'partial' })
      .expect(201);

    // Tenant B: platform orders at 10.00 and a merchant API order with its own order_no and a product
    // name a spreadsheet would run as a formula.
    orders.b1 = await newOrder(app, b);
    orders.b2 = await newOrder(app, b);
    const key = (await http(app).post('/api/v1/api-keys').set(b.auth).send({ name: 'srv' }).expect(201))
      .body as { key_id: string; secret: string };
    orderNo = `Pay${Date.now()}${randomBytes(3).toString('hex')}`;
    const created = await signedRequest(app, key, 'POST', '/v1/payment', {
      order_no: orderNo,
      currency: 'USDT',
      amount: '0.1',
      chain_type: 'BSC',
      product_name: '=SUM(1,2) "x"',
      notify_url: 'https://merchant.example/notify',
    }).expect(200);
    expect(created.body.code).toBe(10000);
    orders.merchant = created.body.data as Row;
  });
  afterAll(() => app.close());

  it("finds a merchant's order across tenants by its order_no and by its pay_id, with its tenant", async () => {
    const byNo = await list({ order_no: orderNo }).expect(200);
    expect(byNo.body.data).toHaveLength(1);
    expect(byNo.body.data[0]).toMatchObject({
      id: orders.merchant.id,
      tenant_id: b.tenantId,
      merchant_order_no: orderNo,
      price: '0.100000',
      currency: 'USDT',
      state: 'Pending',
      flagged: false,
    });
    const byPayId = await list({ pay_id: orders.finished.pay_id as string }).expect(200);
    expect(byPayId.body.data.map((o: Row) => [o.id, o.tenant_id])).toEqual([
      [orders.finished.id, a.tenantId],
    ]);
    expect(byPayId.body.data[0]).toMatchObject({ state: 'Finished', price: '49.99', amount: '500' });
    const byId = await list({ id: orders.b1.id as string }).expect(200);
    expect(byId.body.data.map((o: Row) => o.tenant_id)).toEqual([b.tenantId]);
  });

  it('filters by tenant, state, pay way, provider, flagged, amount range and creation time', async () => {
    const ids = async (q: Record<string, string>): Promise<string[]> =>
      ((await list({ limit: 100, ...q }).expect(200)).body.data as Row[]).map((o) => o.id as string).sort();
    const sorted = (...keys: string[]) => keys.map((k) => orders[k].id as string).sort();

    expect(await ids({ tenant_id: a.tenantId })).toEqual(
      sorted('pending', 'finished', 'cancelled', 'flagged', 'refunded'),
    );
    expect(await ids({ tenant_id: a.tenantId, state: 'Cancelled' })).toEqual(sorted('cancelled'));
    expect(await ids({ tenant_id: a.tenantId, state: 'PartiallyRefunded' })).toEqual(sorted('refunded'));
    expect(await ids({ tenant_id: a.tenantId, flagged: 'true' })).toEqual(sorted('flagged'));
    expect(await ids({ tenant_id: a.tenantId, flagged: 'false' })).toEqual(
      sorted('pending', 'finished', 'cancelled', 'refunded'),
    );
    expect(await ids({ tenant_id: a.tenantId, pay_way: 'sandbox' })).toHaveLength(5);
    expect(await ids({ tenant_id: a.tenantId, pay_way: 'Stripe' })).toEqual([]);
    expect(await ids({ tenant_id: b.tenantId, provider: 'SANDBOX' })).toEqual(sorted('b1', 'b2', 'merchant'));
    // Exact decimal bounds, inclusive: 10.00 is in [10, 10.00], 49.99 is not in [0, 49.98].
    expect(await ids({ tenant_id: b.tenantId, amount_min: '10', amount_max: '10.00' })).toEqual(
      sorted('b1', 'b2'),
    );
    expect(await ids({ tenant_id: a.tenantId, amount_max: '49.98' })).toEqual([]);
    expect(await ids({ tenant_id: a.tenantId, amount_min: '49.99', amount_max: '49.99' })).toHaveLength(5);
    expect(await ids({ tenant_id: b.tenantId, amount_max: '0.1' })).toEqual(sorted('merchant'));
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect(await ids({ tenant_id: a.tenantId, created_from: future })).toEqual([]);
    expect(await ids({ tenant_id: a.tenantId, created_to: future })).toHaveLength(5);
    const flagged = (await list({ id: orders.flagged.id as string }).expect(200)).body.data[0] as Row;
    expect(flagged).toMatchObject({ flagged: true, state: 'Pending' });
  });

  it('sorts and pages without duplicates or gaps, also when many orders share a creation time', async () => {
    const expected = [...(await walk({ tenant_id: a.tenantId, limit: 100 }))];
    expect(expected).toHaveLength(5);
    // Every order of A at the same instant: only the id tells them apart.
    await db(app).query(`UPDATE orders SET created_at = '2026-01-01T00:00:00.123456Z' WHERE tenant_id = $1`, [
      a.tenantId,
    ]);
    for (const order of ['desc', 'asc']) {
      for (const sort of ['created_at', 'amount']) {
        const pages = await walk({ tenant_id: a.tenantId, limit: 2, sort, order });
        const ids = pages.map((o) => o.id as string);
        expect(new Set(ids).size).toBe(ids.length);
        expect([...ids].sort()).toEqual(expected.map((o) => o.id as string).sort());
        // Ties broken by id, in the sort's direction.
        const byId = [...ids].sort();
        expect(ids).toEqual(order === 'asc' ? byId : byId.reverse());
      }
    }
    // Amount sort across tenants A (49.99) and B (10.00, 0.1 USDT).
    const both = [
      ...(await walk({ tenant_id: a.tenantId, sort: 'amount', order: 'asc', limit: 3 })),
      ...(await walk({ tenant_id: b.tenantId, sort: 'amount', order: 'asc', limit: 1 })),
    ];
    expect(both.map((o) => o.price)).toEqual([
      '49.99',
      '49.99',
      '49.99',
      '49.99',
      '49.99',
      '0.100000',
      '10.00',
      '10.00',
    ]);
    expect(
      (await list({ created_from: '2026-01-01T00:00:00.123456Z', created_to: '2026-01-01T00:00:00.123457Z' }))
        .body.data.length,
    ).toBeGreaterThanOrEqual(5);
  });

  it('exports the same orders as CSV, streamed, with exact amounts, RFC 4180 quoting and formula-safe cells', async () => {
    for (const tenant of [a, b]) {
      const listed = await walk({ tenant_id: tenant.tenantId, limit: 2 });
      const res = await http(app)
        .get('/api/v1/admin/orders/export.csv')
        .query({ tenant_id: tenant.tenantId })
        .set(admin)
        .buffer(true)
        .parse((r, done) => {
          let text = '';
          r.setEncoding('utf8');
          r.on('data', (c: string) => (text += c));
          r.on('end', () => done(null, text));
        })
        .expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename="orders\.csv"/);
      const [header, ...records] = parseCsv(res.body as string);
      expect(header.slice(0, 4)).toEqual(['id', 'tenant_id', 'created_at', 'state']);
      const cell = (v: unknown): string => {
        if (v === null || v === undefined) return '';
        const text = typeof v === 'string' ? v : JSON.stringify(v);
        return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
      };
      expect(records).toEqual(listed.map((o) => header.map((h) => cell(o[h]))));
    }
    const raw = (
      await http(app)
        .get('/api/v1/admin/orders/export.csv')
        .query({ order_no: orderNo })
        .set(admin)
        .buffer(true)
        .parse((r, done) => {
          let text = '';
          r.setEncoding('utf8');
          r.on('data', (c: string) => (text += c));
          r.on('end', () => done(null, text));
        })
        .expect(200)
    ).body as string;
    expect(raw).toContain(`,"'=SUM(1,2) ""x""",`);
    expect(raw).toContain(',USDT,0.100000,');
    expect(raw.split('\r\n')).toHaveLength(3);
  });

  it('reads the export in keyset batches that add up to the list, whatever the batch size', async () => {
    const service = app.app.get(AdminOrdersService);
    for (const sort of ['created_at', 'amount'] as const) {
      const listed = await walk({ tenant_id: a.tenantId, limit: 100, sort, order: 'asc' });
      const read: AdminOrderResponse[] = [];
      for await (const o of service.each({}, { tenant_id: a.tenantId, sort, order: 'asc' }, 2)) read.push(o);
      expect(read).toEqual(listed);
    }
  });

  it("shows a Sandbox payment's timeline: transitions, the payment, its provider event and ledger entry", async () => {
    const res = await http(app)
      .get(`/api/v1/admin/orders/${orders.finished.id as string}/timeline`)
      .set(admin)
      .expect(200);
    const t = res.body as Record<string, Row[]> & { order: Row };
    expect(t.order).toMatchObject({ id: orders.finished.id, tenant_id: a.tenantId, state: 'Finished' });
    expect(t.transitions.map((x) => [x.from_state, x.to_state])).toEqual([
      [null, 'Pending'],
      ['Pending', 'Paid'],
      ['Paid', 'Finished'],
    ]);
    expect(t.payments).toHaveLength(1);
    expect(t.payments[0]).toMatchObject({
      provider: 'sandbox',
      status: 'succeeded',
      amount: '49.99',
      currency: 'USD',
      provider_ref: orders.finished.pay_id,
      flagged: false,
    });
    expect(t.payments[0].action).toEqual(expect.any(Object));
    expect(t.provider_events).toHaveLength(1);
    expect(t.provider_events[0]).toMatchObject({
      provider: 'sandbox',
      payment_id: t.payments[0].id,
      outcome: 'applied',
      mismatch: false,
    });
    expect(t.provider_events[0].payload).toEqual(expect.any(Object));
    expect(t.ledger_entries).toEqual([
      expect.objectContaining({ kind: 'credit', amount: '500', application_id: a.applicationId }),
    ]);
    expect(t.refunds).toEqual([]);
    expect(t.notifications).toEqual([]);
    expect(t.audit_entries).toEqual([]);
  });

  it('shows a flagged confirmation, a refund with its debit, and audit entries about the payment', async () => {
    const flagged = (
      await http(app)
        .get(`/api/v1/admin/orders/${orders.flagged.id as string}/timeline`)
        .set(admin)
        .expect(200)
    ).body as Record<string, Row[]>;
    expect(flagged.payments[0]).toMatchObject({
      flagged: true,
      flag_reason: expect.stringContaining('mismatch'),
    });
    expect(flagged.provider_events[0]).toMatchObject({ outcome: 'flagged', mismatch: true });
    expect(flagged.ledger_entries).toEqual([]);

    const refunded = (
      await http(app)
        .get(`/api/v1/admin/orders/${orders.refunded.id as string}/timeline`)
        .set(admin)
        .expect(200)
    ).body as Record<string, Row[]>;
    expect(refunded.refunds).toEqual([
      expect.objectContaining({ status: 'succeeded', amount: '10.00', currency: 'USD', reason: 'partial' }),
    ]);
    expect(refunded.ledger_entries.map((l) => [l.kind, l.amount])).toEqual([
      ['credit', '500'],
      // 10.00 of 49.99 takes back 500 * 10 / 49.99 credits, exactly as the refund says.
      ['refund', `-${refunded.refunds[0].credits as string}`],
    ]);

    // An operator's resolution is audited against the payment: the timeline shows it.
    const pending = (
      await http(app)
        .get(`/api/v1/admin/orders/${orders.pending.id as string}/timeline`)
        .set(admin)
        .expect(200)
    ).body as Record<string, Row[]>;
    await http(app)
      .post(`/api/v1/admin/payments/${pending.payments[0].id as string}/resolve`)
      .set(admin)
      .send({ outcome: 'failed', reason: 'no money arrived' })
      .expect(200);
    const after = (
      await http(app)
        .get(`/api/v1/admin/orders/${orders.pending.id as string}/timeline`)
        .set(admin)
        .expect(200)
    ).body as Record<string, Row[]>;
    expect(after.audit_entries).toEqual([
      expect.objectContaining({
        action: 'payment.resolve',
        target: `payment:${pending.payments[0].id as string}`,
      }),
    ]);
  });

  it("shows a merchant order's notifications with every delivery attempt", async () => {
    const [found] = (await list({ order_no: orderNo }).expect(200)).body.data as Row[];
    await complete(found.pay_id, { outcome: 'succeeded' });
    const timeline = async () =>
      (
        await http(app)
          .get(`/api/v1/admin/orders/${orders.merchant.id as string}/timeline`)
          .set(admin)
          .expect(200)
      ).body as Record<string, Row[]> & { order: Row };
    const before = await timeline();
    expect(before.order).toMatchObject({ merchant_order_no: orderNo, product_name: '=SUM(1,2) "x"' });
    expect(before.notifications.length).toBeGreaterThan(0);
    const n = before.notifications[before.notifications.length - 1];
    expect(n).toMatchObject({ url: 'https://merchant.example/notify', status: 'pending', deliveries: [] });
    // The delivery worker is off in tests: two attempts as it would record them.
    for (const [attempt, status, success] of [
      [1, 503, false],
      [2, 200, true],
    ] as const)
      await db(app).query(
        `INSERT INTO notification_attempts (id, notification_id, tenant_id, attempt, attempted_at, status_code,
           latency_ms, body_excerpt, error, success)
         VALUES ($1, $2, $3, $4::int, now() + make_interval(secs => $4::int), $5, 12, 'ok', NULL, $6)`,
        [randomUUID(), n.id, b.tenantId, attempt, status, success],
      );
    const after = await timeline();
    const delivered = after.notifications.find((x) => x.id === n.id) as Row;
    expect(delivered.deliveries).toEqual([
      expect.objectContaining({ attempt: 1, status_code: 503, success: false, latency_ms: 12 }),
      expect.objectContaining({ attempt: 2, status_code: 200, success: true, body_excerpt: 'ok' }),
    ]);
  });

  it('answers 404 for an unknown order and 400 naming the field for a bad query', async () => {
    const missing = await http(app)
      .get(`/api/v1/admin/orders/${randomUUID()}/timeline`)
      .set(admin)
      .expect(404);
    expect(missing.body.code).toBe('order_not_found');
    await http(app).get('/api/v1/admin/orders/not-a-uuid/timeline').set(admin).expect(400);
    for (const [query, field] of [
      [{ tenant_id: 'x' }, 'tenant_id'],
      [{ state: 'Paidish' }, 'state'],
      [{ amount_min: '1e3' }, 'amount_min'],
      [{ amount_max: '-1' }, 'amount_max'],
      [{ amount_max: '0.1234567890123456789' }, 'amount_max'],
      [{ created_from: 'yesterday' }, 'created_from'],
      [{ created_to: '0000-01-01T00:00:00Z' }, 'created_to'],
      [{ flagged: 'yes' }, 'flagged'],
      [{ sort: 'price' }, 'sort'],
      [{ order: 'up' }, 'order'],
      [{ limit: '0' }, 'limit'],
      [{ limit: '101' }, 'limit'],
      [{ unknown: '1' }, 'unknown'],
    ] as [Record<string, string>, string][]) {
      const res = await list(query);
      expect([res.status, res.body.code]).toEqual([400, 'validation_failed']);
      expect((res.body.details.fields as { field: string }[]).map((f) => f.field)).toContain(field);
    }
    for (const cursor of ['nope', Buffer.from('["created_at","desc","x","y"]').toString('base64url')]) {
      const res = await list({ cursor });
      expect([res.status, res.body.code]).toEqual([400, 'invalid_cursor']);
    }
    // A cursor made for one sort is refused by another.
    const page = await list({ tenant_id: a.tenantId, limit: 1 }).expect(200);
    const other = await list({
      tenant_id: a.tenantId,
      limit: 1,
      sort: 'amount',
      cursor: page.body.next_cursor as string,
    });
    expect([other.status, other.body.code]).toEqual([400, 'invalid_cursor']);
    const exp = await http(app).get('/api/v1/admin/orders/export.csv').query({ limit: '5' }).set(admin);
    expect([exp.status, exp.body.code]).toEqual([400, 'validation_failed']);
  });

  it('is for platform admins only', async () => {
    const member = await newMember(app, a);
    for (const auth of [a.auth, member.auth]) {
      expect((await list({}, auth)).status).toBe(403);
      expect(
        (
          await http(app)
            .get(`/api/v1/admin/orders/${orders.pending.id as string}/timeline`)
            .set(auth)
        ).status,
      ).toBe(403);
      expect((await http(app).get('/api/v1/admin/orders/export.csv').set(auth)).status).toBe(403);
    }
    expect((await http(app).get('/api/v1/admin/orders')).status).toBe(401);
  });
});
