import { performance } from 'node:perf_hooks';
import {
  call,
  cluster,
  Database,
  formatHistogram,
  freshDatabase,
  histogram,
  ms,
  must,
  newTenant,
  percentile,
  pool,
  Server,
  startServer,
  stopAllServers,
} from './harness';
import { runScenario, ScenarioReport } from './report';

const ORDERS = 100;
const DUPLICATES = 10;

/**
 * Two paymux processes on one database; 100 Sandbox orders; 1,000 concurrent duplicate
 * confirmations (ten per order, five through each process). Each order must be credited exactly
 * once and the ledger must sum to the balances, checked in SQL.
 */
describe('reliability 1: concurrent duplicate confirmations across processes', () => {
  const report = new ScenarioReport(
    1,
    'Each order is confirmed, credited and finished exactly once however many duplicate confirmations race through however many processes, and the ledger sums to the balances.',
  );
  let db: Database | undefined;
  let a: Server | undefined;
  let b: Server | undefined;

  afterAll(async () => {
    report.save();
    await stopAllServers();
    await db?.drop();
  });

  it('credits each of 100 orders once under 1,000 concurrent duplicate confirmations on two processes', () =>
    runScenario(
      report,
      () => [a, b],
      async () => {
        db = await freshDatabase('s1');
        const c = cluster(db);
        [a, b] = await Promise.all([startServer(c, 'A'), startServer(c, 'B')]);
        const servers = [a, b];
        report.ran(`two paymux processes A (pid ${a.pid}) and B (pid ${b.pid}) on one fresh database`);

        const t = await newTenant(a.url, 'Dup');
        const orders = await pool(
          Array.from({ length: ORDERS }, (_, i) => i),
          10,
          async (i) =>
            (await must(201, servers[i % 2].url, 'POST', '/api/v1/orders', {
              token: t.token,
              json: { application_id: t.applicationId, package_id: t.packageId, pay_way: 'Sandbox' },
            })) as { id: string; pay_id: string },
        );
        report.ran(
          `${ORDERS} Sandbox orders (USD 49.99, 500 credits) created with POST /api/v1/orders, alternately on A and B, with one JWT (both processes share JWT_SECRET and PAYMUX_MASTER_KEY)`,
        );

        // Ten confirmations per order, five through each process, in a shuffled order, all at once.
        const jobs = orders.flatMap((o, k) =>
          Array.from({ length: DUPLICATES }, (_, j) => ({ order: k, payId: o.pay_id, server: j % 2 })),
        );
        for (let i = jobs.length - 1; i > 0; i--) {
          const j = Math.floor(Math.random() * (i + 1));
          [jobs[i], jobs[j]] = [jobs[j], jobs[i]];
        }
        const started = performance.now();
        const answers = await Promise.all(
          jobs.map((job) =>
            call(servers[job.server].url, 'POST', `/api/v1/sandbox/payments/${job.payId}/complete`, {
              json: { outcome: 'succeeded' },
            }),
          ),
        );
        const wall = performance.now() - started;
        report.ran(
          `${jobs.length} duplicate confirmations POST /api/v1/sandbox/payments/:pay_id/complete {outcome: "succeeded"} (${DUPLICATES} per order, ${jobs.filter((j) => j.server === 0).length} through A and ${jobs.filter((j) => j.server === 1).length} through B), all sent at once`,
        );

        const statuses = histogram(answers.map((r) => (r.status === 0 ? `error ${r.error}` : r.status)));
        const results = histogram(answers.map((r) => String(r.body?.result ?? 'none')));
        const latencies = answers.map((r) => r.ms);
        report.figure('confirmations sent', jobs.length);
        report.figure('wall time of the burst', ms(wall));
        report.figure('throughput', `${Math.round(jobs.length / (wall / 1000))} confirmations/s`);
        report.figure(
          'latency p50 / p99 / max',
          `${ms(percentile(latencies, 50))} / ${ms(percentile(latencies, 99))} / ${ms(Math.max(...latencies))}`,
        );
        report.figure('HTTP statuses', formatHistogram(statuses));
        report.figure('`result` of the answers', formatHistogram(results));
        const appliedBy = histogram(
          answers.flatMap((r, i) => (r.body?.result === 'applied' ? [jobs[i].server === 0 ? 'A' : 'B'] : [])),
        );
        report.figure('applied confirmations by process', formatHistogram(appliedBy));

        report.check(
          'every confirmation answered 200',
          statuses['200'] === jobs.length,
          formatHistogram(statuses),
        );
        const appliedPerOrder = new Map<number, number>();
        answers.forEach((r, i) => {
          if (r.body?.result === 'applied')
            appliedPerOrder.set(jobs[i].order, (appliedPerOrder.get(jobs[i].order) ?? 0) + 1);
        });
        const appliedOnce = orders.filter((_, k) => appliedPerOrder.get(k) === 1).length;
        report.check(
          'exactly one answer per order says "applied", the others "ignored"',
          appliedOnce === ORDERS && results.applied === ORDERS && results.ignored === jobs.length - ORDERS,
          `${appliedOnce}/${ORDERS} orders applied once; ${formatHistogram(results)}`,
        );

        // The database, in SQL.
        const credits = await db.q<{
          id: string;
          credits: number;
          state: string;
          succeeded: number;
          transitions: number;
        }>(
          `SELECT o.id, o.state,
                  (SELECT count(*)::int FROM ledger_entries l WHERE l.order_id = o.id AND l.kind = 'credit') AS credits,
                  (SELECT count(*)::int FROM payments p WHERE p.order_id = o.id AND p.status = 'succeeded') AS succeeded,
                  (SELECT count(*)::int FROM order_transitions x WHERE x.order_id = o.id) AS transitions
             FROM orders o WHERE o.tenant_id = $1`,
          [t.tenantId],
        );
        report.figure('orders in the database', credits.length);
        report.check(
          'each order has exactly one credit ledger entry',
          credits.length === ORDERS && credits.every((r) => r.credits === 1),
          `credit entries per order: ${formatHistogram(histogram(credits.map((r) => r.credits)))}`,
        );
        report.check(
          'each order is Finished',
          credits.every((r) => r.state === 'Finished'),
          formatHistogram(histogram(credits.map((r) => r.state))),
        );
        report.check(
          'each order has exactly one succeeded payment',
          credits.every((r) => r.succeeded === 1),
          `succeeded payments per order: ${formatHistogram(histogram(credits.map((r) => r.succeeded)))}`,
        );
        report.check(
          'each order moved Pending → Paid → Finished once (3 history rows)',
          credits.every((r) => r.transitions === 3),
          `history rows per order: ${formatHistogram(histogram(credits.map((r) => r.transitions)))}`,
        );
        const events = await db.q<{ outcome: string; n: number }>(
          `SELECT outcome, count(*)::int AS n FROM provider_events WHERE tenant_id = $1 GROUP BY outcome`,
          [t.tenantId],
        );
        const eventHist = Object.fromEntries(events.map((e) => [e.outcome, e.n]));
        report.figure('provider events recorded', formatHistogram(eventHist));
        report.check(
          'every confirmation is recorded as a provider event; 100 of them applied',
          eventHist.applied === ORDERS && events.reduce((s, e) => s + e.n, 0) === jobs.length,
          formatHistogram(eventHist),
        );
        const sums = await db.q<{ id: string; balance: string; ledger: string; remaining: string }>(
          `SELECT a.id, a.balance::text AS balance,
                  (SELECT coalesce(sum(l.amount), 0)::text FROM ledger_entries l WHERE l.application_id = a.id) AS ledger,
                  (SELECT coalesce(sum(o.remaining_amount), 0)::text FROM orders o WHERE o.application_id = a.id) AS remaining
             FROM applications a`,
        );
        for (const s of sums) {
          report.figure(
            `application ${s.id.slice(0, 8)}…: balance / ledger sum / Σ remaining_amount`,
            `${s.balance} / ${s.ledger} / ${s.remaining}`,
          );
        }
        report.check(
          'SUM(ledger_entries.amount) equals applications.balance for every application',
          sums.length > 0 && sums.every((s) => Number(s.balance) === Number(s.ledger)),
          sums.map((s) => `${s.balance} = ${s.ledger}`).join(', '),
        );
        report.check(
          'the balance is 100 × 500 credits',
          sums.reduce((acc, s) => acc + Number(s.balance), 0) === ORDERS * 500,
          sums.map((s) => s.balance).join(', '),
        );
        const ledgerTotal = await db.n(`SELECT count(*) AS n FROM ledger_entries`);
        report.check('no other ledger entry exists', ledgerTotal === ORDERS, `${ledgerTotal} ledger entries`);
        report.check(
          'both processes are still up',
          a.running() && b.running(),
          `A ${a.running()}, B ${b.running()}`,
        );
      },
    ));
});
