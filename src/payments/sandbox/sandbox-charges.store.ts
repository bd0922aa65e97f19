import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { SandboxCharges } from '../providers/sandbox/sandbox.provider';
import { SandboxCharge } from './sandbox-charge.entity';
import { PreparedStatements } from '../../database/prepared-statements';
import type { InsertBatch } from '../../common/sql';

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

  /**
   * Record what the payer did, as CTE `name` of a caller's statement (the Sandbox completion's read of
   * its payment), for the payment in CTE `found` (columns p_provider_ref, p_tenant_id, p_amount,
   * p_currency; no row, nothing written). The amount and currency default to the payment's. A
   * success is final and is never overwritten by a later failure. The amount must be checked
   * before (parseReportedAmount: it fits the column).
   */
  addRecord(
    batch: InsertBatch,
    name: string,
    found: string,
    c: { outcome: 'succeeded' | 'failed'; amount?: string; currency?: string },
  ): void {
    batch.add(
      name,
      `INSERT INTO sandbox_charges (pay_id, tenant_id, outcome, amount, currency)
       SELECT f.p_provider_ref, f.p_tenant_id, ${batch.param(c.outcome)},
              COALESCE(${batch.param(c.amount ?? null)}::numeric, f.p_amount),
              COALESCE(${batch.param(c.currency ?? null)}::text, f.p_currency)
         FROM ${found} f
       ON CONFLICT (pay_id) DO UPDATE SET outcome = EXCLUDED.outcome, amount = EXCLUDED.amount, currency = EXCLUDED.currency
       WHERE sandbox_charges.outcome <> 'succeeded'`,
    );
  }
}
