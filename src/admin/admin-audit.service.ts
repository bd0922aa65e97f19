import { toPage } from '../common/pagination';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CommonErrors } from '../common/common.errors';
import { CURRENCY_SCALE, formatAmount, Money } from '../common/money';
import type {
  AdminAuditEntryResponse,
  AttentionItemResponse,
  AttentionKind,
  AttentionListResponse,
} from './admin-audit.response';
import type { AdminAuditQueryDto } from './dto/admin-audit.dto';

/** A timestamp column as ISO-8601 UTC text with its six fractional digits, exact (no JS Date). */
const ts = (col: string): string => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Where the previous page ended: the last row's created_at (exact text) and id. */
interface AuditCursor {
  key: string;
  id: string;
}

const TIMESTAMP_KEY = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const BIGINT_KEY = /^[1-9]\d{0,18}$/;

const encodeCursor = (c: AuditCursor): string =>
  Buffer.from(JSON.stringify(['audit', c.key, c.id])).toString('base64url');

/** The cursor, checked: everything in it goes into SQL. */
function decodeCursor(raw: string): AuditCursor {
  try {
    const v: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'string')) {
      const [kind, key, id] = v;
      if (
        kind === 'audit' &&
        TIMESTAMP_KEY.test(key) &&
        !Number.isNaN(new Date(key).getTime()) &&
        BIGINT_KEY.test(id)
      )
        return { key, id };
    }
  } catch {
    // fall through to the error below
  }
  throw CommonErrors.invalid_cursor('cursor is not valid', { field: 'cursor' });
}

interface AuditRow {
  id: string;
  actor_id: string;
  actor_email: string | null;
  tenant_id: string | null;
  tenant_name: string | null;
  action: string;
  target: string;
  data: unknown;
  request_id: string | null;
  ip: string | null;
  created_at: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The stored value under the first of `keys` the row has (`before`/`from`, `after`/`to`), else null. */
const stored = (data: Record<string, unknown>, keys: string[]): unknown => {
  for (const k of keys) if (k in data) return data[k] ?? null;
  return null;
};

function toAuditEntry(r: AuditRow): AdminAuditEntryResponse {
  const data = isRecord(r.data) ? r.data : { value: r.data };
  const colon = r.target.indexOf(':');
  return {
    id: r.id,
    actor_id: r.actor_id,
    actor_email: r.actor_email,
    tenant_id: r.tenant_id,
    tenant_name: r.tenant_name,
    action: r.action,
    target: r.target,
    target_type: colon < 0 ? r.target : r.target.slice(0, colon),
    target_id: colon < 0 ? '' : r.target.slice(colon + 1),
    before: stored(data, ['before', 'from']),
    after: stored(data, ['after', 'to']),
    data,
    request_id: r.request_id,
    ip: r.ip,
    created_at: r.created_at,
  };
}

interface AttentionRow {
  kind: AttentionKind;
  id: string;
  tenant_id: string;
  order_id: string;
  since: string;
  detail: string | null;
  amount: string | null;
  currency: string | null;
  attempts: number | null;
  status: string | null;
  last_status_code: number | null;
  last_error: string | null;
}

const clip = (text: string, max = 200): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

function attentionReason(r: AttentionRow): string {
  switch (r.kind) {
    case 'payment_flagged':
      return clip(r.detail ?? 'confirmation disagreed with the payment attempt');
    case 'x402_settle_unknown':
      return clip(`x402 settle outcome unknown${r.detail ? `: ${r.detail}` : ''}`);
    case 'refund_pending': {
      const amount =
        r.amount === null || r.currency === null
          ? ''
          : ` of ${CURRENCY_SCALE[r.currency] !== undefined ? formatAmount(r.currency, new Money(r.amount)) : new Money(r.amount).toFixed()} ${r.currency}`;
      return `refund${amount} pending for more than an hour`;
    }
    case 'notification_failing': {
      const last =
        r.last_status_code !== null
          ? `HTTP ${r.last_status_code}`
          : r.last_error
            ? r.last_error
            : 'no answer';
      const head =
        r.status === 'failed'
          ? `notification given up after ${r.attempts ?? 0} attempts`
          : `notification not delivered after ${r.attempts ?? 0} attempts`;
      return clip(`${head}; last: ${last}`);
    }
  }
}

/**
 * Read models for platform operators: the audit log with filters and keyset pages, and the queue of
 * what needs an operator. Read-only, straight from the tables.
 */
@Injectable()
export class AdminAuditService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** One page of audit rows, newest first ((created_at, id) descending: stable under ties). */
  async list(
    f: Omit<AdminAuditQueryDto, 'limit' | 'cursor'>,
    limit: number,
    cursor?: string,
  ): Promise<{ data: AdminAuditEntryResponse[]; has_more: boolean; next_cursor: string | null }> {
    const after = cursor ? decodeCursor(cursor) : undefined;
    const params: unknown[] = [];
    const p = (v: unknown): string => {
      params.push(v);
      return `$${params.length}`;
    };
    const where: string[] = [];
    if (f.tenant_id) where.push(`a.tenant_id = ${p(f.tenant_id)}`);
    if (f.actor_id) where.push(`a.actor_id = ${p(f.actor_id)}`);
    if (f.action) where.push(`a.action = ${p(f.action)}`);
    if (f.target_type && f.target_id !== undefined)
      where.push(`a.target = ${p(`${f.target_type}:${f.target_id}`)}`);
    else if (f.target_type) where.push(`starts_with(a.target, ${p(`${f.target_type}:`)})`);
    else if (f.target_id !== undefined)
      where.push(`substr(a.target, strpos(a.target, ':') + 1) = ${p(f.target_id)}`);
    if (f.request_id) where.push(`a.request_id = ${p(f.request_id)}`);
    if (f.from) where.push(`a.created_at >= ${p(f.from)}::timestamptz`);
    if (f.to) where.push(`a.created_at < ${p(f.to)}::timestamptz`);
    if (after) where.push(`(a.created_at, a.id) < (${p(after.key)}::timestamptz, ${p(after.id)}::bigint)`);
    const rows = await this.db.query<(AuditRow & { sort_key: string })[]>(
      `SELECT a.id::text AS id, a.actor_id, u.email AS actor_email, a.tenant_id, t.name AS tenant_name,
              a.action, a.target, a.data, a.request_id, a.ip, ${ts('a.created_at')} AS created_at, ${ts('a.created_at')} AS sort_key
         FROM audit_log a
         LEFT JOIN users u ON u.id = a.actor_id
         LEFT JOIN tenants t ON t.id = a.tenant_id
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY a.created_at DESC, a.id DESC
        LIMIT ${p(limit + 1)}`,
      params,
    );
    return toPage(rows, limit, toAuditEntry, (last) => encodeCursor({ key: last.sort_key, id: last.id }));
  }

