import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** api_keys.last_used_at is kept to this precision ("used within the last minute"). */
const PRECISION_MS = 60_000;
/** Past this many keys the memo starts over (each key then simply sends its update again). */
const MAX_ENTRIES = 50_000;

/**
 * api_keys.last_used_at, set to within a minute of a key's last use. The update is conditional in SQL
 * (written at most once a minute per key, whatever the number of processes), and this process also
 * remembers when the column was last known to be set for each key, so it sends nothing while that is
 * under a minute old: most requests cost no statement. The memo is the database's own value, never
 * only this process's write, so a value set by another process counts too and the column stays within
 * a minute of the truth.
 */
@Injectable()
export class ApiKeyUsage {
  private readonly logger = new Logger(ApiKeyUsage.name);
  /** Key row id -> when (this process's clock, epoch ms) its last_used_at was last known to be set. */
  private readonly knownSetAt = new Map<string, number>();

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Record a use of the key (fire and forget: a request never waits for it). */
  touch(apiKeyId: string): void {
    const now = Date.now();
    const known = this.knownSetAt.get(apiKeyId);
    if (known !== undefined && now - known < PRECISION_MS) return;
    if (this.knownSetAt.size >= MAX_ENTRIES) this.knownSetAt.clear();
    // Claimed now, so the requests that arrive meanwhile send nothing; forgotten if the update fails.
    this.knownSetAt.set(apiKeyId, now);
    void this.update(apiKeyId, now).catch((err: unknown) => {
      this.knownSetAt.delete(apiKeyId);
      this.logger.warn(`api key ${apiKeyId}: last_used_at not updated: ${String(err)}`);
    });
  }

  private async update(apiKeyId: string, sentAt: number): Promise<void> {
    // The column as it is after the statement (set now, or set by anyone less than a minute ago) and
    // its age by the database's clock, so the memo does not depend on the two clocks agreeing.
    const [row] = await this.db.query<{ age_ms: number | null }[]>(
      `WITH touched AS (
         UPDATE api_keys SET last_used_at = now()
          WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
         RETURNING last_used_at)
       SELECT (extract(epoch FROM now() - COALESCE((SELECT last_used_at FROM touched), k.last_used_at)) * 1000)::float8 AS age_ms
         FROM api_keys k WHERE k.id = $1`,
      [apiKeyId],
    );
    if (row?.age_ms == null) this.knownSetAt.delete(apiKeyId);
    else this.knownSetAt.set(apiKeyId, sentAt - Math.max(0, row.age_ms));
  }
}
