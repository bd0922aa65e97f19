/** PostgreSQL unique_violation (23505), as raised through the pg driver. */
export function isUniqueViolation(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; driverError?: { code?: unknown } };
  return e.code === '23505' || e.driverError?.code === '23505';
}
