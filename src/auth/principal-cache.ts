import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import type { TenantRole } from '../tenants/membership.entity';

/** What a token's holder may do now, as the database says (not as the token claimed). */
export interface CurrentAccess {
  /** null: the user no longer exists. */
  exists: boolean;
  disabled: boolean;
  platformAdmin: boolean;
  /** null: no membership of this tenant (removed). */
  role: TenantRole | null;
  /** The tenant is suspended by a platform operator. */
  tenantSuspended: boolean;
  /** When the password was last reset (epoch ms): JWTs and sessions issued before it are refused. */
  passwordChangedAt: number | null;
}

interface Entry {
  access: Promise<CurrentAccess>;
  loadedAt: number;
}

/** Past this many (user, tenant) pairs the cache starts over (entries are simply loaded again). */
const MAX_ENTRIES = 50_000;

/**
 * The current role, platform-admin flag, disabled flag and tenant suspension per (user, tenant), read
 * from the database (one query) at most once every AUTH_RECHECK_SECONDS per process, so a demotion, a
 * removal, a disabling or a suspension made anywhere takes effect within that bound while a request
 * with a fresh entry costs no query. Changes made by this process (disable, enable, revoke, suspend)
 * invalidate at once. Concurrent misses for one pair share a single query.
 */
@Injectable()
export class PrincipalCache {
  /** By user, then tenant: a user's entries are dropped together (invalidateUser runs at every login). */
  private readonly byUser = new Map<string, Map<string, Entry>>();
  private size = 0;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: AppConfig,
  ) {}

  get(userId: string, tenantId: string): Promise<CurrentAccess> {
    const now = Date.now();
    const hit = this.byUser.get(userId)?.get(tenantId);
    if (hit && now - hit.loadedAt < this.config.authRecheckSeconds * 1000) return hit.access;
    // Past the bound everything is dropped and simply loaded again.
    if (!hit && this.size >= MAX_ENTRIES) this.clear();
    let tenants = this.byUser.get(userId);
    if (!tenants) this.byUser.set(userId, (tenants = new Map<string, Entry>()));
    const entry: Entry = { access: this.load(userId, tenantId), loadedAt: now };
    if (!hit) this.size++;
    tenants.set(tenantId, entry);
    // A failed read is not remembered: the next request asks again.
    entry.access.catch(() => {
      const current = this.byUser.get(userId);
      if (current?.get(tenantId) === entry) {
        current.delete(tenantId);
        this.size--;
      }
    });
    return entry.access;
  }

  /**
   * Forget every entry of this user (a login; disabled, enabled, password reset, role changed or
   * removed by this process).
   */
  invalidateUser(userId: string): void {
    const tenants = this.byUser.get(userId);
    if (!tenants) return;
    this.size -= tenants.size;
    this.byUser.delete(userId);
  }

  /** Forget every entry of this tenant (suspended or unsuspended by this process). */
  invalidateTenant(tenantId: string): void {
    for (const [userId, tenants] of this.byUser) {
      if (!tenants.delete(tenantId)) continue;
      this.size--;
      if (tenants.size === 0) this.byUser.delete(userId);
    }
  }

  private clear(): void {
    this.byUser.clear();
    this.size = 0;
  }

  private async load(userId: string, tenantId: string): Promise<CurrentAccess> {
    const rows = await this.db.query<
      {
        is_platform_admin: boolean;
        disabled: boolean;
        role: TenantRole | null;
        suspended: boolean | null;
        password_changed_at: Date | null;
      }[]
    >(
      `SELECT u.is_platform_admin, u.disabled_at IS NOT NULL AS disabled, m.role,
              t.suspended_at IS NOT NULL AS suspended, u.password_changed_at
         FROM users u
         LEFT JOIN memberships m ON m.user_id = u.id AND m.tenant_id = $2
         LEFT JOIN tenants t ON t.id = $2
        WHERE u.id = $1`,
      [userId, tenantId],
    );
    const row = rows[0];
    if (!row)
      return {
        exists: false,
        disabled: false,
        platformAdmin: false,
        role: null,
        tenantSuspended: false,
        passwordChangedAt: null,
      };
    return {
      exists: true,
      disabled: row.disabled,
      platformAdmin: row.is_platform_admin,
      role: row.role,
      tenantSuspended: row.suspended === true,
      passwordChangedAt: row.password_changed_at ? new Date(row.password_changed_at).getTime() : null,
    };
  }
}
