import type { DataSource, EntityManager } from 'typeorm';

/** What runs SQL and answers the rows: an EntityManager (a transaction's too), or PreparedStatements. */
export interface Queryable {
  query<T = unknown>(sql: string, params?: unknown[]): Promise<T>;
}

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

  /** Run it on `m`: an EntityManager (a transaction's), or PreparedStatements outside one. */
  async run<T>(m: Queryable): Promise<T[]> {
    if (this.ctes.length === 0) return [];
    return m.query<T[]>(`WITH ${this.ctes.join(',\n')}\n${this.result}`, this.values);
  }
}

/** The same column names in the same order (compared in place: this runs for every row of every order). */
function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a === b || (a.length === b.length && a.every((c, i) => c === b[i]));
}

/**
 * New rows for several tables, written as one InsertBatch statement (`WITH t0 AS (INSERT ... VALUES
 * (...), (...)), t1 AS (INSERT ...) SELECT ...`): atomic without BEGIN/COMMIT, one round trip. Each module
 * adds the rows it owns (column name -> value); the rows of several requests merge into one statement
 * (group commit: PendingOrderWriter). Tables are written in the order they were first added (foreign
 * keys are checked at the end of the statement, so a row may refer to one of a later table).
 */
export class RowInserts {
  private readonly tables = new Map<string, { columns: string[]; rows: unknown[][] }>();
  private result?: { table: string; columns: string };

  /** Add a row: `values` maps column names to values (every row of a table names the same columns). */
  row(table: string, values: Record<string, unknown>): this {
    const columns = Object.keys(values);
    const t = this.tables.get(table);
    if (!t) this.tables.set(table, { columns, rows: [Object.values(values)] });
    else if (!sameColumns(t.columns, columns))
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

  /** One set holding every row of `sets`, returning what the first one returns. */
  static merge(sets: readonly RowInserts[]): RowInserts {
    const merged = new RowInserts();
    for (const b of sets) {
      merged.result ??= b.result;
      for (const [table, t] of b.tables) {
        // The rows as they are (arrays in column order), not rebuilt: this runs for every order.
        const into = merged.tables.get(table);
        if (!into) merged.tables.set(table, { columns: t.columns, rows: [...t.rows] });
        else if (!sameColumns(into.columns, t.columns))
          throw new Error(`InsertBatch: rows of ${table} name different columns`);
        else into.rows.push(...t.rows);
      }
    }
    return merged;
  }

  /** The one statement writing every row (nothing when there are none). */
  toStatement(): InsertBatch {
    const batch = new InsertBatch();
    [...this.tables].forEach(([table, t], i) => {
      const name = `t${i}`;
      const rows = t.rows.map((r) => `(${r.map((v) => batch.param(v)).join(', ')})`);
      const returning = this.result?.table === table ? ` RETURNING ${this.result.columns}` : '';
      batch.add(name, `INSERT INTO ${table} (${t.columns.join(', ')}) VALUES ${rows.join(', ')}${returning}`);
      if (this.result?.table === table) batch.returning(`SELECT ${this.result.columns} FROM ${name}`);
    });
    return batch;
  }

  run<T>(m: Queryable): Promise<T[]> {
    return this.toStatement().run<T>(m);
  }
}

/**
 * An entity's columns for raw SQL, and the entity back from its row: `select` is `alias.column AS
 * prefix_column, ...`, `from(row)` sets each property from its column (node-postgres has already parsed
 * the values: numeric as string, timestamptz as Date, jsonb as objects; the entity must have no column
 * transformers). For hot paths where building a TypeORM query per call costs more than the query.
 */
export class EntityColumns<T extends object> {
  readonly select: string;
  private readonly columns: { property: string; key: string }[];

  constructor(
    db: DataSource,
    private readonly target: new () => T,
    alias: string,
    private readonly prefix: string,
  ) {
    this.columns = db.getMetadata(target).columns.map((c) => {
      if (c.transformer) throw new Error(`EntityColumns: ${c.propertyName} has a transformer`);
      return { property: c.propertyName, key: `${prefix}${c.databaseName}` };
    });
    this.select = db
      .getMetadata(target)
      .columns.map((c) => `${alias}.${c.databaseName} AS ${prefix}${c.databaseName}`)
      .join(', ');
  }

  from(row: object): T {
    const entity = new this.target() as Record<string, unknown>;
    const values = row as Record<string, unknown>;
    for (const c of this.columns) entity[c.property] = values[c.key];
    return entity as T;
  }
}
