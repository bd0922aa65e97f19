import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AuditActor, recordAudit } from '../audit/audit-log';
import { isLiteralPrivateHost } from '../common/receiver-address';
import { AppConfig } from '../config/app-config';
import { UpdateTenantSettingsDto } from './dto/tenant-settings.dto';
import { Membership, TenantRole } from './membership.entity';
import { Tenant } from './tenant.entity';
import { TenantErrors } from './tenants.errors';
import { CommonErrors } from '../common/common.errors';

export interface TenantSettings {
  webhookUrl: string | null;
  orderTtlSeconds: number | null;
}

/** The settings as the API shows them (and the audit log stores them). */
const settingsJson = (s: TenantSettings): Record<string, unknown> => ({
  webhook_url: s.webhookUrl,
  order_ttl_seconds: s.orderTtlSeconds,
});

@Injectable()
export class TenantsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: AppConfig,
  ) {}

  /** Create a tenant owned by `ownerId`, inside the caller's transaction. */
  async createWithOwner(manager: EntityManager, name: string, ownerId: string): Promise<Tenant> {
    const tenant = manager.create(Tenant, { id: randomUUID(), name });
    await manager.insert(Tenant, tenant);
    await manager.insert(Membership, { tenantId: tenant.id, userId: ownerId, role: 'owner' });
    return tenant;
  }

  /** The membership a login lands in: the oldest owned tenant, else the oldest membership. */
  async primaryMembership(
    manager: EntityManager,
    userId: string,
  ): Promise<(Membership & { tenantName: string }) | null> {
    const rows = await manager.query<{ tenant_id: string; role: TenantRole; name: string }[]>(
      `SELECT m.tenant_id, m.role, t.name FROM memberships m JOIN tenants t ON t.id = m.tenant_id
        WHERE m.user_id = $1 ORDER BY (m.role = 'owner') DESC, m.created_at ASC LIMIT 1`,
      [userId],
    );
    const row = rows[0];
    if (!row) return null;
    return Object.assign(new Membership(), {
      tenantId: row.tenant_id,
      userId,
      role: row.role,
      tenantName: row.name,
    });
  }

  /** The user's membership of this tenant (with the tenant's name), or null. */
  async membershipOf(
    manager: EntityManager,
    tenantId: string,
    userId: string,
  ): Promise<(Membership & { tenantName: string }) | null> {
    const rows = await manager.query<{ role: TenantRole; name: string }[]>(
      `SELECT m.role, t.name FROM memberships m JOIN tenants t ON t.id = m.tenant_id
        WHERE m.tenant_id = $1 AND m.user_id = $2`,
      [tenantId, userId],
    );
    const row = rows[0];
    if (!row) return null;
    return Object.assign(new Membership(), { tenantId, userId, role: row.role, tenantName: row.name });
  }

  async roleOf(manager: EntityManager, tenantId: string, userId: string): Promise<TenantRole | null> {
    const m = await manager.findOne(Membership, { where: { tenantId, userId } });
    return m?.role ?? null;
  }

  async get(manager: EntityManager, tenantId: string): Promise<Tenant | null> {
    return manager.findOne(Tenant, { where: { id: tenantId } });
  }

  async settings(
    tenantId: string,
    m: EntityManager = this.db.manager,
    lock = false,
  ): Promise<TenantSettings> {
    const t = await m.findOne(Tenant, {
      where: { id: tenantId },
      ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
    if (!t) throw TenantErrors.tenant_not_found('tenant not found');
    return { webhookUrl: t.webhookUrl, orderTtlSeconds: t.orderTtlSeconds };
  }

  /**
   * Change the fields given (null clears one). A webhook URL at a literal private address is refused.
   * A change is audited (`tenant.settings.update`, before/after) in its transaction; a PATCH that
   * changes nothing writes nothing.
   */
  async updateSettings(
    actor: AuditActor,
    tenantId: string,
    dto: UpdateTenantSettingsDto,
  ): Promise<TenantSettings> {
    const set: Partial<Tenant> = {};
    if (dto.webhook_url !== undefined) {
      if (
        dto.webhook_url !== null &&
        !this.config.notifyAllowPrivate &&
        isLiteralPrivateHost(dto.webhook_url)
      ) {
        const problem = 'webhook_url must not point to a private or loopback address';
        throw CommonErrors.validation_failed(problem, {
          fields: [{ field: 'webhook_url', problems: [problem] }],
        });
      }
      set.webhookUrl = dto.webhook_url;
    }
    if (dto.order_ttl_seconds !== undefined) set.orderTtlSeconds = dto.order_ttl_seconds;
    return this.db.transaction(async (m) => {
      const before = await this.settings(tenantId, m, true);
      if (Object.keys(set).length === 0) return before;
      await m.update(Tenant, { id: tenantId }, set);
      const after = await this.settings(tenantId, m);
      const changed = (Object.keys(set) as (keyof TenantSettings)[]).filter((k) => before[k] !== after[k]);
      if (changed.length === 0) return after;
      await recordAudit(m, actor, {
        tenantId,
        action: 'tenant.settings.update',
        target: `tenant:${tenantId}`,
        before: settingsJson(before),
        after: settingsJson(after),
      });
      return after;
    });
  }
}
