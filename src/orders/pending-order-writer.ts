import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Coalescer, Settled } from '../common/coalescer';
import { RowInserts } from '../common/sql';

/** What the database stamped on a new order. */
export interface NewOrderStamp {
  created_at: Date;
  updated_at: Date;
}

interface NewOrderWrite {
  orderId: string;
  batch: RowInserts;
}

/**
 * Bounds of the group commit. Up to MAX_IN_FLIGHT statements at once keeps the pool free for the rest
 * of the traffic; MAX_BATCH keeps one statement well under PostgreSQL's 65,535 parameters (an order
 * with its payment, history and idempotency key is about 50). Measured with `npm run bench`: see
 * BENCHMARKS.md.
 */
const MAX_BATCH = 64;
const MAX_IN_FLIGHT = 4;

/**
 * Writes new orders (each with its payment attempt, history row and idempotency key: one RowInserts per
 * order) by group commit: the orders created at the same time are written as one multi-row statement,
 * atomic and durable on its own; each request is answered once its statement has committed. When the
 * statement fails (a duplicate idempotency key or merchant order number in one of them, say), each
 * order is written again on its own, so only the order at fault gets the error, exactly as without
 * batching.
 */
@Injectable()
export class PendingOrderWriter {
  private readonly coalescer = new Coalescer<NewOrderWrite, NewOrderStamp>((writes) => this.write(writes), {
    maxBatch: MAX_BATCH,
    maxInFlight: MAX_IN_FLIGHT,
  });

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  insert(orderId: string, batch: RowInserts): Promise<NewOrderStamp> {
    return this.coalescer.submit({ orderId, batch });
  }

  private async write(writes: readonly NewOrderWrite[]): Promise<Settled<NewOrderStamp>[]> {
    if (writes.length > 1) {
      try {
        const rows = await RowInserts.merge(writes.map((w) => w.batch)).run<NewOrderStamp & { id: string }>(
          this.db.manager,
        );
        const byId = new Map(rows.map((r) => [r.id, r]));
        return writes.map((w) => stamped(w, byId.get(w.orderId)));
      } catch {
        // Fall through: each on its own, so the error goes to the order that caused it.
      }
    }
    return Promise.all(
      writes.map(async (w): Promise<Settled<NewOrderStamp>> => {
        try {
          const [row] = await w.batch.run<NewOrderStamp & { id: string }>(this.db.manager);
          return stamped(w, row);
        } catch (error) {
          return { ok: false, error };
        }
      }),
    );
  }
}

function stamped(w: NewOrderWrite, row: NewOrderStamp | undefined): Settled<NewOrderStamp> {
  if (!row) return { ok: false, error: new Error(`order ${w.orderId}: the insert returned no row`) };
  return { ok: true, value: { created_at: row.created_at, updated_at: row.updated_at } };
}
