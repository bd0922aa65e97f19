import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
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

  async settings(tenantId: string): Promise<TenantSettings> {
    const t = await this.get(this.db.manager, tenantId);
    if (!t) throw TenantErrors.tenant_not_found('tenant not found');
    return { webhookUrl: t.webhookUrl, orderTtlSeconds: t.orderTtlSeconds };
  }

  /** Change the fields given (null clears one). A webhook URL at a literal private address is refused. */
  async updateSettings(tenantId: string, dto: UpdateTenantSettingsDto): Promise<TenantSettings> {
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
    if (Object.keys(set).length > 0) await this.db.getRepository(Tenant).update({ id: tenantId }, set);
    return this.settings(tenantId);
  }
}
