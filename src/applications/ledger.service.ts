import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import Decimal from 'decimal.js';
import { EntityManager } from 'typeorm';
import { Money } from '../common/money';
import { updateReturning } from '../common/sql';
import { LedgerEntry } from './ledger-entry.entity';

/**
 * Moves credits. Every call runs inside the caller's transaction, so the balance, the ledger entry
 * and the state change that caused them commit or roll back together.
 */
@Injectable()
export class LedgerService {
  /**
   * Credit an order's credits to its application once. The unique (order_id, kind) index makes a
   * second credit impossible whatever races; returns false when the order was already credited.
   */
  async creditOrder(
    m: EntityManager,
    o: { tenantId: string; applicationId: string; orderId: string; amount: string },
  ): Promise<boolean> {
    const inserted = await m.query<{ id: string }[]>(
      `WITH bal AS (
         UPDATE applications SET balance = balance + $4::numeric, updated_at = now()
          WHERE id = $2 AND tenant_id = $1
            AND NOT EXISTS (SELECT 1 FROM ledger_entries WHERE order_id = $3 AND kind = 'credit')
          RETURNING balance)
       INSERT INTO ledger_entries (id, tenant_id, application_id, order_id, kind, amount, balance_after)
       SELECT $5, $1, $2, $3, 'credit', $4::numeric, bal.balance FROM bal
       RETURNING id`,
      [o.tenantId, o.applicationId, o.orderId, o.amount, randomUUID()],
    );
    return inserted.length === 1;
  }

  /** Debit usage; the caller holds the application row lock and has checked the balance. */
  async debitUsage(
    m: EntityManager,
    u: { tenantId: string; applicationId: string; amount: Decimal; reference: string },
  ): Promise<LedgerEntry> {
    const rows = await updateReturning<{ balance: string }>(
      m,
      `UPDATE applications SET balance = balance - $3::numeric, updated_at = now()
        WHERE id = $2 AND tenant_id = $1 RETURNING balance`,
      [u.tenantId, u.applicationId, u.amount.toFixed()],
    );
    const entry = m.create(LedgerEntry, {
      id: randomUUID(),
      tenantId: u.tenantId,
      applicationId: u.applicationId,
      orderId: null,
      kind: 'usage',
      reference: u.reference,
      amount: u.amount.negated().toFixed(),
      balanceAfter: rows[0].balance,
    });
    await m.insert(LedgerEntry, entry);
    await this.drawFromOrders(m, u.tenantId, u.applicationId, u.amount);
    return entry;
  }

  /**
   * Take a refund's credits back from the application, once per refund id (a unique index on the
   * refund entry's reference). The caller holds the order lock and has settled the refund.
   */
  async debitRefund(
    m: EntityManager,
    r: { tenantId: string; applicationId: string; orderId: string; refundId: string; credits: Decimal },
  ): Promise<void> {
    await m.query(
      `WITH bal AS (
         UPDATE applications SET balance = balance - $4::numeric, updated_at = now()
          WHERE id = $2 AND tenant_id = $1 RETURNING balance)
       INSERT INTO ledger_entries (id, tenant_id, application_id, order_id, kind, reference, amount, balance_after)
       SELECT $6, $1, $2, $3, 'refund', $5, -$4::numeric, bal.balance FROM bal`,
      [r.tenantId, r.applicationId, r.orderId, r.credits.toFixed(), r.refundId, randomUUID()],
    );
  }

  /** Usage draws on the oldest finished orders' remaining credits first (FIFO). */
  private async drawFromOrders(
    m: EntityManager,
    tenantId: string,
    applicationId: string,
    amount: Decimal,
  ): Promise<void> {
    let left = new Money(amount);
    const orders = await m.query<{ id: string; remaining_amount: string }[]>(
      `SELECT id, remaining_amount FROM orders
        WHERE tenant_id = $1 AND application_id = $2 AND remaining_amount > 0
        ORDER BY created_at, id FOR UPDATE`,
      [tenantId, applicationId],
    );
    for (const o of orders) {
      if (left.lte(0)) break;
      const take = Decimal.min(left, new Money(o.remaining_amount));
      await m.query(`UPDATE orders SET remaining_amount = remaining_amount - $2::numeric WHERE id = $1`, [
        o.id,
        take.toFixed(),
      ]);
      left = left.minus(take);
    }
  }
}
