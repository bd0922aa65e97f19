import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { LedgerEntry } from '../applications/ledger-entry.entity';
import { LedgerService } from '../applications/ledger.service';
import { CommonErrors } from '../common/common.errors';
import { CREDIT_SCALE, MoneyError, parseQuantity } from '../common/money';
import { OrderCredits } from './order-credits';

/**
 * Usage debits (POST /api/v1/applications/:id/usage): the ledger debits the application once per
 * reference, within what is available (LedgerService.debitUsage: balance row lock, replay, the
 * balance minus the credits held by pending refunds), and the debit is drawn from the application's
 * orders, oldest first (OrderCredits), in the same transaction.
 */
@Injectable()
export class UsageService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly ledger: LedgerService,
    private readonly orderCredits: OrderCredits,
  ) {}

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
      const debit = await this.ledger.debitUsage(m, { tenantId, applicationId, amount, reference });
      if (!debit.replayed) await this.orderCredits.drawUsage(m, { tenantId, applicationId, amount });
      return debit;
    });
  }
}
