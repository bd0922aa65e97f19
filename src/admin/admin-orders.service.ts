import { toPage } from '../common/pagination';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { isUUID } from 'class-validator';
import { DataSource } from 'typeorm';
import { CommonErrors } from '../common/common.errors';
import { CURRENCY_SCALE, formatAmount, Money } from '../common/money';
import { orderFilterConditions } from '../orders/order-filters';
import { OrderState } from '../orders/order-state';
import { OrderErrors } from '../orders/orders.errors';
import {
  AdminOrderResponse,
  AdminOrderTimelineResponse,
  TimelineAuditEntry,
  TimelineDeliveryAttempt,
  TimelineLedgerEntry,
  TimelineNotification,
  TimelinePayment,
  TimelineProviderEvent,
  TimelineRefund,
  TimelineTransition,
} from './admin-orders.response';
import type { AdminOrderSort, AdminOrdersExportQueryDto } from './dto/admin-orders.dto';

/** A timestamp column as ISO-8601 UTC text with its six fractional digits, exact (no JS Date). */
const ts = (col: string): string => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Exact decimal text without trailing zeros ("500.000000" -> "500"). */
const decimal = (text: string): string => new Money(text).toFixed();
const decimalOrNull = (text: string | null): string | null => (text === null ? null : decimal(text));
/** An amount at its currency's scale ("49.990000000000000000" USD -> "49.99"). */
const money = (currency: string | null, text: string): string =>
  currency !== null && CURRENCY_SCALE[currency] !== undefined
    ? formatAmount(currency, new Money(text))
    : decimal(text);

/**
 * Whose orders: `tenantId` set (a merchant's staff: their own tenant, whatever the filters say), or
 * unset (a platform operator: every tenant, the `tenant_id` filter may narrow it).
 */
export interface OrderScope {
  tenantId?: string;
}

/** The sort: a key column and a direction; id breaks ties in the same direction. */
interface SortSpec {
  sort: AdminOrderSort;
  dir: 'asc' | 'desc';
}

/** Where the previous page ended: the sort it was read with, the last row's key (exact text) and id. */
interface OrderCursor extends SortSpec {
  key: string;
  id: string;
}

const SORT_COLUMN: Record<AdminOrderSort, { column: string; keyText: string; cast: string }> = {
  created_at: { column: 'o.created_at', keyText: ts('o.created_at'), cast: 'timestamptz' },
  amount: { column: 'o.price', keyText: 'o.price::text', cast: 'numeric' },
};

const TIMESTAMP_KEY = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const DECIMAL_KEY = /^\d{1,20}(?:\.\d{1,18})?$/;

function encodeCursor(c: OrderCursor): string {
  return Buffer.from(JSON.stringify([c.sort, c.dir, c.key, c.id])).toString('base64url');
}

/** The cursor, checked against the sort it is used with: everything in it goes into SQL. */
function decodeCursor(raw: string, spec: SortSpec): OrderCursor {
  try {
    const v: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 4 && v.every((x) => typeof x === 'string')) {
      const [sort, dir, key, id] = v;
      const keyOk =
        sort === 'created_at'
          ? TIMESTAMP_KEY.test(key) && !Number.isNaN(new Date(key).getTime())
          : DECIMAL_KEY.test(key);
      if (sort === spec.sort && dir === spec.dir && keyOk && isUUID(id)) return { ...spec, key, id };
    }
  } catch {
    // fall through to the error below
  }
  throw CommonErrors.invalid_cursor('cursor is not valid (or was made for another sort)', {
    field: 'cursor',
  });
}

interface OrderRow {
  id: string;
  tenant_id: string;
  user_id: string | null;
  application_id: string | null;
  package_id: string | null;
  amount: string;
  price: string;
  currency: string;
  discount: string;
  pay_way: string;
  pay_id: string | null;
  pay_url: string | null;
  merchant_order_no: string | null;
  product_name: string | null;
  state: OrderState;
  remaining_amount: string;
  tags: string[] | null;
  metadata: Record<string, string> | null;
  pay_currency: string | null;
  chain: string | null;
  charge_amount: string | null;
  charge_currency: string | null;
  fx_rate: string | null;
  created_at: string;
  updated_at: string;
  expires_at: string;
  paid_at: string | null;
  finished_at: string | null;
  flagged: boolean;
  sort_key: string;
}

/** The order columns as text (money and times exact), and whether any of its payments was flagged. */
const ORDER_COLUMNS = `
  o.id, o.tenant_id, o.user_id, o.application_id, o.package_id, o.amount::text AS amount,
  o.price::text AS price, o.currency, o.discount::text AS discount, o.pay_way, o.pay_id, o.pay_url,
  o.merchant_order_no, o.product_name, o.state, o.remaining_amount::text AS remaining_amount, o.tags,
  o.metadata, o.pay_currency, o.chain, o.charge_amount::text AS charge_amount, o.charge_currency,
  o.fx_rate::text AS fx_rate, ${ts('o.created_at')} AS created_at, ${ts('o.updated_at')} AS updated_at,
  ${ts('o.expires_at')} AS expires_at, ${ts('o.paid_at')} AS paid_at, ${ts('o.finished_at')} AS finished_at,
  EXISTS (SELECT 1 FROM payments fp WHERE fp.order_id = o.id AND fp.flag_reason IS NOT NULL) AS flagged`;

