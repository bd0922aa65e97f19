import { Inject, Injectable, Optional } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { InsertBatch, RowInserts, updateReturning } from '../common/sql';
import type { Order } from './order.entity';
import { canTransition, OrderState } from './order-state';
import { ORDER_STATE_LISTENER, OrderStateListener } from './order-state-listener';
import { OrderCounters } from './order-counters';
import { OrderTransition } from './order-transition.entity';
import { OrderErrors } from './orders.errors';

/**
 * The only code that changes an order's state. Each move is checked against ORDER_TRANSITIONS,
 * guarded in SQL against a concurrent move (`WHERE state = from`), and writes one history row,
 * all inside the caller's transaction.
 */
@Injectable()
export class OrderTransitionsService {
  constructor(
    @Optional() private readonly counters?: OrderCounters,
    @Optional() @Inject(ORDER_STATE_LISTENER) private readonly listener?: OrderStateListener,
  ) {}

  async move(m: EntityManager, order: Order, to: OrderState, reason: string): Promise<void> {
    const from = order.state;
    if (!canTransition(from, to)) {
      throw OrderErrors.invalid_state_transition(`an order cannot go from ${from} to ${to}`, {
        from,
        to,
      });
    }
    const stamp =
      to === OrderState.Paid
        ? ', paid_at = now()'
        : to === OrderState.Finished
          ? ', finished_at = now()'
          : '';
    const rows = await updateReturning<{ updated_at: Date; paid_at: Date | null; finished_at: Date | null }>(
      m,
      `UPDATE orders SET state = $3, updated_at = now()${stamp}
        WHERE id = $1 AND tenant_id = $2 AND state = $4
        RETURNING updated_at, paid_at, finished_at`,
      [order.id, order.tenantId, to, from],
    );
    if (rows.length !== 1) {
      throw OrderErrors.concurrent_state_change('the order changed state meanwhile; retry');
    }
    await m.insert(OrderTransition, {
      tenantId: order.tenantId,
      orderId: order.id,
      fromState: from,
      toState: to,
      reason,
    });
    order.state = to;
    order.updatedAt = rows[0].updated_at;
    order.paidAt = rows[0].paid_at;
    order.finishedAt = rows[0].finished_at;
    this.counters?.entered(m, order.payWay, [to]);
    await this.listener?.onTransitions(m, order, [to]);
  }

  /**
   * Several moves in a row (Paid then Finished), each checked against the table, applied with one
   * guarded UPDATE and one history row per move, in a single statement. `fillRemaining` sets the
   * order's remaining credits to its amount in the same UPDATE (the credit).
   */
  async moveThrough(
    m: EntityManager,
    order: Order,
    steps: readonly { to: OrderState; reason: string }[],
    opts: { fillRemaining?: boolean } = {},
  ): Promise<void> {
    const plan = planMoves(order, steps);
    const sets = moveSets(plan.targets, opts, { state: '$3', now: 'now()' });
    const rows = await m.query<
      { updated_at: Date; paid_at: Date | null; finished_at: Date | null; remaining_amount: string }[]
    >(
      `WITH u AS (
         UPDATE orders SET ${sets.join(', ')} WHERE id = $1 AND tenant_id = $2 AND state = $4
         RETURNING id, tenant_id, updated_at, paid_at, finished_at, remaining_amount),
       h AS (${HISTORY_FROM('u', '$5', '$6', '$7')})
       SELECT updated_at, paid_at, finished_at, remaining_amount FROM u`,
      [
        order.id,
        order.tenantId,
        plan.state,
        order.state,
        plan.froms,
        plan.targets,
        steps.map((s) => s.reason),
      ],
    );
    if (rows.length !== 1) {
      throw OrderErrors.concurrent_state_change('the order changed state meanwhile; retry');
    }
    order.state = plan.state;
    order.updatedAt = rows[0].updated_at;
    order.paidAt = rows[0].paid_at;
    order.finishedAt = rows[0].finished_at;
    order.remainingAmount = rows[0].remaining_amount;
    this.counters?.entered(m, order.payWay, plan.targets);
    await this.listener?.onTransitions(m, order, plan.targets);
  }

