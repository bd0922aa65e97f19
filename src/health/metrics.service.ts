import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { OrderCounters } from '../orders/order-counters';

/**
 * Prometheus registry: process metrics and the order counters (created per provider, entered each
 * state per provider), kept in memory as orders change: a scrape reads no table.
 */
@Injectable()
export class MetricsService {
  private readonly registry = new Registry();

  constructor(orders: OrderCounters) {
    collectDefaultMetrics({ register: this.registry, prefix: 'paymux_' });
    this.registry.registerMetric(orders.created);
    this.registry.registerMetric(orders.transitions);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
