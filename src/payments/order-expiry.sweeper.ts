import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { OrdersService } from '../orders/orders.service';
import { Payment } from './payment.entity';
import { PaymentsService } from './payments.service';
import { ProviderRegistry } from './provider-registry';

/**
 * Moves Pending orders past `expires_at` to Expired. Before expiring it asks the provider about each
 * pending attempt: one the provider reports paid is confirmed instead (through the same event path).
 * Safe with many processes: each order is taken with FOR UPDATE SKIP LOCKED and re-checked.
 */
@Injectable()
export class OrderExpirySweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OrderExpirySweeper.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: AppConfig,
    private readonly orders: OrdersService,
    private readonly payments: PaymentsService,
    private readonly registry: ProviderRegistry,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.config.expirySweepIntervalMs;
    if (every <= 0) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.sweepOnce()
        .catch((err: unknown) => this.logger.error(`expiry sweep failed: ${String(err)}`))
        .finally(() => (this.running = undefined));
    }, every);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
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

  private async askProviders(tenantId: string, orderId: string): Promise<'paid' | 'unpaid' | 'unknown'> {
    const pending = (await this.payments.paymentsOf(tenantId, orderId)).filter(
      (p) => p.status === 'pending' && p.providerRef,
    );
    for (const payment of pending) {
      const provider = this.registry.get(payment.provider);
      const ctx = await this.registry.contextFor(tenantId, payment.provider);
      if (!provider || !ctx || !payment.providerRef) continue;
      try {
        const status = await provider.queryPayment(ctx, {
          paymentId: payment.id,
          providerRef: payment.providerRef,
        });
        if (status.status === 'succeeded') {
          const applied = await this.payments.applyEvent(tenantId, payment.provider, {
            eventId: `query:${payment.id}:succeeded`,
            type: 'query.succeeded',
            outcome: 'succeeded',
            providerRef: payment.providerRef,
            amount: status.amount,
            currency: status.currency,
            payload: { source: 'expiry_sweep', status },
          });
          // A charge that was flagged (wrong amount or currency) does not pay the order: it is
          // recorded for the operator and the order may expire like any unpaid one.
          if (applied.outcome === 'applied') return 'paid';
        }
      } catch (err) {
        this.logger.warn(`query of payment ${payment.id} at ${payment.provider} failed: ${String(err)}`);
        return 'unknown';
      }
    }
    return 'unpaid';
  }
}
