import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AuditActor, recordAudit } from '../audit/audit-log';
import { decodeCursor, encodeCursor, Page } from '../common/pagination';
import { Application } from './application.entity';
import { LedgerEntry } from './ledger-entry.entity';
import { ApplicationErrors } from './applications.errors';

@Injectable()
export class ApplicationsService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** A new application, audited (`application.create`) in its transaction. */
  async create(actor: AuditActor, tenantId: string, name: string): Promise<Application> {
    return this.db.transaction(async (m) => {
      const app = m.create(Application, { id: randomUUID(), tenantId, name, balance: '0' });
      await m.insert(Application, app);
      const created = await this.get(tenantId, app.id, m);
      await recordAudit(m, actor, {
        tenantId,
        action: 'application.create',
        target: `application:${created.id}`,
        after: { id: created.id, name: created.name },
      });
      return created;
    });
  }

  async list(tenantId: string): Promise<Application[]> {
    return this.db
      .getRepository(Application)
      .find({ where: { tenantId }, order: { createdAt: 'ASC' }, take: 1000 });
  }

  /** Another tenant's application answers 404. */
  async get(tenantId: string, id: string, m: EntityManager = this.db.manager): Promise<Application> {
    const app = await m.findOne(Application, { where: { id, tenantId } });
    if (!app) throw ApplicationErrors.application_not_found('application not found');
    return app;
  }

  async ledgerPage(
    tenantId: string,
    applicationId: string,
    limit: number,
    cursor?: string,
  ): Promise<Page<LedgerEntry>> {
    await this.get(tenantId, applicationId);
    const after = decodeCursor(cursor);
    const qb = this.db
      .getRepository(LedgerEntry)
      .createQueryBuilder('l')
      .where('l.tenant_id = :tenantId AND l.application_id = :applicationId', { tenantId, applicationId })
      .orderBy('l.created_at', 'DESC')
      .addOrderBy('l.id', 'DESC')
      .take(limit + 1);
    if (after) qb.andWhere('(l.created_at, l.id) < (:c, :i)', { c: after.createdAt, i: after.id });
    const rows = await qb.getMany();
    const data = rows.slice(0, limit);
    const last = data[data.length - 1];
    return {
      data,
      has_more: rows.length > limit,
      next_cursor:
        rows.length > limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
    };
  }
}
