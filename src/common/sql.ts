import type { EntityManager } from 'typeorm';

/**
 * Run `UPDATE ... RETURNING` and get the returned rows. (TypeORM's `query()` answers an UPDATE with
 * `[rows, rowCount]` but an INSERT or SELECT with the rows alone.)
 */
export async function updateReturning<T>(m: EntityManager, sql: string, params: unknown[]): Promise<T[]> {
  const raw = (await m.query(sql, params)) as unknown;
  if (Array.isArray(raw) && raw.length === 2 && Array.isArray(raw[0]) && typeof raw[1] === 'number')
    return raw[0] as T[];
  return raw as T[];
}

/**
 * New rows for several tables written as one statement (`WITH a AS (INSERT ... VALUES (...), (...)),
 * b AS (INSERT ...) SELECT ...`): atomic without BEGIN/COMMIT, one round trip. Each module adds the rows
 * it owns (column name -> value); several requests' batches merge into one statement (group commit,
 * OrdersService). Tables are written in the order they were first added, so a row can refer to a row
 * of an earlier table (foreign keys are checked at the end of the statement).
 */
export class InsertBatch {
  private readonly tables = new Map<string, { columns: string[]; rows: unknown[][] }>();
  private result?: { table: string; columns: string };

  /** Add a row: `values` maps column names to values (every row of a table names the same columns). */
  row(table: string, values: Record<string, unknown>): this {
    const columns = Object.keys(values);
    const t = this.tables.get(table);
    if (!t) this.tables.set(table, { columns, rows: [Object.values(values)] });
    else if (t.columns.join() !== columns.join())
      throw new Error(`InsertBatch: rows of ${table} name different columns`);
    else t.rows.push(Object.values(values));
    return this;
  }

  /** What the statement returns: `columns` of the rows inserted into `table`. */
  returning(table: string, columns: string): this {
    this.result = { table, columns };
    return this;
  }

  get empty(): boolean {
    return this.tables.size === 0;
  }

  /** One batch holding every row of `batches`, returning what the first one returns. */
  static merge(batches: readonly InsertBatch[]): InsertBatch {
    const merged = new InsertBatch();
    for (const b of batches) {
      merged.result ??= b.result;
      for (const [table, t] of b.tables) {
        for (const r of t.rows) merged.row(table, Object.fromEntries(t.columns.map((c, i) => [c, r[i]])));
      }
    }
    return merged;
  }

  async run<T>(m: EntityManager): Promise<T[]> {
    if (this.tables.size === 0) return [];
    const values: unknown[] = [];
    const names = new Map<string, string>();
    const ctes = [...this.tables].map(([table, t], i) => {
      const name = `t${i}`;
      names.set(table, name);
      const rows = t.rows.map((r) => `(${r.map((v) => `$${values.push(v)}`).join(', ')})`);
      const returning = this.result?.table === table ? ` RETURNING ${this.result.columns}` : '';
      return `${name} AS (INSERT INTO ${table} (${t.columns.join(', ')}) VALUES ${rows.join(', ')}${returning})`;
    });
    const from = this.result && names.get(this.result.table);
    const select = from && this.result ? `SELECT ${this.result.columns} FROM ${from}` : 'SELECT 1';
    return m.query<T[]>(`WITH ${ctes.join(',\n')}\n${select}`, values);
  }
}
