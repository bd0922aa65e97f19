import { isUUID } from 'class-validator';
import { CommonErrors } from './common.errors';

/** Opaque keyset cursor over (created_at, id), newest first. */
export interface Cursor {
  createdAt: Date;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.createdAt.toISOString(), c.id])).toString('base64url');
}

export function decodeCursor(raw: string | undefined): Cursor | undefined {
  if (!raw) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      typeof parsed[0] === 'string' &&
      typeof parsed[1] === 'string'
    ) {
      const createdAt = new Date(parsed[0]);
      // Both go into SQL: an id that is not a UUID or a date PostgreSQL cannot hold would be a 500.
      const year = createdAt.getUTCFullYear();
      if (!Number.isNaN(createdAt.getTime()) && year >= 1 && year <= 9999 && isUUID(parsed[1]))
        return { createdAt, id: parsed[1] };
    }
  } catch {
    // fall through to the error below
  }
  throw CommonErrors.invalid_cursor('cursor is not valid');
}

export interface Page<T> {
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}

/**
 * A page from `limit + 1` rows fetched in page order: the extra row only says there is more, and the
 * cursor is made from the page's last row.
 */
export function toPage<R, T>(
  rows: R[],
  limit: number,
  toItem: (row: R) => T,
  cursorOf: (last: R) => string,
): Page<T> {
  const data = rows.slice(0, limit);
  const more = rows.length > limit && data.length > 0;
  return {
    data: data.map(toItem),
    has_more: rows.length > limit,
    next_cursor: more ? cursorOf(data[data.length - 1]) : null,
  };
}
