import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import PgBoss from 'pg-boss';
import type { EntityManager } from 'typeorm';
import type { InsertBatch } from '../common/sql';
import { DATABASE_URL } from '../database/database.module';
import { FetchedJob, QueueWorker, SequenceOf } from './queue-worker';

type JobHandler = (data: Record<string, unknown>) => Promise<void>;

/**
 * Jobs one process runs at once per queue (deliveries in flight at most): each holds its slot until it
 * ends, and the worker fetches more as slots free up (QueueWorker).
 */
const JOBS_IN_FLIGHT = 40;
/** How often an idle worker looks for new jobs. */
const POLL_MS = 500;
/** How long shutting down waits for the jobs running to end. */
const STOP_WAIT_MS = 10_000;

/**
 * The durable job queue (pg-boss on the same PostgreSQL, schema `pgboss`). Jobs are sent inside the
 * caller's transaction when one is given, so a job exists exactly when the change that caused it
 * committed. Handlers are registered by the modules that own the work.
 */
@Injectable()
export class JobQueue implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(JobQueue.name);
  private readonly boss: PgBoss;
  private readonly handlers = new Map<string, { handler: JobHandler; inSequence?: SequenceOf }>();
  /** Every queue this process sends to or works on: all are created at start. */
  private readonly queues = new Set<string>();
  private started: Promise<void> | undefined;
  private readonly workers: QueueWorker[] = [];

  constructor(@Inject(DATABASE_URL) url: string) {
    this.boss = new PgBoss({
      connectionString: url,
      max: 3,
      application_name: 'paymux-jobs',
      schedule: false,
      // A job whose process died mid-way is retried after this long (deliveries are at-least-once).
      expireInSeconds: 120,
      retryLimit: 10,
      retryDelay: 5,
    });
    this.boss.on('error', (err: Error) => this.logger.warn(`job queue: ${err.message}`));
  }

  /**
   * Name a queue this process sends to, before the application starts. It is created at start on
   * every process, worker or not: pg-boss 10 stores a job only in a queue that exists, and a job
   * sent to a missing one is dropped without an error.
   */
  declare(queue: string): void {
    this.queues.add(queue);
  }

  /**
   * Register a handler before the application starts (a worker process); declares its queue. Jobs
   * run concurrently (up to JOBS_IN_FLIGHT, QueueWorker), except those `inSequence` names the same key
   * for: they run one after another, by position.
   */
  handle(queue: string, handler: JobHandler, opts: { inSequence?: SequenceOf } = {}): void {
    this.declare(queue);
    this.handlers.set(queue, { handler, inSequence: opts.inSequence });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.started = (async () => {
      await this.boss.start();
      for (const queue of this.queues) await this.createQueue(queue);
      for (const [queue, { handler, inSequence }] of this.handlers) {
        const worker = new QueueWorker({
          fetch: async (n) => (await this.boss.fetch<Record<string, unknown>>(queue, { batchSize: n })) ?? [],
          run: (job) => this.runJob(queue, job, handler),
          complete: async (ids) => void (await this.boss.complete(queue, ids)),
          inSequence,
          maxInFlight: JOBS_IN_FLIGHT,
          pollMs: POLL_MS,
          onError: (what, err) =>
            this.logger.warn(
              what === 'fetch'
                ? `job queue: fetching ${queue} jobs failed: ${String(err)}`
                : `job queue: completing ${queue} jobs failed (${String(err)}); they run again once they expire`,
            ),
        });
        this.workers.push(worker);
        worker.start();
      }
    })();
    await this.started;
  }

  /**
   * One job: true when its handler succeeded (QueueWorker completes it); when the handler throws,
   * the job is failed (and retried by pg-boss) alone, and false.
   */
  private async runJob(queue: string, job: FetchedJob, handler: JobHandler): Promise<boolean> {
    try {
      await handler(job.data);
      return true;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.logger.warn(`job ${queue}/${job.id} failed: ${message}`);
      await this.boss.fail(queue, job.id, { message }).catch((e: unknown) => {
        this.logger.warn(
          `job ${queue}/${job.id}: failing it failed (${String(e)}); it runs again once it expires`,
        );
      });
      return false;
    }
  }

  /**
   * Create a queue unless it exists. Processes starting together on a fresh database race to create
   * it, and pg-boss's create_queue can deadlock against another's (PostgreSQL rolls one back): the
   * survivor's queue stands, and the next try finds it.
   */
  private async createQueue(queue: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        if (!(await this.boss.getQueue(queue))) await this.boss.createQueue(queue);
        return;
      } catch (err) {
        if (attempt >= 5) throw err;
        this.logger.warn(`creating queue ${queue} failed (${String(err)}); trying again`);
        await new Promise((r) => setTimeout(r, 100 * attempt + Math.floor(Math.random() * 100)));
      }
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.started?.catch(() => undefined);
    // The jobs running end first (a delivery is bounded by NOTIFY_TIMEOUT_MS); one still running
    // after STOP_WAIT_MS stays active in the queue and runs again once it expires.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.workers.map((w) => w.stop())),
      new Promise((r) => (timer = setTimeout(r, STOP_WAIT_MS))),
    ]);
    clearTimeout(timer);
    await this.boss.stop({ graceful: true, wait: true, timeout: STOP_WAIT_MS }).catch(() => undefined);
  }

  /**
   * Queue jobs as CTE `name` of the caller's statement, RETURNING the id of each job stored (none
   * when pg-boss did not store it, e.g. its queue is missing: the caller must count them and fail its
   * statement unless all were). The INSERT is pg-boss's own multi-row one (`insert()`, one JSON
   * parameter for all the jobs), with its own values: insert() is run against a recording executeSql
   * and what it would have sent is added to the batch, its $n renumbered and `RETURNING id` added.
   */
  async addInsert(
    batch: InsertBatch,
    name: string,
    queue: string,
    jobs: readonly { id: string; data: Record<string, unknown> }[],
  ): Promise<void> {
    let recorded: { text: string; values: unknown[] } | undefined;
    await this.boss.insert(
      jobs.map((j) => ({ id: j.id, name: queue, data: j.data })),
      {
        db: {
          executeSql: (text: string, values: unknown[]) => {
            recorded = { text, values };
            return Promise.resolve({ rows: [] });
          },
        },
      },
    );
    if (!recorded) throw new Error(`job queue: pg-boss sent no statement for ${queue} jobs`);
    const { text, values } = recorded;
    const placeholders = new Map<number, string>();
    batch.add(
      name,
      `${text.replace(/\$(\d+)/g, (_, n: string) => {
        const i = Number(n);
        let p = placeholders.get(i);
        if (p === undefined) placeholders.set(i, (p = batch.param(values[i - 1])));
        return p;
      })} RETURNING id`,
    );
  }

  /**
   * Queue a job, inside `m`'s transaction when given (rolled back with it). `startAfterSeconds`
   * delays it (retries on a schedule). `id`: the job's own (a uuid), else pg-boss draws one. Jobs
   * queued in one transaction are fetched in the order of their ids (pg-boss orders by creation
   * time, the transaction's, then id).
   */
  async send(
    queue: string,
    data: Record<string, unknown>,
    opts: { m?: EntityManager; startAfterSeconds?: number; id?: string } = {},
  ): Promise<void> {
    const m = opts.m;
    const id = await this.boss.send(queue, data, {
      id: opts.id,
      startAfter: opts.startAfterSeconds && opts.startAfterSeconds > 0 ? opts.startAfterSeconds : undefined,
      db: m
        ? {
            executeSql: async (text: string, values: unknown[]) => ({
              rows: await m.query<unknown[]>(text, values),
            }),
          }
        : undefined,
    });
    // Never lose a job silently: without it the caller's change must not commit either.
    if (!id) throw new Error(`job queue: a ${queue} job was not stored (is the queue declared?)`);
  }
}
