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
 * Several INSERTs written as one statement (`WITH a AS (INSERT ...), b AS (INSERT ...) SELECT ...`):
 * atomic without BEGIN/COMMIT, one round trip. Each module adds the rows it owns; parameters are
 * numbered as they are added.
 */
export class InsertBatch {
  private readonly ctes: string[] = [];
  private readonly values: unknown[] = [];
  private result = 'SELECT 1';

  /** A placeholder ($n) for a value. */
  param(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  /** Add `name AS (sql)`; `sql` uses placeholders from param(). */
  add(name: string, sql: string): this {
    this.ctes.push(`${name} AS (${sql})`);
    return this;
  }

  /** What the statement returns: `SELECT ... FROM <one of the CTEs>`. */
  returning(select: string): this {
    this.result = select;
    return this;
  }

  async run<T>(m: EntityManager): Promise<T[]> {
    if (this.ctes.length === 0) return [];
    return m.query<T[]>(`WITH ${this.ctes.join(',\n')}\n${this.result}`, this.values);
  }
}
