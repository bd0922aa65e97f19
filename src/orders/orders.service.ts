import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { LedgerService } from '../applications/ledger.service';
import { AuditActor, recordAudit } from '../audit/audit-log';
import { decodeCursor, encodeCursor, Page, toPage } from '../common/pagination';
import { InsertBatch, RowInserts } from '../common/sql';
import { Order } from './order.entity';
import { orderFilterConditions, OrderSearchFilters } from './order-filters';
import { acceptsPayment, OPEN_FOR_PAYMENT_STATES, OrderState } from './order-state';
import { OrderTransitionsService } from './order-transitions.service';
import { OrderErrors } from './orders.errors';
import { PendingOrderWriter } from './pending-order-writer';

/** GET /api/v1/orders: the list filters (order-filters.ts, never tenant_id: the caller's tenant) and a page. */
export interface OrderFilters extends Omit<OrderSearchFilters, 'tenant_id'> {
  limit: number;
  cursor?: string;
}

@Injectable()
export class OrdersService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly transitions: OrderTransitionsService,
    private readonly ledger: LedgerService,
    private readonly writer: PendingOrderWriter,
  ) {}

  /**
   * Write a new Pending order and its first history row, together with whatever else the caller put in
   * `batch` (its payment attempt, its idempotency key), atomically: by group commit with the orders
   * created at the same time (PendingOrderWriter), answered once durable.
   */
  async insertPending(order: Order, batch: RowInserts = new RowInserts()): Promise<Order> {
    this.transitions.addCreate(batch, order, 'order created');
    this.transitions.created(order, await this.writer.insert(order.id, batch));
    return order;
  }

  /** Another tenant's order answers 404. */
  async get(tenantId: string, id: string, m: EntityManager = this.db.manager): Promise<Order> {
    const order = await m.findOne(Order, { where: { id, tenantId } });
    if (!order) throw OrderErrors.order_not_found('order not found');
    return order;
  }

  /**
   * The hosted checkout's read: the order id (an unguessable UUID handed to the payer as pay_url)
   * is the capability, like a provider's checkout session URL. Never used by the tenant API.
   */
  async getForCheckout(id: string): Promise<Order | null> {
    return this.db.getRepository(Order).findOne({ where: { id } });
  }

  /** Lock the order row for the rest of the caller's transaction. */
  async lock(m: EntityManager, tenantId: string, id: string): Promise<Order> {
    const order = await m
      .getRepository(Order)
      .createQueryBuilder('o')
      .setLock('pessimistic_write')
      .where('o.id = :id AND o.tenant_id = :tenantId', { id, tenantId })
      .getOne();
    if (!order) throw OrderErrors.order_not_found('order not found');
    return order;
  }

  async list(tenantId: string, f: OrderFilters): Promise<Page<Order>> {
    const after = decodeCursor(f.cursor);
    const qb = this.db
      .getRepository(Order)
      .createQueryBuilder('o')
      .where('o.tenant_id = :tenantId', { tenantId })
      .orderBy('o.created_at', 'DESC')
      .addOrderBy('o.id', 'DESC')
      .take(f.limit + 1);
    const params: Record<string, unknown> = {};
    const name = (v: unknown): string => {
      const key = `f${Object.keys(params).length}`;
      params[key] = v;
      return `:${key}`;
    };
    // limit and cursor are no filters: orderFilterConditions reads only the filter keys.
    for (const cond of orderFilterConditions(f, name)) qb.andWhere(cond);
    qb.setParameters(params);
    if (after) qb.andWhere('(o.created_at, o.id) < (:c, :i)', { c: after.createdAt, i: after.id });
    const rows = await qb.getMany();
    return toPage(
      rows,
      f.limit,
      (o) => o,
      (last) => encodeCursor({ createdAt: last.createdAt, id: last.id }),
    );
  }

  /** The tenant of an order of any tenant (an operator's action names only the order); 404 when none. */
  async tenantOf(id: string): Promise<string> {
    const [row] = await this.db.query<{ tenant_id: string }[]>('SELECT tenant_id FROM orders WHERE id = $1', [
      id,
    ]);
    if (!row) throw OrderErrors.order_not_found('order not found');
    return row.tenant_id;
  }

  /**
   * Cancel a Pending order. A payment that still arrives later moves it to Paid: money is never dropped.
   * `mayCancel` (e.g. assertMayActOnOrder) sees the locked order first and may refuse. With `actor`
   * (an operator or a merchant's staff), one `order.cancel` audit row is written in the same transaction.
   */
  async cancel(
    tenantId: string,
    id: string,
    mayCancel?: (order: Order) => void,
    actor?: AuditActor,
  ): Promise<Order> {
    return this.db.transaction(async (m) => {
      const order = await this.lock(m, tenantId, id);
      mayCancel?.(order);
      const from = order.state;
      await this.transitions.move(m, order, OrderState.Cancelled, 'cancelled by the merchant');
      if (actor)
        await recordAudit(m, actor, {
          tenantId,
          action: 'order.cancel',
          target: `order:${order.id}`,
          before: { state: from },
          after: { state: order.state },
        });
      return order;
    });
  }

  /** Whether a confirmed payment moves this order to Paid (money received is never dropped). */
  isPayable(order: Order): boolean {
    return acceptsPayment(order.state);
  }

  /**
   * The payment of a locked order is confirmed: Paid, then credited and Finished, in the caller's
   * transaction. Returns false (and changes nothing) when the order was already paid.
   */
  async confirmPaid(m: EntityManager, order: Order, reason: string): Promise<boolean> {
    if (!this.isPayable(order)) return false;
    const c = confirmation(order, reason);
    await this.transitions.moveThrough(m, order, c.steps, { fillRemaining: c.credit !== null });
    // Last, so the application's balance row is locked only for the end of the transaction.
    if (c.credit) await this.ledger.creditOrder(m, c.credit);
    return true;
  }

  /**
   * confirmPaid as parts of one caller's statement (the confirmation's fast path, see
   * ConfirmationFastPath): the same moves, the state listener's writes and the credit, each reading
   * FROM the one before (`gate` first), the application's balance row last. `checks`: what the
   * statement must have written, else the caller makes it fail: each CTE of `rows` one row (`moved`;
   * with a credit, `credited`), each of `counted` `expected` rows (addMoveThrough's listener CTEs).
   * Call `confirmedPaid` once the statement committed.
   */
  async addConfirmPaid(
    batch: InsertBatch,
    gate: string,
    order: Order,
    reason: string,
    opts: { at: Date; notifyUrl: string | null },
  ): Promise<{
    after: Order;
    targets: OrderState[];
    checks: { rows: string[]; expected: number; counted: string[] };
  }> {
    const c = confirmation(order, reason);
    const moved = await this.transitions.addMoveThrough(batch, 'moved', gate, order, c.steps, {
      fillRemaining: c.credit !== null,
      ...opts,
    });
    const rows = ['moved'];
    if (c.credit) {
      this.ledger.addCreditOrder(batch, 'credited', 'moved', c.credit);
      rows.push('credited');
    }
    return {
      after: moved.after,
      targets: moved.targets,
      checks: { rows, expected: moved.checks.expected, counted: moved.checks.ctes },
    };
  }

  /** After an addConfirmPaid statement committed. */
  confirmedPaid(order: Order, targets: readonly OrderState[]): void {
    this.transitions.moved(this.db.manager, order, targets);
  }

  /** Orders still open for payment whose time is up, oldest first (candidates: the expiry sweep re-checks under lock). */
  async dueForExpiry(limit: number): Promise<{ id: string; tenantId: string }[]> {
    const rows = await this.db.query<{ id: string; tenant_id: string }[]>(
      `SELECT id, tenant_id FROM orders WHERE state = ANY($2) AND expires_at < now() ORDER BY expires_at LIMIT $1`,
      [limit, OPEN_FOR_PAYMENT_STATES],
    );
    return rows.map((r) => ({ id: r.id, tenantId: r.tenant_id }));
  }

  /**
   * Lock a due order without waiting (SKIP LOCKED), so several sweepers never work on the same one.
   * Returns null when another process holds it or it is no longer open for payment and due.
   */
  async lockIfDue(m: EntityManager, tenantId: string, id: string): Promise<Order | null> {
    return m
      .getRepository(Order)
      .createQueryBuilder('o')
      .setLock('pessimistic_write')
      .setOnLocked('skip_locked')
      .where('o.id = :id AND o.tenant_id = :tenantId AND o.state = ANY(:open) AND o.expires_at < now()', {
        id,
        tenantId,
        open: OPEN_FOR_PAYMENT_STATES,
      })
      .getOne();
  }

  /** A settled refund: Refunded when the whole price is back with the payer, else PartiallyRefunded. */
  async recordRefund(m: EntityManager, order: Order, whole: boolean, reason: string): Promise<void> {
    await this.transitions.move(m, order, whole ? OrderState.Refunded : OrderState.PartiallyRefunded, reason);
  }

  async expire(m: EntityManager, order: Order): Promise<void> {
    await this.transitions.move(m, order, OrderState.Expired, 'expires_at passed');
  }
}

/**
 * What a confirmed payment does to an order (confirmPaid and addConfirmPaid): Paid then Finished, and
 * the credit of its package's amount when it has an application (then the remaining amount is filled).
 */
function confirmation(
  order: Order,
  reason: string,
): {
  steps: { to: OrderState; reason: string }[];
  credit: { tenantId: string; applicationId: string; orderId: string; amount: string } | null;
} {
  const credit =
    order.applicationId === null
      ? null
      : {
          tenantId: order.tenantId,
          applicationId: order.applicationId,
          orderId: order.id,
          amount: order.amount,
        };
  return {
    steps: [
      { to: OrderState.Paid, reason },
      { to: OrderState.Finished, reason: credit ? 'credited' : 'fulfilled' },
    ],
    credit,
  };
}