const toAdminOrder = (r: OrderRow): AdminOrderResponse => ({
  id: r.id,
  tenant_id: r.tenant_id,
  user_id: r.user_id,
  application_id: r.application_id,
  package_id: r.package_id,
  merchant_order_no: r.merchant_order_no,
  product_name: r.product_name,
  amount: decimal(r.amount),
  price: money(r.currency, r.price),
  discount: decimal(r.discount),
  currency: r.currency,
  pay_way: r.pay_way,
  pay_id: r.pay_id,
  pay_url: r.pay_url,
  state: r.state,
  remaining_amount: decimal(r.remaining_amount),
  tags: r.tags,
  metadata: r.metadata,
  created_at: r.created_at,
  updated_at: r.updated_at,
  expires_at: r.expires_at,
  paid_at: r.paid_at,
  finished_at: r.finished_at,
  pay_currency: r.pay_currency,
  chain: r.chain,
  charge_amount: r.charge_amount === null ? null : money(r.charge_currency, r.charge_amount),
  charge_currency: r.charge_currency,
  fx_rate: decimalOrNull(r.fx_rate),
  flagged: r.flagged,
});

export interface AdminOrderPage {
  data: AdminOrderResponse[];
  has_more: boolean;
  next_cursor: string | null;
}

/**
 * The platform operator's read model of orders across tenants: list with filters and keyset pages,
 * a batched export, and an order's whole timeline. Read-only, straight from the tables.
 */
