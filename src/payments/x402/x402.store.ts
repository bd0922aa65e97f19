/**
 * x402's settle bookkeeping, kept on the payment attempt's `action` (jsonb) next to the requirements:
 *
 * - `settling`: taken with one conditional UPDATE before /verify is called, so two requests carrying
 *   the same payment cannot both settle (the guard) and the second is answered from the first
 *   (`payment_key` says which payment holds it) without a facilitator call; given back when /verify
 *   or /settle refuses, kept when the settle's outcome is unknown (timeout, 5xx) with the exact
 *   /settle body, for reconciliation to send again;
 * - `settlement`: the facilitator's success answer, written before the payment is applied, so a replay
 *   is answered with it and a crash between the two is still found by reconciliation.
 *
 * Every statement names the tenant.
 */
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { updateReturning } from '../../common/sql';
import { OPEN_FOR_PAYMENT_STATES } from '../../orders/order-state';
import type { X402Settlements } from '../providers/x402/x402.provider';
import type { SettlementRecord, SettlingRecord, X402Action } from '../providers/x402/x402.wire';

@Injectable()
export class X402Store implements X402Settlements {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async action(tenantId: string, paymentId: string): Promise<X402Action | null> {
    const [row] = await this.db.query<{ action: X402Action | null }[]>(
      `SELECT action FROM payments WHERE id = $1 AND tenant_id = $2 AND provider = 'x402'`,
      [paymentId, tenantId],
    );
    return row?.action?.kind === 'x402' ? row.action : null;
  }

  /**
   * Take the settle guard: only a pending attempt of an unexpired order open for payment that nobody is
   * settling. The expiry is compared with the database clock, as the expiry sweeper does, so an order
   * the sweeper may already be closing is never settled.
   */
  async claim(tenantId: string, paymentId: string, record: SettlingRecord): Promise<boolean> {
    const rows = await updateReturning<{ id: string }>(
      this.db.manager,
      `UPDATE payments p SET action = jsonb_set(p.action, '{settling}', $3::jsonb), updated_at = now()
        WHERE p.id = $1 AND p.tenant_id = $2 AND p.provider = 'x402' AND p.status = 'pending'
          AND NOT (p.action ? 'settling') AND NOT (p.action ? 'settlement')
          AND EXISTS (SELECT 1 FROM orders o WHERE o.id = p.order_id AND o.tenant_id = p.tenant_id
                        AND o.state = ANY($4) AND o.expires_at > now())
        RETURNING p.id`,
      [paymentId, tenantId, JSON.stringify(record), OPEN_FOR_PAYMENT_STATES],
    );
    return rows.length === 1;
  }

  /** The facilitator refused the settle outright: nothing moved, the payer may pay again. */
  async release(tenantId: string, paymentId: string, claim: string): Promise<void> {
    await this.db.query(
      `UPDATE payments SET action = action - 'settling', updated_at = now()
        WHERE id = $1 AND tenant_id = $2 AND action->'settling'->>'claim' = $3`,
      [paymentId, tenantId, claim],
    );
  }

  /** The settle's outcome is unknown: keep the guard, and let reconciliation decide. */
  async markUnknown(tenantId: string, paymentId: string, claim: string, reason: string): Promise<void> {
    await this.db.query(
      `UPDATE payments
          SET action = jsonb_set(jsonb_set(action, '{settling,phase}', '"unknown"'), '{settling,reason}', to_jsonb($4::text)),
              updated_at = now()
        WHERE id = $1 AND tenant_id = $2 AND action->'settling'->>'claim' = $3`,
      [paymentId, tenantId, claim, reason],
    );
  }

  /** Keep the facilitator's success answer (and drop the guard it resolves). */
  async recordSettlement(tenantId: string, paymentId: string, settlement: SettlementRecord): Promise<void> {
    await this.db.query(
      `UPDATE payments SET action = jsonb_set(action - 'settling', '{settlement}', $3::jsonb), updated_at = now()
        WHERE id = $1 AND tenant_id = $2 AND provider = 'x402'`,
      [paymentId, tenantId, JSON.stringify(settlement)],
    );
  }
}
