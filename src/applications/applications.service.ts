import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { CREDIT_SCALE, Money, MoneyError, parseQuantity } from '../common/money';
import { decodeCursor, encodeCursor, Page } from '../common/pagination';
import { Application } from './application.entity';
import { LedgerEntry } from './ledger-entry.entity';
import { LedgerService } from './ledger.service';
import { ApplicationErrors } from './applications.errors';
import { CommonErrors } from '../common/common.errors';

@Injectable()
export class ApplicationsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly ledger: LedgerService,
  ) {}

  async create(tenantId: string, name: string): Promise<Application> {
    const app = this.db.getRepository(Application).create({ id: randomUUID(), tenantId, name, balance: '0' });
    await this.db.getRepository(Application).insert(app);
    return this.get(tenantId, app.id);
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

  /**
   * Debit usage once per reference. A replay with the same reference and amount returns the first
   * entry; the same reference with another amount is a 409; a short balance is 409 insufficient_balance.
   * Only what is available may be spent: the balance minus the credits held by refunds still pending
   * at the provider (see LedgerService.lockBalance).
   */
  async recordUsage(
    tenantId: string,
    applicationId: string,
    rawAmount: unknown,
    reference: string,
  ): Promise<{ entry: LedgerEntry; replayed: boolean; balance: string }> {
    let amount;
    try {
      amount = parseQuantity(rawAmount, CREDIT_SCALE);
    } catch (e) {
      if (e instanceof MoneyError)
        throw CommonErrors.invalid_amount(`amount ${e.message}`, { field: 'amount' });
      throw e;
    }
    return this.db.transaction(async (m) => {
      const spendable = await this.ledger.lockBalance(m, tenantId, applicationId);
      if (!spendable) throw ApplicationErrors.application_not_found('application not found');
      const previous = await m.findOne(LedgerEntry, {
        where: { tenantId, applicationId, kind: 'usage', reference },
      });
      if (previous) {
        if (!new Money(previous.amount).negated().equals(amount)) {
          throw ApplicationErrors.reference_reused('this reference was already used with another amount');
        }
        return { entry: previous, replayed: true, balance: spendable.balance.toFixed(CREDIT_SCALE) };
      }
      const { balance, held, available } = spendable;
      if (available.lessThan(amount)) {
        throw ApplicationErrors.insufficient_balance(
          held.gt(0)
            ? `the application has ${available.toFixed()} credits available (${held.toFixed()} of its ${balance.toFixed()} are held by pending refunds)`
            : 'the application does not have enough credits',
          {
            balance: balance.toFixed(),
            held: held.toFixed(),
            available: available.toFixed(),
            requested: amount.toFixed(),
          },
        );
      }
      const entry = await this.ledger.debitUsage(m, { tenantId, applicationId, amount, reference });
      return { entry, replayed: false, balance: entry.balanceAfter };
    });
  }
}
