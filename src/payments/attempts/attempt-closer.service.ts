import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { InsertBatch } from '../../common/sql';
import { PreparedStatements } from '../../database/prepared-statements';
import { OPEN_ATTEMPT_COLUMNS, OpenAttempt, refOf } from './open-attempt';
import { ProviderRegistry } from '../provider-registry';

/** An attempt still open at a provider: one it may yet be paid through (a condition on `payments`). */
const OPEN = `status = 'pending' AND provider_ref IS NOT NULL`;

/**
 * An order has one payable attempt at a time. When a new attempt opens (the order payment API's
 * reopen) and when one succeeds, every OTHER attempt of the order still open at a provider is closed
 * there, so the payer cannot pay the earlier one too (WeChat Pay's own rule: close the original
 * out_trade_no before paying under a new one). For every provider with a `close`; one without (PayPal, Alchemy Pay,
 * Sandbox) lapses by itself and stays pending, watched by reconciliation.
 *
 * Always after the transaction that opened or paid, in the background: a provider that cannot close
 * never delays or fails the new attempt. Closed: the attempt is `cancelled`, unless the provider
 * then reports it paid (a payment racing the close), which stays pending for reconciliation to
 * confirm. Not closed (provider down, refused): logged, left pending, and reconciliation closes it
 * on a later pass (ReconciliationService.runOnce, `isSuperseded`).
 */
@Injectable()
export class AttemptCloser implements OnApplicationShutdown {
  private readonly logger = new Logger(AttemptCloser.name);
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly statements: PreparedStatements,
    private readonly registry: ProviderRegistry,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  /** Close, in the background, every open attempt of the order but `keepPaymentId`. */
  closeOthersLater(tenantId: string, orderId: string, keepPaymentId: string): void {
    const run: Promise<unknown> = this.closeOthers(tenantId, orderId, keepPaymentId)
      .catch((err: unknown) =>
        this.logger.warn(`closing the other attempts of order ${orderId} failed: ${String(err)}`),
      )
      .finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
  }

  /** Close every open attempt of the order but `keepPaymentId`; returns how many were closed. */
  async closeOthers(tenantId: string, orderId: string, keepPaymentId: string): Promise<number> {
    const others = (await this.openAttempts(tenantId, orderId)).filter((p) => p.id !== keepPaymentId);
    let closed = 0;
    for (const p of others) if (await this.close(p)) closed++;
    return closed;
  }

  /** The attempts of an order still open at a provider. */
  openAttempts(tenantId: string, orderId: string): Promise<OpenAttempt[]> {
    // After a confirmation that found others open: a named statement (PreparedStatements).
    return this.statements.query<OpenAttempt[]>(
      `SELECT ${OPEN_ATTEMPT_COLUMNS} FROM payments WHERE tenant_id = $1 AND order_id = $2 AND ${OPEN}`,
      [tenantId, orderId],
    );
  }

  /**
   * CTE `name` of a caller's statement (the confirmation's fast path): `n`, how many attempts of the
   * order but `keepPaymentId` are open, as the statement's snapshot sees them. closeOthersLater is
   * needed only when there are any.
   */
  addCountOthers(
    batch: InsertBatch,
    name: string,
    tenantId: string,
    orderId: string,
    keepPaymentId: string,
  ): void {
    batch.add(
      name,
      `SELECT count(*)::int AS n FROM payments
        WHERE tenant_id = ${batch.param(tenantId)} AND order_id = ${batch.param(orderId)}
          AND id <> ${batch.param(keepPaymentId)} AND ${OPEN}`,
    );
  }

  /**
   * Whether a pending attempt was superseded: its order has a newer attempt, or a succeeded one.
   * Reconciliation closes such an attempt when closing it right away failed.
   */
  async isSuperseded(p: Pick<OpenAttempt, 'id' | 'tenant_id' | 'order_id'>): Promise<boolean> {
    const [row] = await this.db.query<{ superseded: boolean }[]>(
      `SELECT EXISTS (
         SELECT 1 FROM payments q, payments p
          WHERE p.id = $3 AND q.tenant_id = $1 AND q.order_id = $2 AND q.id <> p.id
            AND (q.status = 'succeeded' OR q.created_at > p.created_at)) AS superseded`,
      [p.tenant_id, p.order_id, p.id],
    );
    return row?.superseded === true;
  }

  /** Close one attempt at its provider; true when it is closed and now `cancelled`. */
  async close(p: OpenAttempt): Promise<boolean> {
    const provider = this.registry.get(p.provider);
    if (!provider?.close) return false;
    const ref = refOf(p);
    try {
      const ctx = await this.registry.contextFor(p.tenant_id, p.provider);
      if (!ctx) return false;
      await provider.close(ctx, ref);
      // Some providers take closing a session paid a moment ago as done: ask before cancelling it.
      if ((await provider.queryPayment(ctx, ref)).status === 'succeeded') return false;
    } catch (err) {
      this.logger.warn(
        `could not close payment ${p.id} of order ${p.order_id} at ${p.provider} (reconciliation retries): ${String(err)}`,
      );
      return false;
    }
    await this.db.query(
      `UPDATE payments SET status = 'cancelled', updated_at = now() WHERE id = $1 AND status = 'pending'`,
      [p.id],
    );
    return true;
  }
}
