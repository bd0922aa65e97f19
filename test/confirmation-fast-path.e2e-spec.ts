import { createHmac, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { RunningPaymux } from '../src/bootstrap';
import { AttemptCloser } from '../src/payments/attempts/attempt-closer.service';
import { ConfirmationFastPath } from '../src/payments/events/confirmation-fast-path';
import { ProviderRegistry } from '../src/payments/provider-registry';
import { db, http, Merchant, newMerchant, newOrder, startTestApp } from './helpers/app';

/**
 * A second session holding a row lock while paymux waits for it: the embedded database (npm test
 * without DATABASE_URL) has one backend for every connection, where that wait never ends.
 */
const onPostgres = process.env.PAYMUX_TEST_EMBEDDED ? it.skip : it;

/**
 * The confirmation's one-statement fast path (ConfirmationFastPath): what it writes, and that every
 * race it can lose is applied exactly once through the general path.
 */
describe('confirmation fast path', () => {
  let app: RunningPaymux;
  let registry: ProviderRegistry;
  let fastPath: ConfirmationFastPath;

  beforeAll(async () => {
    // The API rate limiter's sync (every RATE_LIMIT_SYNC_MS, a statement of its own) stays out of the
    // window in which the first test counts one confirmation's statements.
    app = await startTestApp({ RATE_LIMIT_SYNC_MS: '60000' });
    registry = app.app.get(ProviderRegistry);
    fastPath = app.app.get(ConfirmationFastPath);
  });
  afterAll(() => app.close());
  afterEach(() => jest.restoreAllMocks());

  const now = (): number => Math.floor(Date.now() / 1000);
  const webhook = (m: Merchant, payId: string, over: Record<string, unknown> = {}) => {
    const body = JSON.stringify({
      id: `evt_${randomUUID()}`,
      type: 'payment.succeeded',
      pay_id: payId,
      amount: '49.99',
      currency: 'USD',
      created: now(),
      ...over,
    });
    const t = now();
    const v1 = createHmac('sha256', registry.sandboxSecret(m.tenantId)).update(`${t}.${body}`).digest('hex');
    return http(app)
      .post(`/api/v1/webhooks/sandbox/${m.tenantId}`)
      .set('content-type', 'application/json')
      .set('paymux-sandbox-signature', `t=${t},v1=${v1}`)
      .send(body);
  };
  const complete = (payId: string, body: Record<string, unknown> = { outcome: 'succeeded' }) =>
    http(app).post(`/api/v1/sandbox/payments/${payId}/complete`).send(body);

  const q = <T>(sql: string, params: unknown[]): Promise<T[]> => db(app).query<T[]>(sql, params);
  const orderRow = async (id: unknown) =>
    (
      await q<{ state: string; paid_at: Date | null; finished_at: Date | null; remaining_amount: string }>(
        'SELECT state, paid_at, finished_at, remaining_amount::text FROM orders WHERE id = $1',
        [id],
      )
    )[0];
  const transitions = async (orderId: unknown): Promise<[string | null, string][]> =>
    (
      await q<{ from_state: string | null; to_state: string }>(
        'SELECT from_state, to_state FROM order_transitions WHERE order_id = $1 ORDER BY id',
        [orderId],
      )
    ).map((r) => [r.from_state, r.to_state]);
  const credits = async (orderId: unknown): Promise<number> =>
    (
      await q<{ n: number }>(
        `SELECT count(*)::int AS n FROM ledger_entries WHERE order_id = $1 AND kind = 'credit'`,
        [orderId],
      )
    )[0].n;
  /** The application's balance and its ledger's sum, exactly (numeric text). */
  const books = async (m: Merchant) =>
    (
      await q<{ balance: string; ledger: string }>(
        `SELECT a.balance::text AS balance, (SELECT coalesce(sum(amount), 0)::text FROM ledger_entries l
            WHERE l.application_id = a.id) AS ledger FROM applications a WHERE a.id = $1`,
        [m.applicationId],
      )
    )[0];
  const paymentOf = async (payId: unknown) =>
    (
      await q<{ status: string; flag_reason: string | null }>(
        'SELECT status, flag_reason FROM payments WHERE provider_ref = $1',
        [payId],
      )
    )[0];
  /** The provider events recorded for the payment with this reference. */
  const eventsOf = (payId: unknown) =>
    q<{ outcome: string }>(
      `SELECT outcome FROM provider_events WHERE payment_id = (SELECT id FROM payments WHERE provider_ref = $1)`,
      [payId],
    );
  /** The text of the first statement found waiting for a lock session `pid` holds (polled until one does). */
  const firstBlockedBy = async (pid: number): Promise<string> => {
    for (;;) {
      const [blocked] = await q<{ query: string }>(
        'SELECT query FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
        [pid],
      );
      if (blocked) return blocked.query;
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  /** What ConfirmationFastPath.confirm answered, call by call. */
  const fastAnswers = (): Promise<unknown>[] => {
    const answers: Promise<unknown>[] = [];
    const original = fastPath.confirm.bind(fastPath);
    jest.spyOn(fastPath, 'confirm').mockImplementation((...args) => {
      const answer = original(...args);
      answers.push(answer);
      return answer;
    });
    return answers;
  };

  it('confirms in one statement after one read (which records the provider-side charge), notifications and jobs included', async () => {
    const m = await newMerchant(app);
    await http(app)
      .patch('/api/v1/tenant/settings')
      .set(m.auth)
      .send({ webhook_url: 'https://example.com/hook' })
      .expect(200);
    const order = await newOrder(app, m);

    const statements: string[] = [];
    // eslint-disable-next-line @typescript-eslint/unbound-method -- put back as it was, below
    const original = Client.prototype.query;
    let counting = true;
    Client.prototype.query = function (this: Client, ...args: unknown[]) {
      const text = args[0] as string | { text?: string };
      if (counting) statements.push(typeof text === 'string' ? text : String(text?.text));
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof Client.prototype.query;
    let res;
    try {
      res = await complete(order.pay_id as string).expect(200);
    } finally {
      counting = false;
      Client.prototype.query = original;
    }
    expect(res.body).toMatchObject({ result: 'applied', order_state: 'Finished' });
    // The payment with its order (and the Sandbox's charge), then the one confirmation statement,
    // which also counts the order's other open attempts: none, so the closer reads nothing more.
    expect(statements.filter((s) => /^\s*(START TRANSACTION|BEGIN)/i.test(s))).toEqual([]);
    expect(statements).toHaveLength(2);

    const row = await orderRow(order.id);
    expect(row.state).toBe('Finished');
    expect(row.remaining_amount).toBe('500.000000');
    expect(await credits(order.id)).toBe(1);
    expect(await transitions(order.id)).toEqual([
      [null, 'Pending'],
      ['Pending', 'Paid'],
      ['Paid', 'Finished'],
    ]);
    const notifications = await q<{ id: string; event: string; url: string; body: string }>(
      'SELECT id, event, url, body FROM notifications WHERE order_id = $1 ORDER BY seq',
      [order.id],
    );
    expect(notifications.map((n) => [n.event, n.url])).toEqual([
      ['Paid', 'https://example.com/hook'],
      ['Finished', 'https://example.com/hook'],
    ]);
    type Body = { order: { state: string; paid_at: string; finished_at: string | null } };
    const [paid, finished] = notifications.map((n) => JSON.parse(n.body) as Body);
    expect(paid.order).toMatchObject({ state: 'Paid', finished_at: null });
    expect(finished.order).toMatchObject({ state: 'Finished' });
    // The bodies show the timestamps the row has.
    expect(new Date(finished.order.paid_at).getTime()).toBe(row.paid_at?.getTime());
    expect(new Date(finished.order.finished_at ?? '').getTime()).toBe(row.finished_at?.getTime());
    const jobs = await q<{ data: { notificationId: string } }>(
      `SELECT data FROM pgboss.job WHERE name = 'merchant-notification' AND data->>'notificationId' = ANY($1)`,
      [notifications.map((n) => n.id)],
    );
    expect(jobs.map((j) => j.data.notificationId).sort()).toEqual(notifications.map((n) => n.id).sort());
    expect(await books(m)).toEqual({ balance: '500.000000', ledger: '500.000000' });

    // Its jobs are pg-boss's multi-row insert: stored with the settings of the jobs the general path
    // sends one by one (a cancellation's notification, here), ids ascending in the order written.
    const cancelled = await newOrder(app, m);
    await http(app)
      .post(`/api/v1/orders/${cancelled.id as string}/cancel`)
      .set(m.auth)
      .expect(200);
    const settings = (orderId: unknown) =>
      q<Record<string, unknown>>(
        `SELECT j.id, j.name, j.priority, j.state, j.retry_limit, j.retry_delay, j.retry_backoff, j.expire_in,
                j.policy, j.singleton_key, j.dead_letter, j.keep_until - j.created_on AS kept_for,
                j.start_after <= now() AS due
           FROM pgboss.job j JOIN notifications n ON n.id = (j.data->>'notificationId')::uuid
          WHERE n.order_id = $1 ORDER BY n.seq`,
        [orderId],
      );
    const withoutId = (j: Record<string, unknown>) => ({ ...j, id: undefined });
    const [sent] = await settings(cancelled.id);
    const inserted = await settings(order.id);
    expect(sent).toMatchObject({ name: 'merchant-notification', retry_limit: 10, due: true });
    expect(inserted.map(withoutId)).toEqual([withoutId(sent), withoutId(sent)]);
    expect(inserted.map((j) => j.id)).toEqual(inserted.map((j) => j.id as string).sort());
  });

  it('50 concurrent confirmations on one application: each credited once, the ledger sums to the balance', async () => {
    const m = await newMerchant(app);
    const orders = [];
    for (let i = 0; i < 50; i++) orders.push(await newOrder(app, m));
    const answers = fastAnswers();
    const results = await Promise.all(orders.map((o) => complete(o.pay_id as string)));
    for (const r of results) expect(r.body).toMatchObject({ result: 'applied', order_state: 'Finished' });
    // None of them had to fall back: distinct orders do not race each other's guards.
    expect((await Promise.all(answers)).filter((a) => a === null)).toHaveLength(0);
    for (const o of orders) expect(await credits(o.id)).toBe(1);
    expect(await books(m)).toEqual({ balance: '25000.000000', ledger: '25000.000000' });
  });

  it('a success and duplicates with other event ids, concurrently: applied once, the others ignored', async () => {
    const m = await newMerchant(app);
    const order = await newOrder(app, m);
    const results = await Promise.all(Array.from({ length: 10 }, () => webhook(m, order.pay_id as string)));
    for (const r of results) expect(r.status).toBe(200);
    const events = await eventsOf(order.pay_id);
    expect(events.filter((e) => e.outcome === 'applied')).toHaveLength(1);
    expect(events.filter((e) => e.outcome === 'ignored')).toHaveLength(9);
    expect(await credits(order.id)).toBe(1);
    expect(await books(m)).toEqual({ balance: '500.000000', ledger: '500.000000' });
  });

  it('a success racing a failure of the same payment: the money is kept, credited once', async () => {
    const m = await newMerchant(app);
    for (let round = 0; round < 5; round++) {
      const order = await newOrder(app, m);
      const payId = order.pay_id as string;
      const [ok, failed] = await Promise.all([
        webhook(m, payId),
        webhook(m, payId, { type: 'payment.failed', amount: undefined, currency: undefined }),
      ]);
      expect([ok.status, failed.status]).toEqual([200, 200]);
      expect((await paymentOf(payId)).status).toBe('succeeded');
      expect((await orderRow(order.id)).state).toBe('Finished');
      expect(await credits(order.id)).toBe(1);
    }
    const n = 5 * 500;
    expect(await books(m)).toEqual({ balance: `${n}.000000`, ledger: `${n}.000000` });
  });

  it('a success racing a cancellation: Finished and credited once, in a history the table allows', async () => {
    const m = await newMerchant(app);
    for (let round = 0; round < 5; round++) {
      const order = await newOrder(app, m);
      const [done] = await Promise.all([
        complete(order.pay_id as string),
        http(app)
          .post(`/api/v1/orders/${order.id as string}/cancel`)
          .set(m.auth),
      ]);
      // Applied by this confirmation, or already by the cancellation: closing the attempt asks the
      // Sandbox, which has recorded the charge, and applies its answer (then this one is ignored).
      expect(done.body).toMatchObject({ order_state: 'Finished' });
      expect(['applied', 'ignored']).toContain(done.body.result);
      expect(await credits(order.id)).toBe(1);
      const history = await transitions(order.id);
      expect([
        [
          [null, 'Pending'],
          ['Pending', 'Paid'],
          ['Paid', 'Finished'],
        ],
        [
          [null, 'Pending'],
          ['Pending', 'Cancelled'],
          ['Cancelled', 'Paid'],
          ['Paid', 'Finished'],
        ],
      ]).toContainEqual(history);
    }
    expect(await books(m)).toEqual({ balance: '2500.000000', ledger: '2500.000000' });
  });

  it('an amount mismatch is still flagged and never credited', async () => {
    const m = await newMerchant(app);
    const order = await newOrder(app, m);
    const answers = fastAnswers();
    const res = await complete(order.pay_id as string, { outcome: 'succeeded', amount: '1.00' }).expect(200);
    expect(res.body).toMatchObject({ result: 'flagged', order_state: 'Pending' });
    expect(await Promise.all(answers)).toEqual([null]);
    expect((await paymentOf(order.pay_id)).flag_reason).toMatch(/amount mismatch/);
    expect(await credits(order.id)).toBe(0);
    expect(await books(m)).toEqual({ balance: '0.000000', ledger: '0' });
  });

  onPostgres(
    'when another transaction holds the order, the statement does not wait for it and writes nothing; the general path waits and applies the event once',
    async () => {
      const m = await newMerchant(app);
      const order = await newOrder(app, m);
      const answers = fastAnswers();
      // Another writer holds the order (a cancellation in flight) after the fast path read it Pending:
      // the statement finds the row locked and gives way at once (NOWAIT); the general path waits for
      // the lock, and the writer then commits Cancelled.
      const other = new Client({ connectionString: process.env.DATABASE_URL });
      await other.connect();
      try {
        const [{ pid }] = (await other.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
        await other.query('BEGIN');
        await other.query(`SELECT 1 FROM orders WHERE id = $1 FOR UPDATE`, [order.id]);
        const confirming = complete(order.pay_id as string).then((r) => r);
        const waiting = await firstBlockedBy(pid);
        // What waits for the order is not the fast path's statement (the general path's lock of the
        // order: pg_stat_activity shows only the start of its text), the fast path having answered.
        expect(waiting).not.toMatch(/^WITH recorded AS/);
        expect(await Promise.all(answers)).toEqual([null]);
        await other.query(`UPDATE orders SET state = 'Cancelled', updated_at = now() WHERE id = $1`, [
          order.id,
        ]);
        await other.query(
          `INSERT INTO order_transitions (tenant_id, order_id, from_state, to_state, reason)
         VALUES ($1, $2, 'Pending', 'Cancelled', 'test')`,
          [m.tenantId, order.id],
        );
        await other.query('COMMIT');
        const done = await confirming;
        expect(done.body).toMatchObject({ result: 'applied', order_state: 'Finished' });
      } finally {
        await other.end();
      }
      expect(await Promise.all(answers)).toEqual([null]);
      expect(await transitions(order.id)).toEqual([
        [null, 'Pending'],
        ['Pending', 'Cancelled'],
        ['Cancelled', 'Paid'],
        ['Paid', 'Finished'],
      ]);
      const events = await eventsOf(order.pay_id);
      expect(events).toEqual([{ outcome: 'applied' }]);
      expect(await credits(order.id)).toBe(1);
      expect(await books(m)).toEqual({ balance: '500.000000', ledger: '500.000000' });
    },
  );

  /**
   * Cross the locks of a confirmation in flight with another session's: that session holds the
   * application's balance row, waits until the confirmation waits for it (holding its order), then asks
   * for the order's row: a deadlock. PostgreSQL looks for one deadlock_timeout (1 s) after a wait
   * starts and rolls back the session that looks, so the confirmation is the one rolled back when the
   * other's wait began within that second. `crossed` says whether it was (on a slow machine the other
   * session may be the one rolled back; then the confirmation simply goes through).
   */
  const crossLocks = async <T>(
    m: Merchant,
    orderId: string,
    confirm: () => Promise<T>,
  ): Promise<{ crossed: boolean; done: T }> => {
    const other = new Client({ connectionString: process.env.DATABASE_URL });
    await other.connect();
    try {
      const [{ pid }] = (await other.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
      await other.query('BEGIN');
      await other.query('UPDATE applications SET updated_at = now() WHERE id = $1', [m.applicationId]);
      // Sent now (a supertest request goes out when its promise is first asked for).
      const confirming = confirm();
      await firstBlockedBy(pid);
      let crossed = true;
      await other.query('SELECT 1 FROM orders WHERE id = $1 FOR UPDATE', [orderId]).catch((err) => {
        if ((err as { code?: string }).code !== '40P01') throw err;
        crossed = false;
      });
      await other.query('ROLLBACK');
      return { crossed, done: await confirming };
    } finally {
      await other.end();
    }
  };

  /** Orders confirmed with their locks crossed (crossLocks) until one confirmation was rolled back. */
  const confirmDeadlocked = async (m: Merchant) => {
    for (let attempt = 1; ; attempt++) {
      const order = await newOrder(app, m);
      const { crossed, done } = await crossLocks(m, order.id as string, () =>
        complete(order.pay_id as string).then((r) => r),
      );
      expect(done.status).toBe(200);
      expect(done.body).toMatchObject({ result: 'applied', order_state: 'Finished' });
      expect(await credits(order.id)).toBe(1);
      if (crossed) return order;
      if (attempt >= 5)
        throw new Error('the other session was rolled back every time: no deadlock of the confirmation');
    }
  };

  onPostgres(
    'a fast path statement rolled back in a deadlock writes nothing, and the general path applies the event once',
    async () => {
      const m = await newMerchant(app);
      const answers = fastAnswers();
      const order = await confirmDeadlocked(m);
      expect((await Promise.all(answers)).at(-1)).toBeNull();
      expect(await transitions(order.id)).toEqual([
        [null, 'Pending'],
        ['Pending', 'Paid'],
        ['Paid', 'Finished'],
      ]);
      const events = await eventsOf(order.pay_id);
      expect(events).toEqual([{ outcome: 'applied' }]);
      const { balance, ledger } = await books(m);
      expect(balance).toBe(ledger);
    },
  );

  onPostgres(
    'the general path rolled back in a deadlock runs again, and applies the event once',
    async () => {
      const m = await newMerchant(app);
      // Every confirmation through the general path (the fast path's answer when it does not apply).
      jest.spyOn(fastPath, 'confirm').mockResolvedValue(null);
      const order = await confirmDeadlocked(m);
      expect(await eventsOf(order.pay_id)).toEqual([{ outcome: 'applied' }]);
      expect(await transitions(order.id)).toEqual([
        [null, 'Pending'],
        ['Pending', 'Paid'],
        ['Paid', 'Finished'],
      ]);
      const { balance, ledger } = await books(m);
      expect(balance).toBe(ledger);
    },
  );

  describe("the order's other open attempts (closed at their providers after a success)", () => {
    /**
     * What OrderPaymentService's reopen writes, in one transaction: a new pending attempt, and the order
     * row pointed at it.
     */
    const reopen = async (orderId: unknown): Promise<string> => {
      const id = randomUUID();
      await db(app).transaction(async (m) => {
        await m.query(
          `INSERT INTO payments (id, tenant_id, order_id, provider, method, status, amount, currency, provider_ref, action)
           SELECT $2, tenant_id, order_id, provider, method, 'pending', amount, currency, $3, action
             FROM payments WHERE order_id = $1 LIMIT 1`,
          [orderId, id, `sbx_reopened_${id}`],
        );
        await m.query(`UPDATE orders SET pay_id = $2, updated_at = now() WHERE id = $1`, [
          orderId,
          `sbx_reopened_${id}`,
        ]);
      });
      return id;
    };
    const closings = (): jest.SpyInstance =>
      jest.spyOn(app.app.get(AttemptCloser), 'closeOthersLater').mockImplementation(() => undefined);

    it('none: the one statement says so, and no closing is started', async () => {
      const m = await newMerchant(app);
      const order = await newOrder(app, m);
      const closed = closings();
      const answers = fastAnswers();
      await complete(order.pay_id as string).expect(200);
      expect(await Promise.all(answers)).toEqual([{ orderState: 'Finished', othersOpen: false }]);
      expect(closed).not.toHaveBeenCalled();
    });

    it('one opened before the confirmation: confirmed in one statement, then closed', async () => {
      const m = await newMerchant(app);
      const order = await newOrder(app, m);
      await reopen(order.id);
      const closed = closings();
      const answers = fastAnswers();
      await complete(order.pay_id as string).expect(200);
      expect(await Promise.all(answers)).toEqual([{ orderState: 'Finished', othersOpen: true }]);
      const [paid] = await q<{ id: string }>('SELECT id FROM payments WHERE provider_ref = $1', [
        order.pay_id,
      ]);
      expect(closed).toHaveBeenCalledWith(m.tenantId, order.id, paid.id);
    });

    it('one opened between the read and the statement: the statement writes nothing, the general path confirms and closes it', async () => {
      const m = await newMerchant(app);
      const order = await newOrder(app, m);
      const closed = closings();
      const answers: Promise<unknown>[] = [];
      const original = fastPath.confirm.bind(fastPath);
      jest.spyOn(fastPath, 'confirm').mockImplementation(async (...args) => {
        await reopen(order.id); // after the read the confirmation decides on, before its statement
        const answer = original(...args);
        answers.push(answer);
        return answer;
      });
      await complete(order.pay_id as string)
        .expect(200)
        .expect((res) => expect(res.body).toMatchObject({ result: 'applied', order_state: 'Finished' }));
      expect(await Promise.all(answers)).toEqual([null]);
      expect(closed).toHaveBeenCalledTimes(1);
      expect(await credits(order.id)).toBe(1);
      expect(await transitions(order.id)).toEqual([
        [null, 'Pending'],
        ['Pending', 'Paid'],
        ['Paid', 'Finished'],
      ]);
    });
  });
});
