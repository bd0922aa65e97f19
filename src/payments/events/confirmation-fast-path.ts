import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { isRolledBackConflict, sqlState } from '../../common/pg-errors';
import { EntityColumns, InsertBatch } from '../../common/sql';
import { StatementGroups } from '../../database/statement-groups';
import { Order } from '../../orders/order.entity';
import type { OrderState } from '../../orders/order-state';
import { OrdersService } from '../../orders/orders.service';
import type { VerifiedEvent } from '../contract/payment-provider';
import type { Payment, PaymentStatus } from '../attempts/payment.entity';
import { AttemptCloser } from '../attempts/attempt-closer.service';
import { amountMismatch } from './amount-mismatch';

/** The payment's fields the decision reads. */
export type ConfirmablePayment = Pick<
  Payment,
  'id' | 'tenantId' | 'orderId' | 'provider' | 'providerRef' | 'status' | 'amount' | 'currency'
>;

/**
 * What the decision reads, without locks, in one statement: the payment, its order, where the order
 * is notified (its tenant's webhook URL) and the database's clock.
 */
export interface ConfirmationRead {
  payment: ConfirmablePayment;
  order: Order;
  /** The order row's version as read (its xmin): any write to the row since changes it. */
  orderVersion: string;
  at: Date;
  webhookUrl: string | null;
}

/** SQLSTATE division_by_zero: how the statement below fails on purpose (see `confirm`). */
const GUARD_FAILED = '22012';
/** SQLSTATE lock_not_available: the order's row was locked by another transaction (NOWAIT). */
const ORDER_LOCKED = '55P03';

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
 *   With NOWAIT it fails at once instead (55P03) when another transaction holds the row.
 * - A CTE that reads FROM another runs after it produced its rows: that orders the locks. They are
 *   taken in the general path's order: the provider event id (INSERT ... ON CONFLICT waits for a
 *   concurrent inserter of the same id), the order, the payment, then the balance row.
 *
 * The order's lock is taken NOWAIT: a row another transaction holds is one about to change (a
 * duplicate confirmation, a cancellation, a reopen), which the general path waits for and decides on.
 * Waiting here could deadlock: a group of these statements (StatementGroups) is one transaction that
 * holds the balance row from its first statement on, and the holder of this order (a duplicate from
 * another process, the general path) may be waiting for that row.
 */
