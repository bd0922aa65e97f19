import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PreparedStatements } from '../../database/prepared-statements';
import { AuditActor, recordAudit } from '../../audit/audit-log';
import type { PaymentRoute, ProviderContext } from '../contract/payment-provider';
import { PROVIDER_IDS } from '../providers';
import { PayWay, payWayOfProvider } from '../pay-way';
import { ProviderRegistry } from '../provider-registry';
import { DEFAULT_PRIORITY } from '../routing-defaults';
import { RoutingPreference } from './routing-preference.entity';
import { PaymentErrors } from '../payments.errors';

export interface RouteCandidate {
  way: PayWay;
  ctx: ProviderContext;
}

/**
 * Routing by token and chain: among the tenant's enabled providers whose adapter supports the pair,
 * in the tenant's priority order (DEFAULT_PRIORITY until it sets one).
 */
@Injectable()
export class RoutingService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly statements: PreparedStatements,
    private readonly registry: ProviderRegistry,
  ) {}

  async priority(tenantId: string): Promise<string[]> {
    const row = await this.db.getRepository(RoutingPreference).findOne({ where: { tenantId } });
    return row?.priority ?? [...DEFAULT_PRIORITY];
  }

  /** Set the tenant's priority, audited (`routing.update`, before/after) in the same transaction. */
  async setPriority(actor: AuditActor, tenantId: string, priority: unknown): Promise<string[]> {
    if (
      !Array.isArray(priority) ||
      priority.length === 0 ||
      priority.length > PROVIDER_IDS.length ||
      !priority.every((p) => typeof p === 'string' && (PROVIDER_IDS as readonly string[]).includes(p)) ||
      new Set(priority).size !== priority.length
    ) {
      throw PaymentErrors.invalid_priority(
        `priority must be a list of distinct provider ids (${PROVIDER_IDS.join(', ')})`,
        { field: 'priority' },
      );
    }
    const list = priority as string[];
    await this.db.transaction(async (m) => {
      const [old] = await m.query<{ priority: string[] }[]>(
        'SELECT priority FROM routing_preferences WHERE tenant_id = $1 FOR UPDATE',
        [tenantId],
      );
      await m.query(
        `INSERT INTO routing_preferences (tenant_id, priority) VALUES ($1, $2)
         ON CONFLICT (tenant_id) DO UPDATE SET priority = EXCLUDED.priority, updated_at = now()`,
        [tenantId, JSON.stringify(list)],
      );
      await recordAudit(m, actor, {
        tenantId,
        action: 'routing.update',
        target: `routing:${tenantId}`,
        before: { priority: old?.priority ?? null },
        after: { priority: list },
      });
    });
    return list;
  }

  /**
   * The providers to try for a route, first choice first; empty when none can take it. One statement:
   * the tenant's priority with its accounts of the providers that support the route (never cached:
   * a credential change is seen by the next order).
   */
  async candidates(tenantId: string, route: PaymentRoute): Promise<RouteCandidate[]> {
    const supporting: string[] = PROVIDER_IDS.filter((id) => {
      const adapter = this.registry.get(id);
      const way = payWayOfProvider(id);
      return (
        !!adapter &&
        !!way &&
        adapter.supports({ method: way.method, currency: route.currency, network: route.chain })
      );
    });
    const [row] = await this.statements.query<{ priority: string[] | null; accounts: SealedAccountJson[] }[]>(
      `SELECT (SELECT priority FROM routing_preferences WHERE tenant_id = $1) AS priority,
              (SELECT COALESCE(json_agg(json_build_object(
                        'provider', provider, 'enabled', enabled, 'mode', mode,
                        'key_id', key_id, 'credentials_sealed', credentials_sealed)), '[]')
                 FROM provider_accounts WHERE tenant_id = $1 AND provider = ANY($2)) AS accounts`,
      [tenantId, supporting.filter((id) => this.registry.needsAccount(id))],
    );
    const accounts = new Map(row.accounts.map((a) => [a.provider, a]));
    const out: RouteCandidate[] = [];
    for (const id of row.priority ?? DEFAULT_PRIORITY) {
      const way = payWayOfProvider(id);
      if (!way || !supporting.includes(id)) continue;
      const a = accounts.get(id);
      const ctx = this.registry.contextWith(
        tenantId,
        id,
        a
          ? {
              tenantId,
              provider: a.provider,
              enabled: a.enabled,
              mode: a.mode,
              keyId: a.key_id,
              credentialsSealed: a.credentials_sealed,
            }
          : null,
      );
      if (ctx) out.push({ way, ctx });
    }
    return out;
  }
}

/** A provider account as the routing query returns it (json_build_object). */
interface SealedAccountJson {
  provider: string;
  enabled: boolean;
  mode: 'live' | 'test';
  key_id: string;
  credentials_sealed: string;
}
