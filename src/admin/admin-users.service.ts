import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuthErrors } from '../auth/auth.errors';
import { decodeCursor, encodeCursor, Page, toPage } from '../common/pagination';
import { isoMicros } from '../common/time';
import type { TenantRole } from '../tenants/membership.entity';
import type { AdminUserDetailResponse } from './admin-user.response';

interface UserRow {
  id: string;
  email: string;
  name: string;
  is_platform_admin: boolean;
  disabled_at: Date | null;
  created_at: Date;
  memberships: { tenant_id: string; tenant_name: string; role: TenantRole }[];
}

/**
 * A user row with its memberships; `u` is the users alias. Only these columns: the password hash is
 * never read here.
 */
const USER_COLUMNS = `u.id, u.email, u.name, u.is_platform_admin, u.disabled_at, u.created_at,
  COALESCE((SELECT json_agg(json_build_object('tenant_id', m.tenant_id, 'tenant_name', t.name, 'role', m.role)
                            ORDER BY m.created_at, m.tenant_id)
              FROM memberships m JOIN tenants t ON t.id = m.tenant_id WHERE m.user_id = u.id), '[]') AS memberships`;

/** Keyset order: the cursor carries milliseconds, so rows are ordered by their millisecond too (exact paging). */
const CREATED_MS = `date_trunc('milliseconds', u.created_at)`;

const toResponse = (r: UserRow): AdminUserDetailResponse => ({
  id: r.id,
  email: r.email,
  name: r.name,
  is_platform_admin: r.is_platform_admin,
  disabled: r.disabled_at !== null,
  disabled_at: isoMicros(r.disabled_at),
  created_at: isoMicros(r.created_at),
  memberships: r.memberships,
});

/** The platform operator's view of user accounts: list, search and detail (read only). */
@Injectable()
export class AdminUsersService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async list(f: {
    q?: string;
    disabled?: boolean;
    limit: number;
    cursor?: string;
  }): Promise<Page<AdminUserDetailResponse>> {
    const after = decodeCursor(f.cursor);
    const params: unknown[] = [];
    const where: string[] = [];
    const q = f.q?.trim();
    if (q) {
      params.push(`%${q.replace(/[\\%_]/g, '\\$&')}%`, q.toLowerCase());
      where.push(`(u.email ILIKE $1 OR u.name ILIKE $1 OR u.id::text = $2)`);
    }
    if (f.disabled !== undefined) where.push(`u.disabled_at IS ${f.disabled ? 'NOT ' : ''}NULL`);
    if (after) {
      params.push(after.createdAt, after.id);
      where.push(`(${CREATED_MS}, u.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(f.limit + 1);
    const rows = await this.db.query<UserRow[]>(
      `SELECT ${USER_COLUMNS} FROM users u
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY ${CREATED_MS} DESC, u.id DESC LIMIT $${params.length}`,
      params,
    );
    return toPage(rows, f.limit, toResponse, (last) =>
      encodeCursor({ createdAt: last.created_at, id: last.id }),
    );
  }

  async detail(id: string): Promise<AdminUserDetailResponse> {
    const [row] = await this.db.query<UserRow[]>(`SELECT ${USER_COLUMNS} FROM users u WHERE u.id = $1`, [id]);
    if (!row) throw AuthErrors.user_not_found('user not found');
    return toResponse(row);
  }
}
