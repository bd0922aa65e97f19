import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Counter } from 'prom-client';
import type {
  DataSource,
  EntityManager,
  EntitySubscriberInterface,
  QueryRunner,
  TransactionCommitEvent,
  TransactionRollbackEvent,
} from 'typeorm';

interface PendingCount {
  /** The transaction depth (savepoint level) the change was made at. */
  depth: number;
  state: string;
  provider: string;
}

const PENDING = 'paymuxOrderCounts';

/** TypeORM's savepoint level of a query runner (protected in its typings, public at run time). */
const depthOf = (runner: QueryRunner): number =>
  (runner as unknown as { transactionDepth: number }).transactionDepth;

/**
 * Prometheus counters of orders, kept in memory per process (so a scrape runs no query): orders
 * created per provider, and orders entering each state per provider. A change counts once its
 * transaction has committed: moves made inside a transaction wait on the query runner until COMMIT
 * (a TypeORM subscriber), and are dropped with a rollback (of the transaction or of the savepoint
 * they were made in). Sum over all processes in Prometheus; counters restart at 0 with a process.
 */
@Injectable()
export class OrderCounters implements OnModuleInit, EntitySubscriberInterface {
  readonly created = new Counter({
    name: 'paymux_orders_created_total',
    help: 'Orders created, by payment method',
    labelNames: ['provider'] as const,
    registers: [],
  });
  readonly transitions = new Counter({
    name: 'paymux_order_transitions_total',
    help: 'Orders that entered a state, by state and payment method (counted after commit)',
    labelNames: ['state', 'provider'] as const,
    registers: [],
  });

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  onModuleInit(): void {
    this.db.subscribers.push(this);
  }

  /** An order was written (already committed: order creation is one autocommitted statement). */
  orderCreated(provider: string): void {
    this.created.inc({ provider });
    this.transitions.inc({ state: 'Pending', provider });
  }

  /** The order entered these states within `m` (counted now, or when m's transaction commits). */
  entered(m: EntityManager, provider: string, states: readonly string[]): void {
    const runner = m.queryRunner;
    if (!runner?.isTransactionActive) {
      for (const state of states) this.transitions.inc({ state, provider });
      return;
    }
    const pending = ((runner.data as Record<string, PendingCount[] | undefined>)[PENDING] ??= []);
    for (const state of states) pending.push({ depth: depthOf(runner), state, provider });
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    if (event.queryRunner.isTransactionActive) return; // a savepoint released: wait for the COMMIT
    for (const c of this.take(event.queryRunner, 0))
      this.transitions.inc({ state: c.state, provider: c.provider });
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    // Drop what was counted inside what was rolled back (the depth is already the outer one).
    this.take(event.queryRunner, event.queryRunner.isTransactionActive ? depthOf(event.queryRunner) : 0);
  }

  /** Remove and return the pending counts made deeper than `depth`. */
  private take(runner: QueryRunner, depth: number): PendingCount[] {
    const data = runner.data as Record<string, PendingCount[] | undefined>;
    const pending = data[PENDING] ?? [];
    data[PENDING] = pending.filter((c) => c.depth <= depth);
    return pending.filter((c) => c.depth > depth);
  }
}
