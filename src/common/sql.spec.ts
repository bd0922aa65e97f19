import { RowInserts } from './sql';

/** Records the one statement a RowInserts runs. */
const recorder = () => {
  const calls: { sql: string; params: unknown[] }[] = [];
  return {
    calls,
    query: <T>(sql: string, params: unknown[] = []): Promise<T> => {
      calls.push({ sql, params });
      return Promise.resolve([] as T);
    },
  };
};

describe('RowInserts.merge', () => {
  it('writes the rows of every set, table by table in first-added order, as one statement', async () => {
    const a = new RowInserts()
      .row('orders', { id: 'o1', amount: '1.00' })
      .row('order_transitions', { order_id: 'o1', to_state: 'Pending' })
      .returning('orders', 'id, created_at');
    const b = new RowInserts()
      .row('orders', { id: 'o2', amount: '2.00' })
      .row('order_transitions', { order_id: 'o2', to_state: 'Pending' })
      .row('idempotency_keys', { key: 'k2', order_id: 'o2' });
    const db = recorder();
    await RowInserts.merge([a, b]).run(db);
    expect(db.calls).toHaveLength(1);
    const { sql, params } = db.calls[0];
    expect(sql).toContain(
      't0 AS (INSERT INTO orders (id, amount) VALUES ($1, $2), ($3, $4) RETURNING id, created_at)',
    );
    expect(sql).toContain(
      't1 AS (INSERT INTO order_transitions (order_id, to_state) VALUES ($5, $6), ($7, $8))',
    );
    expect(sql).toContain('t2 AS (INSERT INTO idempotency_keys (key, order_id) VALUES ($9, $10))');
    expect(sql.endsWith('SELECT id, created_at FROM t0')).toBe(true);
    expect(params).toEqual(['o1', '1.00', 'o2', '2.00', 'o1', 'Pending', 'o2', 'Pending', 'k2', 'o2']);
    // The sets merged are left as they were.
    const alone = recorder();
    await a.run(alone);
    expect(alone.calls[0].params).toEqual(['o1', '1.00', 'o1', 'Pending']);
  });

  it('refuses rows of one table that name different columns', () => {
    const a = new RowInserts().row('orders', { id: 'o1', amount: '1.00' });
    const b = new RowInserts().row('orders', { id: 'o2', price: '2.00' });
    expect(() => RowInserts.merge([a, b])).toThrow('rows of orders name different columns');
    // The same names in another order would put values under the wrong columns.
    const c = new RowInserts().row('orders', { amount: '3.00', id: 'o3' });
    expect(() => RowInserts.merge([a, c])).toThrow('rows of orders name different columns');
    expect(() =>
      new RowInserts().row('orders', { id: 'o1', amount: '1.00' }).row('orders', { id: 'o4' }),
    ).toThrow('rows of orders name different columns');
    expect(RowInserts.merge([a, new RowInserts().row('orders', { id: 'o5', amount: '5.00' })]).empty).toBe(
      false,
    );
  });
});
