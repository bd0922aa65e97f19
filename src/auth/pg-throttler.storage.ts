import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import { DataSource } from 'typeorm';

/**
 * @nestjs/throttler's storage on PostgreSQL, so every process counts against the same limits (the
 * embedded default has no Redis; production has the database anyway). A fixed window per key: one
 * UPSERT per request; a key over its limit stays blocked until its window ends. Expired windows are
 * pruned every minute (AuthPruners). The API limiter batches its hits into the same rows (addHits).
 */
@Injectable()
export class PgThrottlerStorage implements ThrottlerStorage {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Forget windows that ended over a minute ago. */
  async prune(): Promise<void> {
    await this.db.query(`DELETE FROM rate_limits WHERE expires_at < now() - interval '1 minute'`);
  }

  async increment(key: string, ttlMs: number, limit: number): Promise<ThrottlerStorageRecord> {
    const [row] = await this.db.query<{ hits: number; ms: string }[]>(
      `INSERT INTO rate_limits AS r (key, hits, expires_at) VALUES ($1, 1, now() + make_interval(secs => $2))
       ON CONFLICT (key) DO UPDATE SET
         hits = CASE WHEN r.expires_at <= now() THEN 1 ELSE r.hits + 1 END,
         expires_at = CASE WHEN r.expires_at <= now() THEN EXCLUDED.expires_at ELSE r.expires_at END
       RETURNING hits, (extract(epoch FROM expires_at - now()) * 1000)::bigint::text AS ms`,
      [key, ttlMs / 1000],
    );
    const seconds = Math.max(1, Math.ceil(Number(row.ms) / 1000));
    const blocked = row.hits > limit;
    return {
      totalHits: row.hits,
      timeToExpire: seconds,
      isBlocked: blocked,
      timeToBlockExpire: blocked ? seconds : 0,
    };
  }

  /**
   * Add many keys' hits in one statement (the API limiter's sync): each key's window is started or
   * continued exactly as `increment` does, and each key's count in the store (every process's hits)
   * and time left in its window come back. Keys are written in sorted order so that two processes
   * syncing overlapping keys lock the rows in the same order (no deadlock).
   */
  async addHits(hits: ReadonlyMap<string, number>, ttlMs: number): Promise<StoredWindow[]> {
    if (hits.size === 0) return [];
    const keys = [...hits.keys()].sort();
    const rows = await this.db.query<{ key: string; hits: number; ms: string }[]>(
      `INSERT INTO rate_limits AS r (key, hits, expires_at)
       SELECT k, h, now() + make_interval(secs => $3)
         FROM unnest($1::text[], $2::int[]) AS t(k, h) ORDER BY k
       ON CONFLICT (key) DO UPDATE SET
         hits = CASE WHEN r.expires_at <= now() THEN EXCLUDED.hits ELSE r.hits + EXCLUDED.hits END,
         expires_at = CASE WHEN r.expires_at <= now() THEN EXCLUDED.expires_at ELSE r.expires_at END
       RETURNING key, hits, (extract(epoch FROM expires_at - now()) * 1000)::bigint::text AS ms`,
      [keys, keys.map((k) => hits.get(k)), ttlMs / 1000],
    );
    return rows.map((r) => ({ key: r.key, hits: r.hits, msLeft: Number(r.ms) }));
  }
}

/** One key's window as the store has it after a sync. */
export interface StoredWindow {
  key: string;
  /** Every process's hits in the current window. */
  hits: number;
  /** Milliseconds until the window ends. */
  msLeft: number;
}