@Injectable()
export class AdminOrdersService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** One page, in the given sort, after `cursor` (keyset on (key, id): stable under ties). */
  async list(
    scope: OrderScope,
    f: AdminOrdersExportQueryDto,
    limit: number,
    cursor?: string,
  ): Promise<AdminOrderPage> {
    const spec: SortSpec = { sort: f.sort ?? 'created_at', dir: f.order ?? 'desc' };
    const after = cursor ? decodeCursor(cursor, spec) : undefined;
    const rows = await this.page(scope, f, spec, limit + 1, after);
    return toPage(rows, limit, toAdminOrder, (last) =>
      encodeCursor({ ...spec, key: last.sort_key, id: last.id }),
    );
  }

  /** Every matching order, read `batch` rows at a time in the list's order: never all in memory. */
  async *each(
    scope: OrderScope,
    f: AdminOrdersExportQueryDto,
    batch = 500,
  ): AsyncGenerator<AdminOrderResponse> {
    const spec: SortSpec = { sort: f.sort ?? 'created_at', dir: f.order ?? 'desc' };
    let after: OrderCursor | undefined;
    for (;;) {
      const rows = await this.page(scope, f, spec, batch, after);
      for (const r of rows) yield toAdminOrder(r);
      const last = rows[rows.length - 1];
      if (rows.length < batch || !last) return;
      after = { ...spec, key: last.sort_key, id: last.id };
    }
  }

  private async page(
    scope: OrderScope,
    f: AdminOrdersExportQueryDto,
    spec: SortSpec,
    limit: number,
    after: OrderCursor | undefined,
  ): Promise<OrderRow[]> {
    const params: unknown[] = [];
    const p = (v: unknown): string => {
      params.push(v);
      return `$${params.length}`;
    };
    const where = orderFilterConditions(f, p);
    if (scope.tenantId) where.push(`o.tenant_id = ${p(scope.tenantId)}`);
    const col = SORT_COLUMN[spec.sort];
    const dir = spec.dir === 'asc' ? 'ASC' : 'DESC';
    if (after)
      where.push(
        `(${col.column}, o.id) ${spec.dir === 'asc' ? '>' : '<'} (${p(after.key)}::${col.cast}, ${p(after.id)}::uuid)`,
      );
    return this.db.query<OrderRow[]>(
      `SELECT ${ORDER_COLUMNS}, ${col.keyText} AS sort_key FROM orders o
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY ${col.column} ${dir}, o.id ${dir}
        LIMIT ${p(limit)}`,
      params,
    );
  }

  /** One order as the list shows it, in the scope; 404 when there is no such order there. */
  async get(scope: OrderScope, id: string): Promise<AdminOrderResponse> {
    return toAdminOrder(await this.row(scope, id));
  }

  private async row(scope: OrderScope, id: string): Promise<OrderRow> {
    const [order] = await this.db.query<OrderRow[]>(
      `SELECT ${ORDER_COLUMNS}, '' AS sort_key FROM orders o
        WHERE o.id = $1 AND ($2::uuid IS NULL OR o.tenant_id = $2::uuid)`,
      [id, scope.tenantId ?? null],
    );
    if (!order) throw OrderErrors.order_not_found('order not found');
    return order;
  }

  /** Everything about one order in the scope, in one read; 404 when there is no such order there. */
  async timeline(scope: OrderScope, id: string): Promise<AdminOrderTimelineResponse> {
    const order = await this.row(scope, id);
    // $1 the order, $2 its tenant (the tables' indexes lead with tenant_id).
    const q = <T>(sql: string, params: unknown[] = [id, order.tenant_id]): Promise<T[]> =>
      this.db.query<T[]>(sql, params);
    const [transitions, payments, events, ledger, refunds, notifications, deliveries] = await Promise.all([
      q<TimelineTransition>(
        `SELECT id::text AS id, from_state, to_state, reason, ${ts('created_at')} AS created_at
           FROM order_transitions t WHERE t.order_id = $1 AND t.tenant_id = $2 ORDER BY t.id`,
      ),
      q<TimelinePayment & { amount: string; fx_rate: string | null }>(
        `SELECT id, provider, method, status, amount::text AS amount, currency, fx_rate::text AS fx_rate,
                provider_ref, action, route, flag_reason, flag_reason IS NOT NULL AS flagged,
                ${ts('created_at')} AS created_at, ${ts('updated_at')} AS updated_at
           FROM payments p WHERE p.tenant_id = $2 AND p.order_id = $1 ORDER BY p.created_at, p.id`,
      ),
      q<TimelineProviderEvent>(
        `SELECT e.id, e.provider, e.event_id, e.type, e.payment_id, e.outcome, e.note,
                e.outcome = 'flagged' AS mismatch, e.payload, ${ts('e.received_at')} AS received_at
           FROM provider_events e JOIN payments p ON p.id = e.payment_id
          WHERE p.tenant_id = $2 AND p.order_id = $1 ORDER BY e.received_at, e.id`,
      ),
      q<TimelineLedgerEntry>(
        `SELECT id, application_id, kind, reference, amount::text AS amount,
                balance_after::text AS balance_after, ${ts('created_at')} AS created_at
           FROM ledger_entries l WHERE l.tenant_id = $2 AND l.order_id = $1 ORDER BY l.created_at, l.id`,
      ),
      q<TimelineRefund>(
        `SELECT id, payment_id, provider, status, amount::text AS amount, currency,
                charge_amount::text AS charge_amount, charge_currency, credits::text AS credits, reason,
                forced, provider_refund_id, failure_message, created_by,
                ${ts('created_at')} AS created_at, ${ts('updated_at')} AS updated_at
           FROM refunds r WHERE r.tenant_id = $2 AND r.order_id = $1 ORDER BY r.created_at, r.id`,
      ),
      q<Omit<TimelineNotification, 'deliveries'>>(
        `SELECT id, event, url, status, body, attempts, ${ts('next_attempt_at')} AS next_attempt_at,
                ${ts('created_at')} AS created_at, ${ts('delivered_at')} AS delivered_at
           FROM notifications n WHERE n.tenant_id = $2 AND n.order_id = $1 ORDER BY n.seq`,
      ),
      q<TimelineDeliveryAttempt & { notification_id: string }>(
        `SELECT a.notification_id, a.attempt, ${ts('a.attempted_at')} AS attempted_at, a.status_code,
                a.latency_ms, a.body_excerpt, a.error, a.success
           FROM notification_attempts a JOIN notifications n ON n.id = a.notification_id
          WHERE n.tenant_id = $2 AND n.order_id = $1 ORDER BY a.attempted_at, a.attempt`,
      ),
    ]);
    // Audit rows name their target: the order, one of its payments, refunds or notifications.
    const targets = [
      `order:${id}`,
      ...payments.map((p) => `payment:${p.id}`),
      ...refunds.map((r) => `refund:${r.id}`),
      ...notifications.map((n) => `notification:${n.id}`),
    ];
    const audit = await q<TimelineAuditEntry>(
      `SELECT id::text AS id, actor_id, action, target, data, ${ts('created_at')} AS created_at
         FROM audit_log a WHERE a.target = ANY($1::text[]) ORDER BY a.id`,
      [targets],
    );
    return {
      order: toAdminOrder(order),
      transitions,
      payments: payments.map((p) => ({
        ...p,
        amount: money(p.currency, p.amount),
        fx_rate: decimalOrNull(p.fx_rate),
      })),
      provider_events: events,
      ledger_entries: ledger.map((l) => ({
        ...l,
        amount: decimal(l.amount),
        balance_after: decimal(l.balance_after),
      })),
      refunds: refunds.map((r) => ({
        ...r,
        amount: money(r.currency, r.amount),
        charge_amount: money(r.charge_currency, r.charge_amount),
        credits: decimal(r.credits),
      })),
      notifications: notifications.map((n) => ({
        ...n,
        deliveries: deliveries
          .filter((d) => d.notification_id === n.id)
          .map(({ notification_id: _, ...d }) => d),
      })),
      audit_entries: audit,
    };
  }
}
