import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { PrincipalCache } from '../auth/principal-cache';
import { AuditActor, recordAudit } from '../audit/audit-log';
import { formatAmount, Money } from '../common/money';
import { decodeCursor, encodeCursor, Page, toPage } from '../common/pagination';
import { isoMicros } from '../common/time';
import type { TenantRole } from '../tenants/membership.entity';
import { TenantErrors } from '../tenants/tenants.errors';
import type { AdminTenantDetailResponse, AdminTenantResponse } from './admin-tenant.response';

interface TenantRow {
  id: string;
  name: string;
  created_at: Date;
  suspended_at: Date | null;
  suspension_reason: string | null;
  owner_emails: string[];
}

/** A tenant row with its owners' emails; `t` is the tenants alias. */
const TENANT_COLUMNS = `t.id, t.name, t.created_at, t.suspended_at, t.suspension_reason,
  COALESCE((SELECT array_agg(u.email ORDER BY u.email) FROM memberships m JOIN users u ON u.id = m.user_id
             WHERE m.tenant_id = t.id AND m.role = 'owner'), '{}') AS owner_emails`;

/** Keyset order: the cursor carries milliseconds, so rows are ordered by their millisecond too (exact paging). */
const CREATED_MS = `date_trunc('milliseconds', t.created_at)`;

const toResponse = (r: TenantRow): AdminTenantResponse => ({
  id: r.id,
  name: r.name,
  owner_emails: r.owner_emails,
  suspended: r.suspended_at !== null,
  suspended_at: isoMicros(r.suspended_at),
  suspension_reason: r.suspended_at !== null ? r.suspension_reason : null,
  created_at: isoMicros(r.created_at),
});

/** Exact decimal text, without the column's trailing zeros ("500.000000" -> "500"). */
const decimalText = (v: string): string => new Money(v).toFixed();

/**
 * The platform operator's view of tenants: list and search, detail (never a secret), and suspension.
 * A suspension or unsuspension is audited in its own transaction and takes effect at once in this
 * process (PrincipalCache) and within AUTH_RECHECK_SECONDS in the others; signed merchant requests see
 * it at once (their nonce is written only while the tenant is not suspended: ApiNonceStore).
 */
@Injectable()
export class AdminTenantsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly access: PrincipalCache,
  ) {}

  async list(f: { q?: string; limit: number; cursor?: string }): Promise<Page<AdminTenantResponse>> {
    const after = decodeCursor(f.cursor);
    const params: unknown[] = [];
    const where: string[] = [];
    const q = f.q?.trim();
    if (q) {
      params.push(`%${q.replace(/[\\%_]/g, '\\$&')}%`, q.toLowerCase());
      where.push(`(t.name ILIKE $1 OR t.id::text = $2 OR EXISTS (
        SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.tenant_id = t.id AND m.role = 'owner' AND u.email ILIKE $1))`);
    }
    if (after) {
      params.push(after.createdAt, after.id);
      where.push(`(${CREATED_MS}, t.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(f.limit + 1);
    const rows = await this.db.query<TenantRow[]>(
      `SELECT ${TENANT_COLUMNS} FROM tenants t
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY ${CREATED_MS} DESC, t.id DESC LIMIT $${params.length}`,
      params,
    );
    return toPage(rows, f.limit, toResponse, (last) =>
      encodeCursor({ createdAt: last.created_at, id: last.id }),
    );
  }

  async detail(id: string): Promise<AdminTenantDetailResponse> {
    const tenant = await this.row(this.db.manager, id);
    const [members, providers, applications, volume] = await Promise.all([
      this.db.query<{ user_id: string; email: string; role: TenantRole }[]>(
        `SELECT m.user_id, u.email, m.role FROM memberships m JOIN users u ON u.id = m.user_id
          WHERE m.tenant_id = $1 ORDER BY m.created_at, m.user_id`,
        [id],
      ),
      // Only these columns: the sealed and the masked credentials are never read here.
      this.db.query<{ provider: string; enabled: boolean; mode: 'live' | 'test' }[]>(
        `SELECT provider, enabled, mode FROM provider_accounts WHERE tenant_id = $1 ORDER BY provider`,
        [id],
      ),
      this.db.query<{ id: string; name: string; balance: string }[]>(
        `SELECT id, name, balance::text AS balance FROM applications WHERE tenant_id = $1
          ORDER BY created_at, id`,
        [id],
      ),
      this.db.query<{ currency: string; orders: number; paid_orders: number; paid_amount: string }[]>(
        `SELECT currency, count(*)::int AS orders, count(paid_at)::int AS paid_orders,
                COALESCE(sum(price) FILTER (WHERE paid_at IS NOT NULL), 0)::text AS paid_amount
           FROM orders WHERE tenant_id = $1 GROUP BY currency ORDER BY currency`,
        [id],
      ),
    ]);
    return {
      ...toResponse(tenant),
      members,
      providers,
      applications: applications.map((a) => ({ ...a, balance: decimalText(a.balance) })),
      order_count: volume.reduce((n, v) => n + v.orders, 0),
      volume: volume.map((v) => ({ ...v, paid_amount: formatAmount(v.currency, new Money(v.paid_amount)) })),
    };
  }

  /**
   * Suspend (reason required) or unsuspend the tenant: one audit row when its state changes, in the
   * same transaction; asking for the state it already has changes nothing and writes nothing.
   */
  async setSuspended(
    actor: AuditActor,
    id: string,
    suspended: boolean,
    reason: string | undefined,
  ): Promise<AdminTenantResponse> {
    const after = await this.db.transaction(async (m) => {
      const before = await this.row(m, id, true);
      const was = before.suspended_at !== null;
      if (was === suspended) return before;
      if (suspended) {
        await m.query(`UPDATE tenants SET suspended_at = now(), suspension_reason = $2 WHERE id = $1`, [
          id,
          reason ?? null,
        ]);
      } else {
        await m.query(`UPDATE tenants SET suspended_at = NULL WHERE id = $1`, [id]);
      }
      await recordAudit(m, actor, {
        tenantId: id,
        action: suspended ? 'tenant.suspend' : 'tenant.unsuspend',
        target: `tenant:${id}`,
        before: { suspended: was, reason: was ? before.suspension_reason : null },
        after: { suspended, reason: suspended ? (reason ?? null) : null },
        data: { reason: reason ?? null },
      });
      return this.row(m, id);
    });
    this.access.invalidateTenant(id);
    return toResponse(after);
  }

  private async row(m: EntityManager, id: string, lock = false): Promise<TenantRow> {
    // FOR UPDATE OF t: the owners' subquery is not locked.
    const [row] = await m.query<TenantRow[]>(
      `SELECT ${TENANT_COLUMNS} FROM tenants t WHERE t.id = $1${lock ? ' FOR UPDATE OF t' : ''}`,
      [id],
    );
    if (!row) throw TenantErrors.tenant_not_found('tenant not found');
    return row;
  }
}
