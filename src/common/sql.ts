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
