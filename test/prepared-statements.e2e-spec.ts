import { QueryFailedError } from 'typeorm';
import type { RunningPaymux } from '../src/bootstrap';
import { PreparedStatements } from '../src/database/prepared-statements';
import { db, http, newMerchant, newOrder, startTestApp } from './helpers/app';

/**
 * The hot paths' named statements (PreparedStatements) on PostgreSQL: each text is parsed and planned
 * once per connection and then only bound and executed. With a pool of one connection every statement
 * runs on the same session, whose pg_prepared_statements shows what was prepared.
 */
const embedded = !process.env.DATABASE_URL || !!process.env.PAYMUX_TEST_EMBEDDED;
const onPostgres = embedded ? describe.skip : describe;

const prepared = async (app: RunningPaymux): Promise<{ name: string; statement: string }[]> =>
  db(app).query<{ name: string; statement: string }[]>(
    'SELECT name, statement FROM pg_prepared_statements ORDER BY prepare_time',
  );

onPostgres('prepared statements (DB_PREPARED_STATEMENTS=on, the default)', () => {
  let app: RunningPaymux;
  let statements: PreparedStatements;

  beforeAll(async () => {
    app = await startTestApp({ DB_POOL_SIZE: '1' });
    statements = app.app.get(PreparedStatements);
  });
  afterAll(() => app.close());

  it('prepares a text once under a name of its own and answers its rows on every call', async () => {
    const text = 'SELECT $1::int + 1 AS n /* prepared-statements spec */';
    expect(await statements.query(text, [41])).toEqual([{ n: 42 }]);
    expect(await statements.query(text, [1])).toEqual([{ n: 2 }]);
    const mine = (await prepared(app)).filter((p) => p.statement === text);
    expect(mine).toHaveLength(1);
    expect(mine[0].name).toMatch(/^pmx_[A-Za-z0-9_-]{24}$/);
  });

  it('fails as DataSource.query does: a QueryFailedError with the SQLSTATE', async () => {
    const failed = statements.query('SELECT 1 / $1::int AS x', [0]);
    await expect(failed).rejects.toBeInstanceOf(QueryFailedError);
    await expect(failed).rejects.toMatchObject({ code: '22012' });
  });

  it('serves order creation and its confirmation from named statements', async () => {
    const m = await newMerchant(app);
    const order = await newOrder(app, m);
    await http(app)
      .post(`/api/v1/sandbox/payments/${order.pay_id as string}/complete`)
      .send({ outcome: 'succeeded' })
      .expect(200)
      .expect((res) => expect(res.body).toMatchObject({ result: 'applied', order_state: 'Finished' }));
    const texts = (await prepared(app)).map((p) => p.statement);
    // The package lookup, the confirmation's read (which writes the Sandbox's charge), the one
    // confirmation statement.
    expect(texts.some((t) => t.includes('FROM unnest($1::uuid[], $2::uuid[], $3::uuid[])'))).toBe(true);
    expect(
      texts.some((t) => t.includes('tenant_webhook_url') && t.includes('INSERT INTO sandbox_charges')),
    ).toBe(true);
    expect(texts.some((t) => t.startsWith('WITH recorded AS (INSERT INTO provider_events'))).toBe(true);
  });
});

onPostgres('prepared statements off (DB_PREPARED_STATEMENTS=off)', () => {
  let app: RunningPaymux;
  beforeAll(async () => {
    app = await startTestApp({ DB_POOL_SIZE: '1', DB_PREPARED_STATEMENTS: 'off' });
  });
  afterAll(() => app.close());

  it('sends every statement unnamed: nothing stays prepared on the session', async () => {
    const m = await newMerchant(app);
    const order = await newOrder(app, m);
    await http(app)
      .post(`/api/v1/sandbox/payments/${order.pay_id as string}/complete`)
      .send({ outcome: 'succeeded' })
      .expect(200);
    expect(await app.app.get(PreparedStatements).query('SELECT $1::int AS n', [7])).toEqual([{ n: 7 }]);
    expect(await prepared(app)).toEqual([]);
  });
});
