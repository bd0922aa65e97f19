import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import Decimal from 'decimal.js';
import { EntityManager } from 'typeorm';
import { Money } from '../common/money';
import { updateReturning } from '../common/sql';
import { LedgerEntry } from './ledger-entry.entity';

/** What an application may spend, read under its balance row lock (see LedgerService.lockBalance). */
export interface Spendable {
  balance: Decimal;
  /** Credits of the application's refunds still pending at the provider. */
  held: Decimal;
  /** balance - held: what usage debits and new refunds may take (negative after a forced refund). */
  available: Decimal;
}

/**
 * Moves credits. Every call runs inside the caller's transaction, so the balance, the ledger entry
 * and the state change that caused them commit or roll back together.
 *
 * Lock order: whoever moves an application's credits on behalf of usage or refunds locks the
 * application's balance row first (lockBalance), then order rows. Usage, refund reservations and
 * refund settlements of one application so run one at a time, and cannot deadlock on each other.
 */
@Injectable()
export class LedgerService {
  /**
   * Lock the application's balance row and say what it may spend; null when there is no such
   * application. Credits of a refund still pending at the provider are held: the provider may give the
   * money back at any time and its debit must then be recorded whatever the balance is (the money is
   * gone), so those credits can no longer be spent, neither by usage nor by another refund. Every
   * pending refund row is written and settled under this lock, so `held` cannot change until commit.
   */
  async lockBalance(m: EntityManager, tenantId: string, applicationId: string): Promise<Spendable | null> {
    const [app] = await m.query<{ balance: string }[]>(
      'SELECT balance::text AS balance FROM applications WHERE id = $1 AND tenant_id = $2 FOR UPDATE',
      [applicationId, tenantId],
    );
    if (!app) return null;
    const [pending] = await m.query<{ held: string }[]>(
      `SELECT COALESCE(SUM(r.credits), 0)::text AS held
         FROM refunds r JOIN orders o ON o.id = r.order_id
        WHERE r.tenant_id = $1 AND r.status = 'pending' AND o.application_id = $2`,
      [tenantId, applicationId],
    );
    const balance = new Money(app.balance);
    const held = new Money(pending.held);
    return { balance, held, available: balance.minus(held) };
  }

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

  /** Debit usage; the caller holds the balance row lock (lockBalance) and has checked what is available. */
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
   * refund entry's reference); returns the balance after. The caller holds the balance row lock (see
   * lockBalance) and the order lock, and has settled the refund: the money is back with the payer,
   * so the debit is recorded whatever the balance (held credits keep an unforced one from going
   * below zero). The credits come off the refunded order's remaining_amount first; what usage already
   * spent of them comes off the application's other orders, oldest first, so the balance still
   * equals the sum of the orders' remaining_amount (down to zero: a forced debit may go below).
   */
  async debitRefund(
    m: EntityManager,
    r: { tenantId: string; applicationId: string; orderId: string; refundId: string; credits: Decimal },
  ): Promise<Decimal> {
    const rows = await m.query<{ balance_after: string }[]>(
      `WITH bal AS (
         UPDATE applications SET balance = balance - $4::numeric, updated_at = now()
          WHERE id = $2 AND tenant_id = $1 RETURNING balance)
       INSERT INTO ledger_entries (id, tenant_id, application_id, order_id, kind, reference, amount, balance_after)
       SELECT $6, $1, $2, $3, 'refund', $5, -$4::numeric, bal.balance FROM bal
       RETURNING balance_after::text AS balance_after`,
      [r.tenantId, r.applicationId, r.orderId, r.credits.toFixed(), r.refundId, randomUUID()],
    );
    const [own] = await m.query<{ remaining_amount: string }[]>(
      'SELECT remaining_amount::text AS remaining_amount FROM orders WHERE id = $1 AND tenant_id = $2',
      [r.orderId, r.tenantId],
    );
    const fromOwn = Money.min(r.credits, new Money(own?.remaining_amount ?? 0));
    if (fromOwn.gt(0))
      await m.query('UPDATE orders SET remaining_amount = remaining_amount - $2::numeric WHERE id = $1', [
        r.orderId,
        fromOwn.toFixed(),
      ]);
    const rest = r.credits.minus(fromOwn);
    if (rest.gt(0)) await this.drawFromOrders(m, r.tenantId, r.applicationId, rest);
    return new Money(rows[0]?.balance_after ?? 0);
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
      const take = Money.min(left, new Money(o.remaining_amount));
      await m.query(`UPDATE orders SET remaining_amount = remaining_amount - $2::numeric WHERE id = $1`, [
        o.id,
        take.toFixed(),
      ]);
      left = left.minus(take);
    }
  }
}
