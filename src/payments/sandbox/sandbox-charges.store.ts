import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { SandboxCharges } from '../providers/sandbox/sandbox.provider';
import { SandboxCharge } from './sandbox-charge.entity';
import { CommonErrors } from '../../common/common.errors';
import { PreparedStatements } from '../../database/prepared-statements';

/** The Sandbox's "provider side" records (sandbox_charges): written by its completion endpoint, read by its adapter. */
@Injectable()
export class SandboxChargesStore implements SandboxCharges {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly statements: PreparedStatements,
  ) {}

  find(tenantId: string, payId: string): Promise<SandboxCharge | null> {
    return this.db.getRepository(SandboxCharge).findOne({ where: { payId, tenantId } });
  }

  /** Record what the payer did; a success is final and is never overwritten by a later failure. */
  async record(
    payId: string,
    tenantId: string,
    outcome: 'succeeded' | 'failed',
    amount: string,
    currency: string,
  ): Promise<void> {
    try {
      await this.statements.query(
        `INSERT INTO sandbox_charges (pay_id, tenant_id, outcome, amount, currency) VALUES ($1, $2, $3, $4::numeric, $5)
         ON CONFLICT (pay_id) DO UPDATE SET outcome = EXCLUDED.outcome, amount = EXCLUDED.amount, currency = EXCLUDED.currency
         WHERE sandbox_charges.outcome <> 'succeeded'`,
        [payId, tenantId, outcome, amount, currency],
      );
    } catch (err) {
      if (
        typeof err === 'object' &&
        err !== null &&
        ['22P02', '22003'].includes(String((err as { code?: string }).code))
      ) {
        throw CommonErrors.invalid_amount('amount must be a decimal number');
      }
      throw err;
    }
  }
}