@Injectable()
export class ConfirmationFastPath {
  private orderColumns?: EntityColumns<Order>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly groups: StatementGroups,
    private readonly orders: OrdersService,
    private readonly closer: AttemptCloser,
  ) {}

  /**
   * Apply `event` (a success) in one statement when it is the common case, and say the order's new
   * state, and whether other attempts of the order are still open (then close them: AttemptCloser);
   * null when it is not, or when what was read changed before the statement took its locks (then
   * nothing was written: apply the event through the general path). `read`: the payment and
   * its order as the caller read them (readPayment), or only the payment (its order is read here).
   */
  async confirm(
    providerId: string,
    event: VerifiedEvent,
    read: ConfirmationRead | { payment: ConfirmablePayment },
    stored: { payload: string; verified: string },
  ): Promise<{ orderState: OrderState; othersOpen: boolean } | null> {
    const { payment } = read;
    if (event.outcome !== 'succeeded' || payment.status === 'succeeded') return null;
    if (amountMismatch(payment, event) !== null) return null;
    const full = 'order' in read ? read : await this.readOrder(payment);
    if (!full || !this.orders.isPayable(full.order)) return null;
    const { order, orderVersion, at, webhookUrl } = full;
    const tenantId = payment.tenantId;

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
          AND o.state = ${batch.param(order.state)} AND o.xmin = ${batch.param(orderVersion)}::xid
        FOR UPDATE OF o NOWAIT`,
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
    // chain (pg-boss's own INSERT), and the event row must not stay when nothing else was written.
    const { rows, expected, counted } = confirmed.checks;
    const written = rows.map((cte) => `(SELECT count(*) FROM ${cte}) = 1`);
    for (const cte of counted) written.push(`(SELECT count(*) FROM ${cte}) = ${expected}`);
    // The order's other open attempts, as the statement's snapshot sees them. One opened after it (a
    // reopen: OrderPaymentService) was written with its order row in one transaction: committed
    // after our read, the row's version no longer matches and `order_locked` finds nothing; later,
    // it finds the order paid and opens nothing.
    this.closer.addCountOthers(batch, 'others', tenantId, order.id, payment.id);
    batch.returning(
      `SELECT 1 / (CASE WHEN ${written.join(' AND ')} THEN 1 ELSE 0 END) AS applied, others.n AS others FROM others`,
    );
    let others: number;
    try {
      // Confirmations of one application all update its balance row: sent together (StatementGroups).
      const stream = order.applicationId === null ? null : `balance ${order.applicationId}`;
      [{ others }] = await batch.run<{ others: number }>(this.groups.on(stream));
    } catch (err) {
      // Nothing of the statement was written, and the general path decides again: when what it read
      // changed (GUARD_FAILED), when its order was locked (ORDER_LOCKED), and when PostgreSQL rolled it
      // back in a deadlock. That is still possible through the provider event's id: a group holding
      // the balance row may wait for a concurrent inserter of the same event id (a provider's
      // redelivery, in another process) that holds it and waits for the balance row. A group runs
      // again statement by statement; this statement comes back here.
      const code = sqlState(err);
      if (code === GUARD_FAILED || code === ORDER_LOCKED || isRolledBackConflict(err)) return null;
      throw err;
    }
    this.orders.confirmedPaid(confirmed.after, confirmed.targets);
    return { orderState: confirmed.after.state, othersOpen: others > 0 };
  }

  /**
   * The payment with this provider reference and the rest of a ConfirmationRead, in one statement
   * (the Sandbox's completion: a lookup of its payment it needs anyway); null when there is none.
   * `alsoWrite` adds data-modifying CTEs to that statement, reading FROM CTE `found` (the row read,
   * columns `p_*` and `o_*`): they write only when the payment exists, and commit with the read.
   */
  async readPayment(
    providerId: string,
    providerRef: string,
    alsoWrite?: (batch: InsertBatch, found: string) => void,
  ): Promise<ConfirmationRead | null> {
    return this.readWith(
      (batch) => `p.provider = ${batch.param(providerId)} AND p.provider_ref = ${batch.param(providerRef)}`,
      alsoWrite,
    );
  }

  private readOrder(payment: ConfirmablePayment): Promise<ConfirmationRead | null> {
    return this.readWith((batch) => `p.id = ${batch.param(payment.id)}`);
  }

  private async readWith(
    where: (batch: InsertBatch) => string,
    alsoWrite?: (batch: InsertBatch, found: string) => void,
  ): Promise<ConfirmationRead | null> {
    // Raw SQL built once: a TypeORM query builder per confirmation was 15% of its CPU.
    this.orderColumns ??= new EntityColumns(this.db, Order, 'o', 'o_');
    const batch = new InsertBatch();
    batch.add(
      'found',
      `SELECT ${this.orderColumns.select},
              ${['id', 'tenant_id', 'order_id', 'provider', 'provider_ref', 'status', 'amount', 'currency']
                .map((c) => `p.${c} AS p_${c}`)
                .join(', ')},
              o.xmin::text AS order_version, now() AS db_now,
              (SELECT t.webhook_url FROM tenants t WHERE t.id = o.tenant_id) AS tenant_webhook_url
         FROM orders o JOIN payments p ON p.order_id = o.id AND p.tenant_id = o.tenant_id
        WHERE ${where(batch)}
        LIMIT 1`,
    );
    alsoWrite?.(batch, 'found');
    const raw = await batch
      .returning('SELECT * FROM found')
      .run<PaymentRow & { order_version: string; db_now: Date; tenant_webhook_url: string | null }>(
        // One round trip (and commit: the Sandbox's charge) for the reads of concurrent confirmations.
        this.groups.on('confirmation reads'),
      );
    const [row] = raw;
    if (!row) return null;
    const order = this.orderColumns.from(row);
    return {
      payment: {
        id: row.p_id,
        tenantId: row.p_tenant_id,
        orderId: row.p_order_id,
        provider: row.p_provider,
        providerRef: row.p_provider_ref,
        status: row.p_status,
        amount: row.p_amount,
        currency: row.p_currency,
      },
      order,
      orderVersion: row.order_version,
      at: row.db_now,
      webhookUrl: row.tenant_webhook_url,
    };
  }
}

interface PaymentRow {
  p_id: string;
  p_tenant_id: string;
  p_order_id: string;
  p_provider: string;
  p_provider_ref: string | null;
  p_status: PaymentStatus;
  p_amount: string;
  p_currency: string;
}