  /**
   * moveThrough as parts of one caller's statement (the confirmation's fast path, see
   * ConfirmationFastPath), with the state listener's writes (`notifyUrl`: where the order is notified,
   * as the caller read it). Adds CTE `name`: the guarded UPDATE, reading FROM `gate` so it writes
   * nothing unless `gate` yields a row, RETURNING the order's id (no row when the order is no longer
   * in its state); then its history rows and the listener's. The timestamps are `at` (a time the
   * caller read from the database) instead of now(), so what the listener writes is known before the
   * statement runs. `after` is the order as it is once the statement has written; `checks` are what
   * the statement must have written (else the caller makes it fail): `name` one row, each of the
   * listener's CTEs `ctes` `expected` rows. Call `moved` after it committed.
   */
  async addMoveThrough(
    batch: InsertBatch,
    name: string,
    gate: string,
    order: Order,
    steps: readonly { to: OrderState; reason: string }[],
    opts: { fillRemaining?: boolean; at: Date; notifyUrl: string | null },
  ): Promise<{ after: Order; targets: OrderState[]; checks: { expected: number; ctes: string[] } }> {
    const plan = planMoves(order, steps);
    const at = `${batch.param(opts.at)}::timestamptz`;
    const [id, tenantId] = [batch.param(order.id), batch.param(order.tenantId)];
    const sets = moveSets(plan.targets, opts, { state: batch.param(plan.state), now: at });
    batch
      .add(
        name,
        `UPDATE orders SET ${sets.join(', ')}
           FROM (SELECT 1 FROM ${gate} LIMIT 1) g
          WHERE orders.id = ${id} AND orders.tenant_id = ${tenantId} AND orders.state = ${batch.param(order.state)}
          RETURNING orders.id, orders.tenant_id`,
      )
      .add(
        `${name}_history`,
        HISTORY_FROM(
          name,
          batch.param(plan.froms),
          batch.param(plan.targets),
          batch.param(steps.map((s) => s.reason)),
        ),
      );
    const after = Object.assign(Object.create(Object.getPrototypeOf(order) as object) as Order, order, {
      state: plan.state,
      updatedAt: opts.at,
      ...(plan.targets.includes(OrderState.Paid) ? { paidAt: opts.at } : {}),
      ...(plan.targets.includes(OrderState.Finished) ? { finishedAt: opts.at } : {}),
      ...(opts.fillRemaining ? { remainingAmount: order.amount } : {}),
    });
    const checks = this.listener
      ? await this.listener.addTransitionWrites(
          batch,
          `${name}_notified`,
          name,
          after,
          plan.targets,
          opts.notifyUrl,
        )
      : { expected: 0, ctes: [] };
    return { after, targets: plan.targets, checks };
  }

  /** After an addMoveThrough statement wrote its row (committed: it ran in autocommit): count the moves. */
  moved(m: EntityManager, order: Order, targets: readonly OrderState[]): void {
    this.counters?.entered(m, order.payWay, targets);
  }

  /**
   * Add a new Pending order and its first history row to an insert batch (order creation's one
   * statement). The batch returns the database's timestamps; pass its first row to `created`.
   */
  addCreate(batch: RowInserts, order: Order, reason: string): void {
    order.state = OrderState.Pending;
    batch
      .row('orders', {
        id: order.id,
        tenant_id: order.tenantId,
        user_id: order.userId,
        application_id: order.applicationId,
        package_id: order.packageId,
        amount: order.amount,
        price: order.price,
        currency: order.currency,
        discount: order.discount,
        pay_way: order.payWay,
        pay_id: order.payId,
        pay_url: order.payUrl,
        pay_currency: order.payCurrency,
        chain: order.chain,
        charge_amount: order.chargeAmount,
        charge_currency: order.chargeCurrency,
        fx_rate: order.fxRate,
        state: order.state,
        remaining_amount: order.remainingAmount,
        tags: order.tags === null ? null : JSON.stringify(order.tags),
        metadata: order.metadata === null ? null : JSON.stringify(order.metadata),
        redirect_url: order.redirectUrl,
        expires_at: order.expiresAt,
        merchant_order_no: order.merchantOrderNo ?? null,
        notify_url: order.notifyUrl ?? null,
        product_name: order.productName ?? null,
        meta: order.meta ?? null,
      })
      .row('order_transitions', {
        tenant_id: order.tenantId,
        order_id: order.id,
        from_state: null,
        to_state: order.state,
        reason,
      })
      .returning('orders', 'id, created_at, updated_at');
  }

  /** Take the timestamps an addCreate batch returned. */
  created(order: Order, row: { created_at: Date; updated_at: Date }): void {
    order.createdAt = row.created_at;
    order.updatedAt = row.updated_at;
    this.counters?.orderCreated(order.payWay);
  }
}

/** Check each move against ORDER_TRANSITIONS: the state reached and each move's from and to. */
function planMoves(
  order: Order,
  steps: readonly { to: OrderState; reason: string }[],
): { state: OrderState; targets: OrderState[]; froms: OrderState[] } {
  let state = order.state;
  for (const step of steps) {
    if (!canTransition(state, step.to)) {
      throw OrderErrors.invalid_state_transition(`an order cannot go from ${state} to ${step.to}`, {
        from: state,
        to: step.to,
      });
    }
    state = step.to;
  }
  const targets = steps.map((s) => s.to);
  return { state, targets, froms: [order.state, ...targets.slice(0, -1)] };
}

/** The SET list of a move through `targets`: `sql.state` is the new state's placeholder, `sql.now` the time. */
function moveSets(
  targets: readonly OrderState[],
  opts: { fillRemaining?: boolean },
  sql: { state: string; now: string },
): string[] {
  const now = sql.now;
  return [
    `state = ${sql.state}`,
    `updated_at = ${now}`,
    ...(targets.includes(OrderState.Paid) ? [`paid_at = ${now}`] : []),
    ...(targets.includes(OrderState.Finished) ? [`finished_at = ${now}`] : []),
    ...(opts.fillRemaining ? ['remaining_amount = amount'] : []),
  ];
}

/** The history rows of a move, one per step in order, for the order `u` returned (nothing when none). */
const HISTORY_FROM = (u: string, froms: string, targets: string, reasons: string): string =>
  `INSERT INTO order_transitions (tenant_id, order_id, from_state, to_state, reason)
   SELECT ${u}.tenant_id, ${u}.id, s.from_state, s.to_state, s.reason
     FROM ${u}, unnest(${froms}::text[], ${targets}::text[], ${reasons}::text[]) WITH ORDINALITY AS s(from_state, to_state, reason, n)
    ORDER BY s.n`;
