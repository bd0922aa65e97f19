import type { RunningPaymux } from '../src/bootstrap';
import { ProviderError } from '../src/payments/contract/payment-provider';
import { SandboxProvider } from '../src/payments/providers/sandbox/sandbox.provider';
import { ReconciliationService } from '../src/payments/reconciliation/reconciliation.service';
import { db, http, Merchant, newMerchant, paidOrderId, startTestApp } from './helpers/app';

/**
 * The credits held by pending refunds live on the application's balance row (applications.held_credits,
 * LedgerService): held when a refund is reserved, released when it fails (refused at once, failed by
 * reconciliation, or failed as the duplicate of another refund), released with the debit when it
 * succeeds. At every step they equal the credits of the application's pending refunds, the sum the
 * migration backfilled them from.
 */
describe('held refund credits', () => {
  let app: RunningPaymux;
  // Reconciliation runs only when a test asks (runOnce).
  beforeAll(async () => (app = await startTestApp({ RECONCILE_INTERVAL_MS: '0' })));
  afterAll(() => app.close());
  afterEach(() => jest.restoreAllMocks());

  const paidOrder = (m: Merchant): Promise<string> => paidOrderId(app, m);
  const refund = (m: Merchant, orderId: string, body: Record<string, unknown>) =>
    http(app).post(`/api/v1/orders/${orderId}/refunds`).set(m.auth).send(body);

  /** The application's balance and held credits, and the credits of its pending refunds. */
  async function credits(m: Merchant): Promise<{ balance: string; held: string; pending: string }> {
    const [row] = await db(app).query<{ balance: string; held: string; pending: string }[]>(
      `SELECT a.balance::text AS balance, a.held_credits::text AS held,
              (SELECT COALESCE(SUM(r.credits), 0) FROM refunds r JOIN orders o ON o.id = r.order_id
                WHERE r.tenant_id = a.tenant_id AND r.status = 'pending' AND o.application_id = a.id)::text AS pending
         FROM applications a WHERE a.id = $1`,
      [m.applicationId],
    );
    return row;
  }
  async function expectHeld(m: Merchant, balance: string, held: string): Promise<void> {
    const c = await credits(m);
    expect(c).toEqual({ balance, held, pending: held === '0.000000' ? '0' : held });
  }
  async function reconcile(m: Merchant): Promise<void> {
    await db(app).query(`UPDATE refunds SET updated_at = now() - interval '1 hour' WHERE tenant_id = $1`, [
      m.tenantId,
    ]);
    await app.app.get(ReconciliationService).runOnce({ tenantId: m.tenantId });
  }

  it('holds on reservation, releases on failure, releases with the debit on success', async () => {
    const m = await newMerchant(app);
    const first = await paidOrder(m);
    const second = await paidOrder(m);
    await expectHeld(m, '1000.000000', '0.000000');
    const sandbox = app.app.get(SandboxProvider);

    // No answer: pending, its credits held.
    jest.spyOn(sandbox, 'refund').mockRejectedValueOnce(new ProviderError('timeout', 'no answer'));
    await refund(m, first, { amount: '10.00', reason: 'slow' }).expect(202);
    await expectHeld(m, '1000.000000', '100.020004');

    // Refused at once: failed in the same request, nothing more held.
    jest.spyOn(sandbox, 'refund').mockRejectedValueOnce(new ProviderError('rejected', 'disputed'));
    await refund(m, first, { amount: '5.00', reason: 'refused' }).expect(422);
    await expectHeld(m, '1000.000000', '100.020004');

    // Reconciliation learns the pending one failed: released, nothing debited.
    jest.spyOn(sandbox, 'queryRefund').mockResolvedValueOnce({ status: 'failed' });
    await reconcile(m);
    await expectHeld(m, '1000.000000', '0.000000');

    // Pending again, then succeeded: the debit takes the credits and releases the hold.
    jest.spyOn(sandbox, 'refund').mockRejectedValueOnce(new ProviderError('timeout', 'no answer'));
    await refund(m, second, { amount: '10.00', reason: 'slow' }).expect(202);
    await expectHeld(m, '1000.000000', '100.020004');
    jest
      .spyOn(sandbox, 'queryRefund')
      .mockResolvedValueOnce({ status: 'succeeded', providerRefundId: 're_h1' });
    await reconcile(m);
    await expectHeld(m, '899.979996', '0.000000');
  });

  it('releases the hold of a refund failed as the duplicate of another, and debits once', async () => {
    const m = await newMerchant(app);
    const orderId = await paidOrder(m);
    const sandbox = app.app.get(SandboxProvider);
    const number = `re_dup_${orderId.slice(0, 8)}`;
    jest.spyOn(sandbox, 'refund').mockResolvedValue({ status: 'succeeded', providerRefundId: number });
    const one = await refund(m, orderId, { amount: '10.00', reason: 'one' }).expect(201);
    await expectHeld(m, '399.979996', '0.000000');
    // The provider answers the second refund with the first one's number: the same refund.
    const two = await refund(m, orderId, { amount: '5.00', reason: 'two' });
    expect(two.body.id).toBe(one.body.id);
    await expectHeld(m, '399.979996', '0.000000');
  });
});
