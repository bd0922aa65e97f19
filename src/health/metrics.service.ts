import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { DataSource } from 'typeorm';

/** Prometheus registry: process metrics and orders by state and provider, read at scrape time. */
@Injectable()
export class MetricsService {
  private readonly registry = new Registry();

  constructor(@InjectDataSource() db: DataSource) {
    collectDefaultMetrics({ register: this.registry, prefix: 'paymux_' });
    new Gauge({
      name: 'paymux_orders',
      help: 'Orders by state and payment method',
      labelNames: ['state', 'provider'] as const,
      registers: [this.registry],
      async collect() {
        const rows = await db.query<{ state: string; pay_way: string; n: string }[]>(
          'SELECT state, pay_way, count(*)::bigint AS n FROM orders GROUP BY state, pay_way',
        );
        this.reset();
        for (const r of rows) this.set({ state: r.state, provider: r.pay_way }, Number(r.n));
      },
    });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