  /**
   * What needs an operator, oldest first: payments flagged for a mismatch that no operator resolved,
   * x402 settles of unknown outcome, refunds pending for more than an hour, and notifications given up
   * or not delivered after three attempts or more.
   */
  async attention(
    scope: { tenantId?: string },
    limit: number,
    orderUrl: (orderId: string) => string = (id) => `/api/v1/admin/orders/${id}/timeline`,
  ): Promise<AttentionListResponse> {
    const rows = await this.db.query<(AttentionRow & { since_at: Date })[]>(
      `WITH items AS (
         SELECT 'payment_flagged' AS kind, p.id, p.tenant_id, p.order_id,
                COALESCE((SELECT min(e.received_at) FROM provider_events e
                           WHERE e.payment_id = p.id AND e.outcome = 'flagged'), p.updated_at) AS since_at,
                p.flag_reason AS detail, NULL::text AS amount, NULL::text AS currency, NULL::int AS attempts,
                NULL::text AS status, NULL::int AS last_status_code, NULL::text AS last_error
           FROM payments p
          WHERE p.flag_reason IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM audit_log a
                             WHERE a.target = 'payment:' || p.id::text AND a.action = 'payment.resolve')
         UNION ALL
         SELECT 'x402_settle_unknown', p.id, p.tenant_id, p.order_id,
                CASE WHEN p.action->'settling'->>'started_at' ~ '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$'
                     THEN (p.action->'settling'->>'started_at')::timestamptz ELSE p.updated_at END,
                p.action->'settling'->>'reason', NULL, NULL, NULL, NULL, NULL, NULL
           FROM payments p
          WHERE p.provider = 'x402' AND p.action->'settling'->>'phase' = 'unknown'
         UNION ALL
         SELECT 'refund_pending', r.id, r.tenant_id, r.order_id, r.created_at,
                NULL, r.amount::text, r.currency, NULL, NULL, NULL, NULL
           FROM refunds r
          WHERE r.status = 'pending' AND r.created_at < now() - interval '1 hour'
         UNION ALL
         SELECT 'notification_failing', n.id, n.tenant_id, n.order_id, n.created_at,
                NULL, NULL, NULL, n.attempts, n.status, last.status_code, last.error
           FROM notifications n
           LEFT JOIN LATERAL (
             SELECT a.status_code, a.error FROM notification_attempts a
              WHERE a.notification_id = n.id ORDER BY a.attempted_at DESC, a.attempt DESC LIMIT 1
           ) last ON true
          WHERE n.status = 'failed' OR (n.status <> 'delivered' AND n.attempts >= 3)
       )
       SELECT kind, id, tenant_id, order_id, ${ts('since_at')} AS since, detail, amount, currency, attempts,
              status, last_status_code, last_error
         FROM items WHERE ($2::uuid IS NULL OR tenant_id = $2::uuid)
        ORDER BY since_at, kind, id LIMIT $1`,
      [limit + 1, scope.tenantId ?? null],
    );
    const data: AttentionItemResponse[] = rows.slice(0, limit).map((r) => ({
      kind: r.kind,
      id: r.id,
      tenant_id: r.tenant_id,
      order_id: r.order_id,
      order_url: orderUrl(r.order_id),
      reason: attentionReason(r),
      since: r.since,
    }));
    return { data, has_more: rows.length > limit };
  }
}
