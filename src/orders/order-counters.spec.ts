import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { OrderCounters } from './order-counters';

/** A query runner as TypeORM keeps it: savepoint depth, transaction flag, user data. */
interface FakeRunner {
  isTransactionActive: boolean;
  transactionDepth: number;
  data: Record<string, unknown>;
}
const runner = (): FakeRunner => ({ isTransactionActive: true, transactionDepth: 1, data: {} });
const em = (r: FakeRunner | undefined): EntityManager => ({ queryRunner: r }) as unknown as EntityManager;
const event = (r: FakeRunner): never => ({ queryRunner: r as unknown as QueryRunner }) as never;

async function value(c: OrderCounters, state: string): Promise<number> {
  const metric = await c.transitions.get();
  return metric.values.find((v) => v.labels.state === state && v.labels.provider === 'Sandbox')?.value ?? 0;
}

describe('OrderCounters', () => {
  const counters = (): OrderCounters => new OrderCounters({ subscribers: [] } as unknown as DataSource);

  it('counts a move made in a transaction only when the transaction commits', async () => {
    const c = counters();
    const r = runner();
    c.entered(em(r), 'Sandbox', ['Paid', 'Finished']);
    expect(await value(c, 'Finished')).toBe(0);
    r.isTransactionActive = false;
    r.transactionDepth = 0;
    c.afterTransactionCommit(event(r));
    expect(await value(c, 'Paid')).toBe(1);
    expect(await value(c, 'Finished')).toBe(1);
  });

  it('drops a move whose transaction, or savepoint, rolled back', async () => {
    const c = counters();
    const r = runner();
    c.entered(em(r), 'Sandbox', ['Paid']);
    r.transactionDepth = 2; // a savepoint
    c.entered(em(r), 'Sandbox', ['Cancelled']);
    r.transactionDepth = 1; // ROLLBACK TO SAVEPOINT
    c.afterTransactionRollback(event(r));
    r.isTransactionActive = false;
    r.transactionDepth = 0;
    c.afterTransactionCommit(event(r));
    expect(await value(c, 'Paid')).toBe(1);
    expect(await value(c, 'Cancelled')).toBe(0);

    const r2 = runner();
    c.entered(em(r2), 'Sandbox', ['Expired']);
    r2.isTransactionActive = false;
    r2.transactionDepth = 0;
    c.afterTransactionRollback(event(r2));
    expect(await value(c, 'Expired')).toBe(0);
  });

  it('counts at once outside a transaction, and a creation as created and Pending', async () => {
    const c = counters();
    c.entered(em(undefined), 'Sandbox', ['Expired']);
    c.orderCreated('Sandbox');
    expect(await value(c, 'Expired')).toBe(1);
    expect(await value(c, 'Pending')).toBe(1);
    expect((await c.created.get()).values[0]).toMatchObject({ value: 1, labels: { provider: 'Sandbox' } });
  });
});
