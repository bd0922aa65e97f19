import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { isUUID } from 'class-validator';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import type { ApiKey } from '../auth/api-key.entity';
import { ApiKeysService } from '../auth/api-keys.service';
import { Coalescer, Settled } from '../common/coalescer';
import { EntityColumns } from '../common/sql';
import { Notification, NotificationStatus } from './notification.entity';
import type { NotificationAttempt } from './notification-attempt.entity';

/** What one delivery attempt found at the receiver. */
export type AttemptResult = Pick<
  NotificationAttempt,
  'attemptedAt' | 'statusCode' | 'latencyMs' | 'bodyExcerpt' | 'error' | 'success'
>;

/** What a delivery reads before it posts. */
export interface DeliveryRead {
  notification: Notification;
  /** The tenant's newest usable key, which signs it; null when the tenant has none. */
  key: ApiKey | null;
  /** An earlier notification of the same order is still pending: this one must wait. */
  earlier: boolean;
}

/** An attempt and the notification's state after it. */
export interface AttemptRecord {
  notification: Pick<Notification, 'id' | 'tenantId'>;
  /** The attempt's number (1 for the first). */
  number: number;
  status: NotificationStatus;
  /** With status `pending`: the next attempt is due this many seconds from now. */
  delaySeconds: number;
  attempt: AttemptResult;
}

/**
 * The rows a notification delivery reads and writes. The worker delivers a batch of notifications at
 * once (JobQueue), so concurrent deliveries' reads are one statement, and so are their final
 * attempts (delivered, or given up): Coalescer, as order creation's group commit. Each delivery still
 * gets only its own answer, and a final attempt is answered once it is durable.
 */
@Injectable()
export class NotificationDeliveryStore {
  private columns?: EntityColumns<Notification>;
  private readonly reads = new Coalescer<string, DeliveryRead | null>((ids) => this.readMany(ids), {
    maxBatch: 50,
    maxInFlight: 2,
  });
  private readonly finals = new Coalescer<AttemptRecord, void>((records) => this.writeMany(records), {
    maxBatch: 50,
    maxInFlight: 2,
  });

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly keys: ApiKeysService,
  ) {}

  /** The notification `id` with what its delivery needs; null when there is none (or `id` is no uuid). */
  read(id: string): Promise<DeliveryRead | null> {
    return isUUID(id) ? this.reads.submit(id) : Promise.resolve(null);
  }

  /** Record a final attempt (delivered, or given up); concurrent ones are written together. */
  recordFinal(r: AttemptRecord): Promise<void> {
    return this.finals.submit(r);
  }

  /** Record an attempt in `m`'s transaction (a retry, whose next job goes in the same transaction). */
  async record(m: Pick<EntityManager, 'query'>, r: AttemptRecord): Promise<void> {
    await this.write(m, [r]);
  }

  private async readMany(ids: readonly string[]): Promise<Settled<DeliveryRead | null>[]> {
    const columns = (this.columns ??= new EntityColumns(this.db, Notification, 'n', 'n_'));
    const key = this.keys.newestActiveJoin('n.tenant_id');
    const rows = await this.db.query<{ n_id: string; earlier: boolean }[]>(
      `SELECT ${columns.select}, ${key.select},
              EXISTS (SELECT 1 FROM notifications e
                       WHERE e.order_id = n.order_id AND e.seq < n.seq AND e.status = 'pending') AS earlier
         FROM notifications n ${key.join} WHERE n.id = ANY($1::uuid[])`,
      [ids],
    );
    const byId = new Map(
      rows.map((row) => [
        row.n_id,
        { notification: columns.from(row), key: key.from(row), earlier: row.earlier },
      ]),
    );
    return ids.map((id) => ({ ok: true, value: byId.get(id) ?? null }));
  }

  private async writeMany(records: readonly AttemptRecord[]): Promise<Settled<void>[]> {
    await this.write(this.db, records);
    return records.map(() => ({ ok: true, value: undefined }));
  }

  /** The attempts and their notifications' new states, in one statement. */
  private async write(m: Pick<EntityManager, 'query'>, records: readonly AttemptRecord[]): Promise<void> {
    const column = <T>(f: (r: AttemptRecord) => T): T[] => records.map(f);
    await m.query(
      `WITH attempt AS (
         INSERT INTO notification_attempts
           (id, notification_id, tenant_id, attempt, attempted_at, status_code, latency_ms, body_excerpt, error, success)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::int[], $5::timestamptz[], $6::int[],
                              $7::int[], $8::text[], $9::text[], $10::bool[]))
       UPDATE notifications n
          SET attempts = u.attempts, status = u.status,
              delivered_at = CASE WHEN u.status = 'delivered' THEN now() END,
              next_attempt_at = CASE WHEN u.status = 'pending' THEN now() + make_interval(secs => u.delay) END
         FROM unnest($2::uuid[], $4::int[], $11::text[], $12::float8[]) AS u(id, attempts, status, delay)
        WHERE n.id = u.id`,
      [
        column(() => randomUUID()),
        column((r) => r.notification.id),
        column((r) => r.notification.tenantId),
        column((r) => r.number),
        column((r) => r.attempt.attemptedAt),
        column((r) => r.attempt.statusCode),
        column((r) => r.attempt.latencyMs),
        column((r) => r.attempt.bodyExcerpt),
        column((r) => r.attempt.error),
        column((r) => r.attempt.success),
        column((r) => r.status),
        column((r) => r.delaySeconds),
      ],
    );
  }
}
