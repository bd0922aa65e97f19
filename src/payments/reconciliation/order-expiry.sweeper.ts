import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PeriodicJob } from '../../common/periodic-job';
import { AppConfig } from '../../config/app-config';
import { OrdersService } from '../../orders/orders.service';
import { AttemptCloser } from '../attempts/attempt-closer.service';
import { Payment } from '../attempts/payment.entity';
import { PaymentQueryService } from './payment-query.service';

/**
 * Moves Pending orders past `expires_at` to Expired. Before expiring it asks the provider about each
 * pending attempt: one the provider reports paid is confirmed instead (through the same event path),
 * an unpaid one is closed at the provider; when a provider cannot be asked or refuses to close, the
 * order waits for a later pass.
 * Safe with many processes: each order is taken with FOR UPDATE SKIP LOCKED and re-checked.
 */
@Injectable()
export class OrderExpirySweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OrderExpirySweeper.name);
  private readonly job: PeriodicJob;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: AppConfig,
    private readonly orders: OrdersService,
    private readonly query: PaymentQueryService,
    private readonly closer: AttemptCloser,
    scheduler: SchedulerRegistry,
  ) {
    this.job = new PeriodicJob(scheduler, 'expiry sweep', this.logger);
  }

  /** Every EXPIRY_SWEEP_INTERVAL_MS (0: never; tests sweep themselves). */
  onApplicationBootstrap(): void {
    this.job.start(this.config.expirySweepIntervalMs, () => this.sweepOnce());
  }

  async onApplicationShutdown(): Promise<void> {
    await this.job.stop();
  }

  /** One pass; returns how many orders it expired and how many it found paid. */
  async sweepOnce(batch = 100): Promise<{ expired: number; paid: number }> {
    let expired = 0;
    let paid = 0;
    for (const due of await this.orders.dueForExpiry(batch)) {
      const verdict = await this.askProviders(due.tenantId, due.id);
      if (verdict === 'paid') {
        paid++;
        continue;
      }
      if (verdict === 'unknown') continue; // provider unreachable: decide on a later pass
      const done = await this.db.transaction(async (m) => {
        const order = await this.orders.lockIfDue(m, due.tenantId, due.id);
        if (!order) return false;
        await this.orders.expire(m, order);
        await m.update(
          Payment,
          { tenantId: due.tenantId, orderId: due.id, status: 'pending' },
          { status: 'expired' },
        );
        return true;
      });
      if (done) expired++;
    }
    return { expired, paid };
  }

  /**
   * Ask the provider about each pending attempt; an unpaid one is closed at the provider, so the payer
   * cannot pay an order that is about to expire. `unknown` when a provider could not be asked.
   */
  private async askProviders(tenantId: string, orderId: string): Promise<'paid' | 'unpaid' | 'unknown'> {
    for (const payment of await this.closer.openAttempts(tenantId, orderId)) {
      const verdict = await this.query.checkPayment(payment, 'expiry_sweep');
      if (verdict === 'paid') return 'paid';
      if (verdict === 'unknown') return 'unknown';
      if (verdict === 'pending' && !(await this.query.closeAtProvider(payment))) return 'unknown';
    }
    return 'unpaid';
  }
}
