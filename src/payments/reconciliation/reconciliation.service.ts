import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PeriodicJob } from '../../common/periodic-job';
import { updateReturning } from '../../common/sql';
import { AppConfig } from '../../config/app-config';
import { AttemptCloser } from '../attempts/attempt-closer.service';
import { RefundSettlementService } from '../refunds/refund-settlement.service';
import { PaymentQueryService, PendingPayment } from './payment-query.service';

/** How long a claim lasts: another process does not ask about the same attempt within it. */
const LEASE_SECONDS = 60;

/**
 * Asks providers about what their callbacks did not settle: every payment still pending
 * RECONCILE_DELAY_SECONDS after it was opened, and every pending refund; a pending attempt that another
 * attempt of its order superseded (newer, or succeeded) is closed at its provider (AttemptCloser). The answer goes through the
 * same event path as a callback (deduplicated by event id), so a lost callback still ends Finished.
 * Only an explicit success or failure is final; anything else stays pending for a later pass.
 * Safe with many processes: each row is claimed with FOR UPDATE SKIP LOCKED and leased for a minute.
 */
@Injectable()
export class ReconciliationService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReconciliationService.name);
  private readonly job: PeriodicJob;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: AppConfig,
    private readonly query: PaymentQueryService,
    private readonly refunds: RefundSettlementService,
    private readonly closer: AttemptCloser,
    scheduler: SchedulerRegistry,
  ) {
    this.job = new PeriodicJob(scheduler, 'reconciliation', this.logger);
  }

  /** Every RECONCILE_INTERVAL_MS (0: never; tests run passes themselves). */
  onApplicationBootstrap(): void {
    this.job.start(this.config.reconcileIntervalMs, () => this.runOnce());
  }

  async onApplicationShutdown(): Promise<void> {
    await this.job.stop();
  }

  /**
   * One pass over due payments and pending refunds; returns what it found. `tenantId` limits the pass
   * to one tenant (an operator's "reconcile now", and tests that share a database).
   */
  async runOnce(
    opts: { batch?: number; tenantId?: string } = {},
  ): Promise<{ checked: number; paid: number; closed: number; refunds: number }> {
    const batch = opts.batch ?? 50;
    const due = await updateReturning<PendingPayment>(
      this.db.manager,
      `UPDATE payments SET next_check_at = now() + make_interval(secs => $3)
        WHERE id IN (SELECT id FROM payments
                      WHERE status = 'pending' AND provider_ref IS NOT NULL
                        AND created_at <= now() - make_interval(secs => $1)
                        AND (next_check_at IS NULL OR next_check_at <= now())
                        AND ($4::uuid IS NULL OR tenant_id = $4::uuid)
                      ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING id, tenant_id, order_id, provider, provider_ref, amount, currency`,
      [this.config.reconcileDelaySeconds, batch, LEASE_SECONDS, opts.tenantId ?? null],
    );
    let paid = 0;
    let closed = 0;
    for (const p of due) {
      const verdict = await this.query.checkPayment(p, 'reconciliation');
      if (verdict === 'paid') paid++;
      if (verdict === 'failed' || verdict === 'expired') closed++;
      // An earlier attempt whose close failed when a newer one opened or succeeded: close it now.
      if (verdict === 'pending' && (await this.closer.isSuperseded(p)) && (await this.closer.close(p)))
        closed++;
    }
    const refunds = await this.refunds.settlePending(batch, opts.tenantId);
    return { checked: due.length, paid, closed, refunds };
  }
}
