import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { InsertBatch } from '../../common/sql';
import { Order } from '../../orders/order.entity';
import type { OrderState } from '../../orders/order-state';
import { OrdersService } from '../../orders/orders.service';
import type { VerifiedEvent } from '../contract/payment-provider';
import type { Payment } from '../attempts/payment.entity';
import { amountMismatch } from './amount-mismatch';

/** The payment's fields the decision reads. */
export type ConfirmablePayment = Pick<Payment, 'id' | 'orderId' | 'status' | 'amount' | 'currency'>;

/** SQLSTATE division_by_zero: how the statement below fails on purpose (see `confirm`). */
const GUARD_FAILED = '22012';

/**
 * The common confirmation (a success for a payment that is not yet succeeded, of the attempt's exact
 * amount and currency, on an order that accepts a payment) in ONE autocommitted statement, instead of
 * PaymentEventsService's transaction of about ten round trips. The point is the application's balance
 * row, which every confirmation of an application updates: in the transaction it stays locked until
 * Node, busy with other requests, sends COMMIT; here it is locked from its UPDATE to the statement's
 * own commit, with no round trip to Node in between.
 *
 * The decision is PaymentEventsService's, made on rows read without locks; the statement re-checks
 * under lock what it read and fails as a whole when anything changed meanwhile. The caller then
 * applies the event through the general (locked, transactional) path, which decides again on what it
 * finds: so every case other than the common one, and every race, is decided there, as before.
 *
 * PostgreSQL semantics relied on (READ COMMITTED, https://www.postgresql.org/docs/current/queries-with.html
 * and transaction-iso.html#XACT-READ-COMMITTED):
 * - A single statement outside BEGIN is its own transaction: all its CTEs commit or roll back together,
 *   and an error anywhere in it (here: a division by zero in the final SELECT) rolls back every one.
 * - Every data-modifying CTE runs exactly once, to completion, whether or not its rows are read.
 * - SELECT ... FOR UPDATE waits for a concurrent writer of the row, then re-evaluates its WHERE on the
 *   newest committed version and returns nothing if it no longer matches; so does UPDATE ... WHERE.
 * - A CTE that reads FROM another runs after it produced its rows: that orders the locks. They are
 *   taken in the general path's order: the provider event id (INSERT ... ON CONFLICT waits for a
 *   concurrent inserter of the same id), the order, the payment, then the balance row.
 */
@Injectable()
export class ConfirmationFastPath {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly orders: OrdersService,
  ) {}

  /**
   * Apply `event` (a success) in one statement when it is the common case, and say the order's new
   * state; null when it is not, or when what was read changed before the statement took its locks
   * (then nothing was written: apply the event through the general path).
   */
  async confirm(
    tenantId: string,
    providerId: string,
    event: VerifiedEvent,
    payment: ConfirmablePayment,
    stored: { payload: string; verified: string },
  ): Promise<{ orderState: OrderState } | null> {
    if (event.outcome !== 'succeeded' || payment.status === 'succeeded') return null;
    if (amountMismatch(payment, event) !== null) return null;
    const read = await this.read(tenantId, payment.orderId);
    if (!read || !this.orders.isPayable(read.order)) return null;
    const { order, at, webhookUrl } = read;

    const batch = new InsertBatch();
    batch.add(
      'recorded',
      `INSERT INTO provider_events (id, tenant_id, provider, event_id, type, payment_id, outcome, payload, verified)
       VALUES (${[randomUUID(), tenantId, providerId, event.eventId, event.type, payment.id].map((v) => batch.param(v)).join(', ')},
               'applied', ${batch.param(stored.payload)}, ${batch.param(stored.verified)})
       ON CONFLICT (tenant_id, provider, event_id) DO NOTHING RETURNING id`,
    );
    batch.add(
      'order_locked',
      `SELECT o.id FROM orders o, recorded
        WHERE o.id = ${batch.param(order.id)} AND o.tenant_id = ${batch.param(tenantId)}
          AND o.state = ${batch.param(order.state)}
        FOR UPDATE OF o`,
    );
    batch.add(
      'payment_locked',
      `SELECT p.id FROM payments p, order_locked
        WHERE p.id = ${batch.param(payment.id)} AND p.status = ${batch.param(payment.status)}
        FOR UPDATE OF p`,
    );
    batch.add(
      'payment_set',
      `UPDATE payments SET status = 'succeeded', updated_at = now()
         FROM payment_locked WHERE payments.id = payment_locked.id RETURNING payments.id`,
    );
    const confirmed = await this.orders.addConfirmPaid(
      batch,
      'payment_set',
      order,
      `${providerId} ${event.type}`,
      {
        at,
        notifyUrl: order.notifyUrl ?? webhookUrl,
      },
    );
    // Everything written, or the statement fails (rolled back whole): the jobs cannot read FROM the
    // chain (pg-boss's own INSERTs), and the event row must not stay when nothing else was written.
    const { rows, expected, notified } = confirmed.checks;
    const written = rows.map((cte) => `(SELECT count(*) FROM ${cte}) = 1`);
    if (expected > 0) written.push(`(SELECT count(*) FROM ${notified}) = ${batch.param(expected)}`);
    batch.returning(`SELECT 1 / (CASE WHEN ${written.join(' AND ')} THEN 1 ELSE 0 END) AS applied`);
    try {
      await batch.run(this.db.manager);
    } catch (err) {
      if ((err as { code?: string }).code === GUARD_FAILED) return null;
      throw err;
    }
    this.orders.confirmedPaid(confirmed.after, confirmed.targets);
    return { orderState: confirmed.after.state };
  }

  /** The order (no lock), its tenant's webhook URL and the database's clock, in one statement. */
  private async read(
    tenantId: string,
    orderId: string,
  ): Promise<{ order: Order; at: Date; webhookUrl: string | null } | null> {
    const { entities, raw } = await this.db
      .getRepository(Order)
      .createQueryBuilder('o')
      .addSelect('now()', 'db_now')
      .addSelect('(SELECT t.webhook_url FROM tenants t WHERE t.id = o.tenant_id)', 'tenant_webhook_url')
      .where('o.id = :orderId AND o.tenant_id = :tenantId', { orderId, tenantId })
      .getRawAndEntities<{ db_now: Date; tenant_webhook_url: string | null }>();
    const [order] = entities;
    if (!order || raw.length !== 1) return null;
    return { order, at: raw[0].db_now, webhookUrl: raw[0].tenant_webhook_url };
  }
}
