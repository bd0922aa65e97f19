import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import Decimal from 'decimal.js';
import { EntityManager } from 'typeorm';
import { CREDIT_SCALE, Money } from '../common/money';
import { InsertBatch, updateReturning } from '../common/sql';
import { ApplicationErrors } from './applications.errors';
import { LedgerEntry } from './ledger-entry.entity';

/** What an application may spend, read under its balance row lock (see LedgerService.lockBalance). */
export interface Spendable {
  balance: Decimal;
  /** Credits of the application's refunds still pending at the provider (applications.held_credits). */
  held: Decimal;
  /** balance - held: what usage debits and new refunds may take (negative after a forced refund). */
  available: Decimal;
}

/**
 * Moves credits: the application's balance, the credits its pending refunds hold, and the ledger
 * entries. Every call runs inside the caller's transaction, so the balance, the ledger entry and the
 * state change that caused them commit or roll back together. What the credits were drawn from (the
 * orders' remaining_amount) is the orders layer's (OrderCredits), in the same transaction.
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
   * gone), so those credits can no longer be spent, neither by usage nor by another refund. Holds are
   * taken and released only under this lock (holdCredits, releaseCredits, debitRefund), so `held`
   * cannot change until commit.
   */
  async lockBalance(m: EntityManager, tenantId: string, applicationId: string): Promise<Spendable | null> {
    const [app] = await m.query<{ balance: string; held: string }[]>(
      `SELECT balance::text AS balance, held_credits::text AS held
         FROM applications WHERE id = $1 AND tenant_id = $2 FOR UPDATE`,
      [applicationId, tenantId],
    );
    if (!app) return null;
    const balance = new Money(app.balance);
    const held = new Money(app.held);
    return { balance, held, available: balance.minus(held) };
  }

  /** Hold a pending refund's credits (see lockBalance); the caller holds the balance row lock. */
  async holdCredits(
    m: EntityManager,
    h: { tenantId: string; applicationId: string; credits: Decimal },
  ): Promise<void> {
    await this.moveHeld(m, h, h.credits);
  }

  /** Release what a refund that failed held; the caller holds the balance row lock. */
  async releaseCredits(
    m: EntityManager,
    h: { tenantId: string; applicationId: string; credits: Decimal },
  ): Promise<void> {
    await this.moveHeld(m, h, h.credits.negated());
  }

  private async moveHeld(
    m: EntityManager,
    h: { tenantId: string; applicationId: string },
    delta: Decimal,
  ): Promise<void> {
    if (delta.isZero()) return;
    await m.query(
      `UPDATE applications SET held_credits = held_credits + $3::numeric WHERE id = $2 AND tenant_id = $1`,
      [h.tenantId, h.applicationId, delta.toFixed()],
    );
  }

  /**
   * Credit an order's credits to its application once. The unique (order_id, kind) index makes a
   * second credit impossible whatever races; returns false when the order was already credited.
   */
  async creditOrder(
    m: EntityManager,
    o: { tenantId: string; applicationId: string; orderId: string; amount: string },
  ): Promise<boolean> {
    // The statement addCreditOrder writes, on its own: its gate always holds.
    const batch = new InsertBatch().add('go', 'SELECT 1');
    this.addCreditOrder(batch, 'credit', 'go', o);
    const inserted = await batch.returning('SELECT id FROM credit').run<{ id: string }>(m);
    return inserted.length === 1;
  }

  /**
   * creditOrder as the last parts of one caller's statement (the confirmation's fast path, see
   * ConfirmationFastPath): the balance UPDATE reads FROM `gate`, so the application's balance row is
   * locked only after everything `gate` depends on, and not at all when `gate` yields no row. CTE
   * `name` returns the ledger entry's id (no row when nothing was credited). Run in autocommit, the
   * hot balance row is then locked only from this UPDATE to the statement's own commit.
   */
  addCreditOrder(
    batch: InsertBatch,
    name: string,
    gate: string,
    o: { tenantId: string; applicationId: string; orderId: string; amount: string },
  ): void {
    const [tenantId, applicationId, orderId, amount] = [o.tenantId, o.applicationId, o.orderId, o.amount].map(
      (v) => batch.param(v),
    );
    batch
      .add(
        `${name}_balance`,
        `UPDATE applications SET balance = balance + ${amount}::numeric, updated_at = now()
           FROM (SELECT 1 FROM ${gate} LIMIT 1) g
          WHERE applications.id = ${applicationId} AND applications.tenant_id = ${tenantId}
            AND NOT EXISTS (SELECT 1 FROM ledger_entries WHERE order_id = ${orderId} AND kind = 'credit')
          RETURNING applications.balance`,
      )
      .add(
        name,
        `INSERT INTO ledger_entries (id, tenant_id, application_id, order_id, kind, amount, balance_after)
         SELECT ${batch.param(randomUUID())}, ${tenantId}, ${applicationId}, ${orderId}, 'credit', ${amount}::numeric, b.balance
           FROM ${name}_balance b
         RETURNING id`,
      );
  }

  /**
   * Debit usage once per reference, under the balance row lock (taken here). A replay with the same
   * reference and amount returns the first entry; the same reference with another amount is a 409;
   * more than is available (the balance minus the held credits, see lockBalance) is a 409
   * insufficient_balance. The caller draws a new debit (replayed false) from the orders in the same
   * transaction.
   */
  async debitUsage(
    m: EntityManager,
    u: { tenantId: string; applicationId: string; amount: Decimal; reference: string },
  ): Promise<{ entry: LedgerEntry; replayed: boolean; balance: string }> {
    const spendable = await this.lockBalance(m, u.tenantId, u.applicationId);
    if (!spendable) throw ApplicationErrors.application_not_found('application not found');
    const previous = await m.findOne(LedgerEntry, {
      where: { tenantId: u.tenantId, applicationId: u.applicationId, kind: 'usage', reference: u.reference },
    });
    if (previous) {
      if (!new Money(previous.amount).negated().equals(u.amount)) {
        throw ApplicationErrors.reference_reused('this reference was already used with another amount');
      }
      return { entry: previous, replayed: true, balance: spendable.balance.toFixed(CREDIT_SCALE) };
    }
    const { balance, held, available } = spendable;
    if (available.lessThan(u.amount)) {
      throw ApplicationErrors.insufficient_balance(
        held.gt(0)
          ? `the application has ${available.toFixed()} credits available (${held.toFixed()} of its ${balance.toFixed()} are held by pending refunds)`
          : 'the application does not have enough credits',
        {
          balance: balance.toFixed(),
          held: held.toFixed(),
          available: available.toFixed(),
          requested: u.amount.toFixed(),
        },
      );
    }
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
    return { entry, replayed: false, balance: entry.balanceAfter };
  }

  /**
   * Take a settled refund's credits back from the application, once per refund id (a unique index
   * on the refund entry's reference), and release the hold its reservation took; returns the balance
   * after. The caller holds the balance row lock (see lockBalance) and the order lock, and has
   * settled the refund: the money is back with the payer, so the debit is recorded whatever the
   * balance (held credits keep an unforced one from going below zero).
   */
  async debitRefund(
    m: EntityManager,
    r: { tenantId: string; applicationId: string; orderId: string; refundId: string; credits: Decimal },
  ): Promise<Decimal> {
    const rows = await m.query<{ balance_after: string }[]>(
      `WITH bal AS (
         UPDATE applications SET balance = balance - $4::numeric, held_credits = held_credits - $4::numeric,
                updated_at = now()
          WHERE id = $2 AND tenant_id = $1 RETURNING balance)
       INSERT INTO ledger_entries (id, tenant_id, application_id, order_id, kind, reference, amount, balance_after)
       SELECT $6, $1, $2, $3, 'refund', $5, -$4::numeric, bal.balance FROM bal
       RETURNING balance_after::text AS balance_after`,
      [r.tenantId, r.applicationId, r.orderId, r.credits.toFixed(), r.refundId, randomUUID()],
    );
    return new Money(rows[0]?.balance_after ?? 0);
  }
}
