import { QueryFailedError } from 'typeorm';
import type { RunningPaymux } from '../src/bootstrap';
import { StatementGroups } from '../src/database/statement-groups';
import { PreparedStatements } from '../src/database/prepared-statements';
import { balanceOf, db, http, newMerchant, newOrder, startTestApp } from './helpers/app';

/**
 * Group commit of the statements of one stream (StatementGroups), on PostgreSQL: statements of a stream
 * (those updating one hot row, the confirmations' reads) that wait while another is in flight go
 * together as one transaction; one of them failing leaves each caller with exactly what it would have
 * got alone. (On the embedded database statements are not named, and so never grouped.)
 */
const embedded = !process.env.DATABASE_URL || !!process.env.PAYMUX_TEST_EMBEDDED;
const onPostgres = embedded ? describe.skip : describe;

onPostgres('statements grouped per stream (StatementGroups)', () => {
  let app: RunningPaymux;
  let groups: StatementGroups;
  let statements: PreparedStatements;

  beforeAll(async () => {
    app = await startTestApp();
    groups = app.app.get(StatementGroups);
    statements = app.app.get(PreparedStatements);
    await db(app).query('CREATE TABLE hot_row_groups_spec (v text NOT NULL)');
  });
  afterAll(async () => {
    await db(app).query('DROP TABLE hot_row_groups_spec');
    await app.close();
  });

  /** A statement that stays in flight for `seconds`, in a transaction of its own. */
  const slow = (row: string, seconds: number) =>
    groups
      .on(row)
      .query<{ tx: string }[]>('SELECT txid_current()::text AS tx FROM pg_sleep($1::float8)', [seconds]);
  const txOf = (row: string, v: string) =>
    groups
      .on(row)
      .query<{ tx: string; v: string }[]>('SELECT txid_current()::text AS tx, $1::text AS v', [v])
      .then(([r]) => r);

  it('sends the statements that waited for one in flight together, as one committed transaction', async () => {
    const first = slow('row-a', 0.3);
    const waited = ['one', 'two', 'three', 'four', 'five'].map((v) => txOf('row-a', v));
    const [[alone], together] = await Promise.all([first, Promise.all(waited)]);
    expect(together.map((r) => r.v)).toEqual(['one', 'two', 'three', 'four', 'five']);
    expect(new Set(together.map((r) => r.tx)).size).toBe(1);
    expect(together[0].tx).not.toBe(alone.tx);
    const [status] = await db(app).query<{ s: string }[]>('SELECT txid_status($1::bigint) AS s', [
      together[0].tx,
    ]);
    expect(status.s).toBe('committed');
  });

  it('does not hold a statement back for another stream', async () => {
    let slowEnded = false;
    const first = slow('row-b', 0.5).then(() => (slowEnded = true));
    const other = await txOf('row-c', 'other');
    expect(other.v).toBe('other');
    expect(slowEnded).toBe(false);
    await first;
  });

  it('runs a failed group again one statement at a time: each caller gets its own result or error, each write once', async () => {
    const first = slow('row-d', 0.3);
    const insert = (v: string) =>
      groups
        .on('row-d')
        .query<{ v: string }[]>('INSERT INTO hot_row_groups_spec (v) VALUES ($1) RETURNING v', [v]);
    const settled = Promise.allSettled([
      insert('a'),
      groups.on('row-d').query('SELECT 1 / $1::int AS x', [0]),
      insert('c'),
    ]);
    await first;
    const [a, failing, c] = await settled;
    expect(a).toEqual({ status: 'fulfilled', value: [{ v: 'a' }] });
    expect(failing.status).toBe('rejected');
    const err = (failing as PromiseRejectedResult).reason as QueryFailedError & { code: string };
    expect(err).toBeInstanceOf(QueryFailedError);
    expect(err.code).toBe('22012');
    expect(c).toEqual({ status: 'fulfilled', value: [{ v: 'c' }] });
    const rows = await db(app).query<{ v: string }[]>('SELECT v FROM hot_row_groups_spec ORDER BY v');
    expect(rows).toEqual([{ v: 'a' }, { v: 'c' }]);
  });

  it('passes every value to the statement exactly as PreparedStatements does', async () => {
    const text =
      'SELECT $1::text AS s, $2::timestamptz AS d, $3::int AS n, $4::boolean AS b, $5::text[] AS arr, $6::text AS nul, $7::numeric::text AS amount';
    const values = [
      `it's a back\\slash, "quotes", é€😀 and a ; semicolon`,
      new Date('2026-12-03T12:34:56.789Z'),
      -42,
      true,
      ['a', 'b"c', 'd\\e', null],
      null,
      '12345678901234567890.123456789',
    ];
    const direct = await statements.query(text, values);
    const first = slow('row-e', 0.3);
    const grouped = [groups.on('row-e').query(text, values), groups.on('row-e').query(text, values)];
    await first;
    const results = await Promise.all(grouped);
    expect(results[0]).toEqual(direct);
    expect(results[1]).toEqual(direct);
  });

  it('confirms concurrent orders of one application in groups (their reads, then their writes): each credited once, the balance equal to the ledger', async () => {
    const m = await newMerchant(app);
    const orders = await Promise.all(Array.from({ length: 30 }, () => newOrder(app, m)));
    const responses = await Promise.all(
      orders.map((o) =>
        http(app)
          .post(`/api/v1/sandbox/payments/${o.pay_id as string}/complete`)
          .send({ outcome: 'succeeded' }),
      ),
    );
    expect(responses.map((r) => [r.status, r.body.result, r.body.order_state])).toEqual(
      orders.map(() => [200, 'applied', 'Finished']),
    );
    const [ledger] = await db(app).query<{ entries: string; sum: string; transactions: string }[]>(
      `SELECT count(*)::text AS entries, sum(l.amount)::text AS sum, count(DISTINCT l.xmin::text)::text AS transactions
         FROM ledger_entries l JOIN orders o ON o.id = l.order_id WHERE o.tenant_id = $1`,
      [m.tenantId],
    );
    expect(Number(ledger.entries)).toBe(30);
    expect(await balanceOf(app, m)).toBe(Number(ledger.sum));
    // 30 confirmations at once: while the first one's statement is in flight the others wait, and go
    // in groups (rows written in one transaction share its xmin).
    expect(Number(ledger.transactions)).toBeLessThan(30);
    // Their reads too: each one also records the Sandbox's charge, so the charges show the groups.
    const [charges] = await db(app).query<{ n: string; succeeded: string; transactions: string }[]>(
      `SELECT count(*)::text AS n, count(*) FILTER (WHERE outcome = 'succeeded')::text AS succeeded,
              count(DISTINCT xmin::text)::text AS transactions
         FROM sandbox_charges WHERE pay_id = ANY($1)`,
      [orders.map((o) => o.pay_id as string)],
    );
    expect([charges.n, charges.succeeded]).toEqual(['30', '30']);
    expect(Number(charges.transactions)).toBeLessThan(30);
  });
});
