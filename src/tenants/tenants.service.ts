import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { Membership, TenantRole } from './membership.entity';
import { Tenant } from './tenant.entity';

@Injectable()
export class TenantsService {
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

  async roleOf(manager: EntityManager, tenantId: string, userId: string): Promise<TenantRole | null> {
    const m = await manager.findOne(Membership, { where: { tenantId, userId } });
    return m?.role ?? null;
  }

  async get(manager: EntityManager, tenantId: string): Promise<Tenant | null> {
    return manager.findOne(Tenant, { where: { id: tenantId } });
  }
}
