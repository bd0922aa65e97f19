import { Injectable } from '@nestjs/common';
import Decimal from 'decimal.js';
import { EntityManager } from 'typeorm';
import { Money } from '../common/money';

/**
 * What is left of each order's credits (orders.remaining_amount), the only writer of it after an
 * order is finished. Usage draws on the oldest finished orders first (FIFO); a refund takes its
 * credits back from its own order first. So the application's balance keeps equal to the sum of its
 * orders' remaining_amount (down to zero: a forced refund debit may take the balance below).
 *
 * Every call runs in the caller's transaction, right after the matching ledger movement
 * (LedgerService), and under its lock order: the application's balance row first, then order rows.
 */
@Injectable()
export class OrderCredits {
  /** Draw a usage debit from the application's orders, oldest first. */
  async drawUsage(
    m: EntityManager,
    u: { tenantId: string; applicationId: string; amount: Decimal },
  ): Promise<void> {
    await this.drawOldestFirst(m, u.tenantId, u.applicationId, u.amount);
  }

  /**
   * Take a settled refund's credits back: from the refunded order's remaining_amount first; what usage
   * already spent of them comes off the application's other orders, oldest first.
   */
  async takeBackRefund(
    m: EntityManager,
    r: { tenantId: string; applicationId: string; orderId: string; credits: Decimal },
  ): Promise<void> {
    const [own] = await m.query<{ remaining_amount: string }[]>(
      'SELECT remaining_amount::text AS remaining_amount FROM orders WHERE id = $1 AND tenant_id = $2',
      [r.orderId, r.tenantId],
    );
    const fromOwn = Money.min(r.credits, new Money(own?.remaining_amount ?? 0));
    if (fromOwn.gt(0)) await this.take(m, r.orderId, fromOwn);
    const rest = r.credits.minus(fromOwn);
    if (rest.gt(0)) await this.drawOldestFirst(m, r.tenantId, r.applicationId, rest);
  }

  private async drawOldestFirst(
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
      await this.take(m, o.id, take);
      left = left.minus(take);
    }
  }

  private async take(m: EntityManager, orderId: string, amount: Decimal): Promise<void> {
    await m.query('UPDATE orders SET remaining_amount = remaining_amount - $2::numeric WHERE id = $1', [
      orderId,
      amount.toFixed(),
    ]);
  }
}
