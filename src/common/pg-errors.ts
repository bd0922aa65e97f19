/** The SQLSTATE of a PostgreSQL error, as raised by the pg driver or wrapped by TypeORM; undefined otherwise. */
export function sqlState(err: unknown): unknown {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; driverError?: { code?: unknown } };
  return e.code ?? e.driverError?.code;
}

/** PostgreSQL unique_violation (23505), as raised through the pg driver. */
export function isUniqueViolation(err: unknown): boolean {
  return sqlState(err) === '23505';
}

/**
 * PostgreSQL deadlock_detected (40P01) or serialization_failure (40001): the transaction lost a race
 * and PostgreSQL rolled it back whole, so nothing of it was written and running it again is safe.
 */
export function isRolledBackConflict(err: unknown): boolean {
  const code = sqlState(err);
  return code === '40P01' || code === '40001';
}

/**
 * Run a transaction, and run it again (up to `attempts` times in all) when PostgreSQL rolled it back
 * in a lost race (isRolledBackConflict): the winner has committed or is about to, and the next run
 * waits for its locks and decides on what it then finds.
 */
export async function retryRolledBack<T>(transaction: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction();
    } catch (err) {
      if (attempt >= attempts || !isRolledBackConflict(err)) throw err;
    }
  }
}
