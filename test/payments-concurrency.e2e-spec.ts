import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { RunningPaymux } from '../src/bootstrap';
import { ProviderRegistry } from '../src/payments/provider-registry';
import { db, http, Merchant, newMerchant, newOrder, startTestApp } from './helpers/app';

/**
 * Confirmations under concurrency, forged callbacks, mismatches, failures and late payments,
 * over real HTTP against PostgreSQL.
 */
describe('payment confirmations (concurrency, forgery, mismatch, failure, late money)', () => {
  let app: RunningPaymux;
  let registry: ProviderRegistry;

  beforeAll(async () => {
    app = await startTestApp();
    registry = app.app.get(ProviderRegistry);
  });
  afterAll(() => app.close());

  const sign = (secret: string, body: string, t: number): string =>
    `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
  const now = (): number => Math.floor(Date.now() / 1000);

  const eventBody = (payId: string, over: Record<string, unknown> = {}): string =>
    JSON.stringify({
      id: `evt_${randomUUID()}`,
      type: 'payment.succeeded',
      pay_id: payId,
      amount: '49.99',
      currency: 'USD',
      created: now(),
      ...over,
    });

  const postWebhook = (tenantId: string, body: string, signature?: string, provider = 'sandbox') => {
    const req = http(app)
      .post(`/api/v1/webhooks/${provider}/${tenantId}`)
      .set('content-type', 'application/json');
    if (signature !== undefined) req.set('paymux-sandbox-signature', signature);
    return req.send(body);
  };

  const complete = (payId: string, body: Record<string, unknown>) =>
    http(app).post(`/api/v1/sandbox/payments/${payId}/complete`).send(body);

  const balanceOf = async (m: Merchant): Promise<number> => {
    const res = await http(app).get(`/api/v1/applications/${m.applicationId}`).set(m.auth).expect(200);
    return res.body.balance as number;
  };

  const orderState = async (m: Merchant, orderId: string): Promise<string> => {
    const res = await http(app).get(`/api/v1/orders/${orderId}`).set(m.auth).expect(200);
    return res.body.state as string;
  };

  const creditRows = async (orderId: string): Promise<{ amount: string }[]> =>
    db(app).query<{ amount: string }[]>(
      `SELECT amount FROM ledger_entries WHERE order_id = $1 AND kind = 'credit'`,
      [orderId],
    );

  const ledgerRowsOfApp = async (applicationId: string): Promise<number> => {
    const rows = await db(app).query<{ n: number }[]>(
      'SELECT count(*)::int AS n FROM ledger_entries WHERE application_id = $1',
      [applicationId],
    );
    return rows[0].n;
  };

  const transitions = async (orderId: string): Promise<[string | null, string][]> => {
    const rows = await db(app).query<{ from_state: string | null; to_state: string }[]>(
      'SELECT from_state, to_state FROM order_transitions WHERE order_id = $1 ORDER BY id',
      [orderId],
    );
    return rows.map((r) => [r.from_state, r.to_state]);
  };

  const eventRows = async (eventIds: string[]): Promise<{ event_id: string; outcome: string }[]> =>
    db(app).query<{ event_id: string; outcome: string }[]>(
      `SELECT event_id, outcome FROM provider_events WHERE provider = 'sandbox' AND event_id = ANY($1)`,
      [eventIds],
    );

  it('50 concurrent duplicate confirmations: applied once, Finished, credited once', async () => {
    const m = await newMerchant(app);
    const order = await newOrder(app, m);
    const payId = order.pay_id as string;

    const results = await Promise.all(
      Array.from({ length: 50 }, () => complete(payId, { outcome: 'succeeded' })),
    );
    for (const r of results) expect(r.status).toBe(200);
    const outcomes = results.map((r) => r.body.result as string);
    expect(outcomes.filter((o) => o === 'applied')).toHaveLength(1);
    expect(outcomes.filter((o) => o !== 'applied').every((o) => o === 'ignored')).toBe(true);

    expect(await orderState(m, order.id as string)).toBe('Finished');
    const credits = await creditRows(order.id as string);
    expect(credits).toHaveLength(1);
    expect(Number(credits[0].amount)).toBe(500);
    expect(await ledgerRowsOfApp(m.applicationId)).toBe(1);
    expect(await balanceOf(m)).toBe(500);
    expect(await transitions(order.id as string)).toEqual([
      [null, 'Pending'],
      ['Pending', 'Paid'],
      ['Paid', 'Finished'],
    ]);
  });

  it('50 concurrent signed webhooks with distinct event ids: all 200, one credit, 50 event rows', async () => {
    const m = await newMerchant(app);
    const order = await newOrder(app, m);
    const payId = order.pay_id as string;
    const secret = registry.sandboxSecret(m.tenantId);

    const bodies = Array.from({ length: 50 }, () => eventBody(payId));
    const eventIds = bodies.map((b) => (JSON.parse(b) as { id: string }).id);
    const results = await Promise.all(bodies.map((b) => postWebhook(m.tenantId, b, sign(secret, b, now()))));
    for (const r of results) {
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ received: true });
    }

    expect(await orderState(m, order.id as string)).toBe('Finished');
    expect(await creditRows(order.id as string)).toHaveLength(1);
    expect(await balanceOf(m)).toBe(500);

    const rows = await eventRows(eventIds);
    expect(rows).toHaveLength(50);
    expect(rows.filter((r) => r.outcome === 'applied')).toHaveLength(1);
    expect(rows.filter((r) => r.outcome === 'ignored')).toHaveLength(49);

    // The applied event id again (freshly signed): acknowledged, its one row left exactly as it was,
    // nothing credited again.
    const appliedId = rows.find((r) => r.outcome === 'applied')?.event_id as string;
    const snapshot = async (): Promise<unknown[]> =>
      db(app).query(
        `SELECT id, outcome, note, received_at FROM provider_events WHERE provider = 'sandbox' AND event_id = $1`,
        [appliedId],
      );
    const before = await snapshot();
    expect(before).toHaveLength(1);
    const appliedBody = bodies[eventIds.indexOf(appliedId)];
    const again = await postWebhook(m.tenantId, appliedBody, sign(secret, appliedBody, now()));
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ received: true });
    expect(await snapshot()).toEqual(before);
    expect(await eventRows(eventIds)).toHaveLength(50);
    expect(await creditRows(order.id as string)).toHaveLength(1);
    expect(await balanceOf(m)).toBe(500);
  });

  it('rejects forged callbacks with 400 and records nothing; an unknown provider name answers 404', async () => {
    const m = await newMerchant(app);
    const order = await newOrder(app, m);
    const payId = order.pay_id as string;
    const secret = registry.sandboxSecret(m.tenantId);

    const wrongSecret = eventBody(payId);
    const stale = eventBody(payId);
    const unsigned = eventBody(payId);
    const signedBody = eventBody(payId);
    const swappedBody = eventBody(payId);
    const forged: [string, string | undefined][] = [
      [wrongSecret, sign(registry.sandboxSecret(randomUUID()), wrongSecret, now())],
      [wrongSecret, `t=${now()},v1=${randomBytes(32).toString('hex')}`],
      [stale, sign(secret, stale, now() - 301)],
      [unsigned, undefined],
      [swappedBody, sign(secret, signedBody, now())],
    ];
    // One reply whatever failed (the reason goes to the log only).
    for (const [body, signature] of forged) {
      const res = await postWebhook(m.tenantId, body, signature);
      expect([res.status, res.body]).toEqual([400, { received: false, error: 'notification rejected' }]);
    }
    const forgedIds = [wrongSecret, stale, unsigned, signedBody, swappedBody].map(
      (b) => (JSON.parse(b) as { id: string }).id,
    );
    expect(await eventRows(forgedIds)).toHaveLength(0);
    const attempts = await db(app).query<{ n: number }[]>(
      'SELECT count(*)::int AS n FROM provider_events e JOIN payments p ON p.id = e.payment_id WHERE p.order_id = $1',
      [order.id],
    );
    expect(attempts[0].n).toBe(0);
    expect(await orderState(m, order.id as string)).toBe('Pending');
    expect(await balanceOf(m)).toBe(0);

    // An unknown provider name is a 404 (the list is public); a path naming no tenant (or an unknown
    // one) is refused exactly like a forgery, so it tells nothing about which tenants exist.
    for (const [path, status, reply] of [
      [
        `/api/v1/webhooks/nosuchpay/${m.tenantId}`,
        404,
        { code: 'webhook_not_found', message: 'no such webhook endpoint' },
      ],
      ['/api/v1/webhooks/sandbox/not-a-uuid', 400, { received: false, error: 'notification rejected' }],
      [`/api/v1/webhooks/sandbox/${randomUUID()}`, 400, { received: false, error: 'notification rejected' }],
    ] as const) {
      const body = eventBody(payId);
      const res = await http(app)
        .post(path)
        .set('content-type', 'application/json')
        .set('paymux-sandbox-signature', sign(secret, body, now()))
        .send(body);
      expect([path, res.status, res.body]).toEqual([path, status, reply]);
      expect(await eventRows([(JSON.parse(body) as { id: string }).id])).toHaveLength(0);
    }
    expect(await orderState(m, order.id as string)).toBe('Pending');

    // Control: the body whose signature was moved onto another body is accepted when sent as signed,
    // so the rejections above were for the forgery alone.
    const genuine = await postWebhook(m.tenantId, signedBody, sign(secret, signedBody, now()));
    expect(genuine.status).toBe(200);
    expect(await orderState(m, order.id as string)).toBe('Finished');
  });

  it('flags a confirmation whose amount or currency differs and never credits it', async () => {
    const m = await newMerchant(app);
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ outcome: 'succeeded', amount: '1.00' }, /amount mismatch/],
      [{ outcome: 'succeeded', currency: 'EUR' }, /currency mismatch/],
    ];
    for (const [body, reason] of cases) {
      const order = await newOrder(app, m);
      const res = await complete(order.pay_id as string, body).expect(200);
      expect(res.body).toMatchObject({ delivered: true, result: 'flagged', order_state: 'Pending' });
      expect(await orderState(m, order.id as string)).toBe('Pending');
      const payments = await db(app).query<{ status: string; flag_reason: string | null }[]>(
        'SELECT status, flag_reason FROM payments WHERE order_id = $1',
        [order.id],
      );
      expect(payments).toHaveLength(1);
      expect(payments[0].status).toBe('pending');
      expect(payments[0].flag_reason).toMatch(reason);
      expect(await creditRows(order.id as string)).toHaveLength(0);
    }
    expect(await ledgerRowsOfApp(m.applicationId)).toBe(0);
    expect(await balanceOf(m)).toBe(0);
  });

  it('records a failed payment; the order stays Pending and can still be paid', async () => {
    const m = await newMerchant(app);
    const order = await newOrder(app, m);
    const firstPayId = order.pay_id as string;

    const failed = await complete(firstPayId, { outcome: 'failed' }).expect(200);
    expect(failed.body).toMatchObject({ result: 'applied', order_state: 'Pending' });
    const first = await db(app).query<{ status: string }[]>(
      'SELECT status FROM payments WHERE provider_ref = $1',
      [firstPayId],
    );
    expect(first).toEqual([{ status: 'failed' }]);
    expect(await orderState(m, order.id as string)).toBe('Pending');
    expect(await balanceOf(m)).toBe(0);

    const pay = await http(app)
      .post('/api/order/payment')
      .set(m.auth)
      .send({ order_id: order.id, pay_way: 'sandbox' })
      .expect(200);
    expect(pay.body).toMatchObject({ code: 0, msg: '', data: { pay_way: 'sandbox' } });
    const reopened = await http(app)
      .get(`/api/v1/orders/${order.id as string}`)
      .set(m.auth)
      .expect(200);
    const secondPayId = reopened.body.pay_id as string;
    expect(secondPayId).toMatch(/^sbx_/);
    expect(secondPayId).not.toBe(firstPayId);

    const done = await complete(secondPayId, { outcome: 'succeeded' }).expect(200);
    expect(done.body).toMatchObject({ result: 'applied', order_state: 'Finished' });
    expect(await orderState(m, order.id as string)).toBe('Finished');
    expect(await creditRows(order.id as string)).toHaveLength(1);
    expect(await balanceOf(m)).toBe(500);
    const statuses = await db(app).query<{ provider_ref: string; status: string }[]>(
      'SELECT provider_ref, status FROM payments WHERE order_id = $1 ORDER BY created_at',
      [order.id],
    );
    expect(statuses).toEqual([
      { provider_ref: firstPayId, status: 'failed' },
      { provider_ref: secondPayId, status: 'succeeded' },
    ]);
  });

  it('never drops money: a cancelled order that is then paid goes Cancelled -> Paid -> Finished', async () => {
    const m = await newMerchant(app);
    const order = await newOrder(app, m);
    const cancelled = await http(app)
      .post(`/api/v1/orders/${order.id as string}/cancel`)
      .set(m.auth)
      .expect(200);
    expect(cancelled.body.state).toBe('Cancelled');

    const done = await complete(order.pay_id as string, { outcome: 'succeeded' }).expect(200);
    expect(done.body).toMatchObject({ result: 'applied', order_state: 'Finished' });
    expect(await orderState(m, order.id as string)).toBe('Finished');
    expect(await creditRows(order.id as string)).toHaveLength(1);
    expect(await balanceOf(m)).toBe(500);
    expect(await transitions(order.id as string)).toEqual([
      [null, 'Pending'],
      ['Pending', 'Cancelled'],
      ['Cancelled', 'Paid'],
      ['Paid', 'Finished'],
    ]);
  });
});
