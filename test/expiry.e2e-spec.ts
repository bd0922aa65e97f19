import type { RunningPaymux } from '../src/bootstrap';
import { OrderExpirySweeper } from '../src/payments/reconciliation/order-expiry.sweeper';
import { db, http, Merchant, newMerchant, newOrder, startTestApp } from './helpers/app';

/** The expiry sweep on PostgreSQL: expiring, confirming lost callbacks, and racing sweepers. */
describe('order expiry sweep', () => {
  let app: RunningPaymux;
  let sweeper: OrderExpirySweeper;

  beforeAll(async () => {
    app = await startTestApp();
    sweeper = app.app.get(OrderExpirySweeper);
  });
  afterAll(() => app.close());

  const makeDue = async (ids: string[]): Promise<void> => {
    await db(app).query("UPDATE orders SET expires_at = now() - interval '1 minute' WHERE id = ANY($1)", [
      ids,
    ]);
  };

  /**
   * Best effort: sweep whatever else is already due in the shared database (other suites may run in
   * parallel on it), so a test's own orders fit in one batch. Counts are therefore asserted as lower
   * bounds; the per-order history rows are the exact check.
   */
  const drain = async (): Promise<void> => {
    for (let i = 0; i < 20; i++) {
      const r = await sweeper.sweepOnce();
      if (r.expired === 0 && r.paid === 0) return;
    }
  };

  const orderState = async (m: Merchant, orderId: string): Promise<string> => {
    const res = await http(app).get(`/api/v1/orders/${orderId}`).set(m.auth).expect(200);
    return res.body.state as string;
  };

  const balanceOf = async (m: Merchant): Promise<number> => {
    const res = await http(app).get(`/api/v1/applications/${m.applicationId}`).set(m.auth).expect(200);
    return res.body.balance as number;
  };

  const transitions = async (orderId: string): Promise<[string | null, string][]> => {
    const rows = await db(app).query<{ from_state: string | null; to_state: string }[]>(
      'SELECT from_state, to_state FROM order_transitions WHERE order_id = $1 ORDER BY id',
      [orderId],
    );
    return rows.map((r) => [r.from_state, r.to_state]);
  };

  const paymentStatuses = async (orderId: string): Promise<string[]> => {
    const rows = await db(app).query<{ status: string }[]>(
      'SELECT status FROM payments WHERE order_id = $1 ORDER BY created_at',
      [orderId],
    );
    return rows.map((r) => r.status);
  };

  const creditCount = async (orderId: string): Promise<number> => {
    const rows = await db(app).query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM ledger_entries WHERE order_id = $1 AND kind = 'credit'`,
      [orderId],
    );
    return rows[0].n;
  };

  it('expires a due Pending order: Expired, payment expired, one Pending -> Expired row', async () => {
    const m = await newMerchant(app);
    const order = await newOrder(app, m);
    const notDue = await newOrder(app, m);
    const id = order.id as string;
    await drain();

    await makeDue([id]);
    const result = await sweeper.sweepOnce();
    expect(result.expired).toBeGreaterThanOrEqual(1);

    expect(await orderState(m, id)).toBe('Expired');
    expect(await paymentStatuses(id)).toEqual(['expired']);
    expect(await transitions(id)).toEqual([
      [null, 'Pending'],
      ['Pending', 'Expired'],
    ]);
    // An order whose time is not up is left alone.
    expect(await orderState(m, notDue.id as string)).toBe('Pending');
    expect(await paymentStatuses(notDue.id as string)).toEqual(['pending']);

    // A second pass changes nothing.
    await sweeper.sweepOnce();
    expect(await orderState(m, id)).toBe('Expired');
    expect(await transitions(id)).toHaveLength(2);
  });

  it('confirms instead of expiring an order whose charge succeeded but whose callback was lost', async () => {
    const m = await newMerchant(app);
    const order = await newOrder(app, m);
    const id = order.id as string;
    const lost = await http(app)
      .post(`/api/v1/sandbox/payments/${order.pay_id as string}/complete`)
      .send({ outcome: 'succeeded', notify: false })
      .expect(200);
    expect(lost.body).toMatchObject({ delivered: false });
    expect(await orderState(m, id)).toBe('Pending');
    await drain();

    await makeDue([id]);
    const result = await sweeper.sweepOnce();
    expect(result.paid).toBeGreaterThanOrEqual(1);

    expect(await orderState(m, id)).toBe('Finished');
    expect(await paymentStatuses(id)).toEqual(['succeeded']);
    expect(await transitions(id)).toEqual([
      [null, 'Pending'],
      ['Pending', 'Paid'],
      ['Paid', 'Finished'],
    ]);
    expect(await creditCount(id)).toBe(1);
    expect(await balanceOf(m)).toBe(500);
    // It went through the one event path, recorded as the sweep's query result.
    const events = await db(app).query<{ event_id: string; outcome: string }[]>(
      'SELECT e.event_id, e.outcome FROM provider_events e JOIN payments p ON p.id = e.payment_id WHERE p.order_id = $1',
      [id],
    );
    expect(events).toEqual([{ event_id: expect.stringMatching(/^query:/), outcome: 'applied' }]);

    // Sweeping again neither expires nor credits it a second time.
    await sweeper.sweepOnce();
    expect(await orderState(m, id)).toBe('Finished');
    expect(await creditCount(id)).toBe(1);
    expect(await balanceOf(m)).toBe(500);
  });

  it('expires an order whose only charge was flagged (wrong amount): it is not paid, and does not block the sweep', async () => {
    const m = await newMerchant(app);
    const order = await newOrder(app, m);
    const id = order.id as string;
    await http(app)
      .post(`/api/v1/sandbox/payments/${order.pay_id as string}/complete`)
      .send({ outcome: 'succeeded', amount: '1.00', notify: false })
      .expect(200);
    await drain();
    await makeDue([id]);
    await sweeper.sweepOnce();
    expect(await orderState(m, id)).toBe('Expired');
    expect(await creditCount(id)).toBe(0);
    expect(await balanceOf(m)).toBe(0);
    const flagged = await db(app).query<{ flag_reason: string | null }[]>(
      'SELECT flag_reason FROM payments WHERE order_id = $1',
      [id],
    );
    expect(flagged[0].flag_reason).toMatch(/amount mismatch/);
    // A second pass finds nothing of this order left to do.
    const again = await sweeper.sweepOnce();
    expect(await orderState(m, id)).toBe('Expired');
    expect(again.paid).toBe(0);
  });

  it('expires each order exactly once with 4 sweeps racing in each of two app instances', async () => {
    const m = await newMerchant(app);
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push((await newOrder(app, m)).id as string);
    const second = await startTestApp();
    try {
      const otherSweeper = second.app.get(OrderExpirySweeper);
      await drain();
      await makeDue(ids);

      const results = await Promise.all([
        ...Array.from({ length: 4 }, () => sweeper.sweepOnce()),
        ...Array.from({ length: 4 }, () => otherSweeper.sweepOnce()),
      ]);
      expect(results.reduce((n, r) => n + r.expired, 0)).toBeGreaterThanOrEqual(30);
    } finally {
      await second.close();
    }

    const states = await db(app).query<{ state: string; n: number }[]>(
      'SELECT state, count(*)::int AS n FROM orders WHERE id = ANY($1) GROUP BY state',
      [ids],
    );
    expect(states).toEqual([{ state: 'Expired', n: 30 }]);
    const history = await db(app).query<{ order_id: string; expired: number; total: number }[]>(
      `SELECT order_id,
              count(*) FILTER (WHERE from_state = 'Pending' AND to_state = 'Expired')::int AS expired,
              count(*)::int AS total
         FROM order_transitions WHERE order_id = ANY($1) GROUP BY order_id`,
      [ids],
    );
    expect(history).toHaveLength(30);
    for (const row of history) expect(row).toMatchObject({ expired: 1, total: 2 });
    const payments = await db(app).query<{ status: string; n: number }[]>(
      'SELECT status, count(*)::int AS n FROM payments WHERE order_id = ANY($1) GROUP BY status',
      [ids],
    );
    expect(payments).toEqual([{ status: 'expired', n: 30 }]);
  });

  it('never drops money: an Expired order that is then paid goes Expired -> Paid -> Finished', async () => {
    const m = await newMerchant(app);
    const order = await newOrder(app, m);
    const id = order.id as string;
    await drain();
    await makeDue([id]);
    expect((await sweeper.sweepOnce()).expired).toBeGreaterThanOrEqual(1);
    expect(await orderState(m, id)).toBe('Expired');

    const done = await http(app)
      .post(`/api/v1/sandbox/payments/${order.pay_id as string}/complete`)
      .send({ outcome: 'succeeded' })
      .expect(200);
    expect(done.body).toMatchObject({ delivered: true, result: 'applied', order_state: 'Finished' });
    expect(await orderState(m, id)).toBe('Finished');
    expect(await paymentStatuses(id)).toEqual(['succeeded']);
    expect(await creditCount(id)).toBe(1);
    expect(await balanceOf(m)).toBe(500);
    expect(await transitions(id)).toEqual([
      [null, 'Pending'],
      ['Pending', 'Expired'],
      ['Expired', 'Paid'],
      ['Paid', 'Finished'],
    ]);
  });
});
