import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { recordAudit } from '../../audit/audit-log';
import type { Principal } from '../../auth/principal';
import { formatAmount, Money } from '../../common/money';
import { PaymentEventsService } from '../events/payment-events.service';
import type { VerifiedEvent } from '../contract/payment-provider';
import type { PendingPayment } from './payment-query.service';
import { PaymentErrors } from '../payments.errors';

/** A platform operator's decision on a payment no provider can settle (POST /api/v1/admin/payments/:id/resolve). */
@Injectable()
export class OperatorResolutionService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly events: PaymentEventsService,
  ) {}

  /**
   * A platform operator's decision on a payment no provider can settle (an x402 settle whose answer
   * was lost and whose nonce is now used: only the chain can tell). Applied through the event path
   * like any provider answer (a success is credited once, at the attempt's own amount), and audited
   * in the same transaction. Only a pending attempt can be resolved.
   */
  async resolveByOperator(
    actor: Principal,
    paymentId: string,
    outcome: 'succeeded' | 'failed',
    reason: string,
  ): Promise<{ payment_id: string; status: string; order_id: string; order_state: string; result: string }> {
    const [p] = await this.db.query<(PendingPayment & { status: string })[]>(
      `SELECT id, tenant_id, order_id, provider, provider_ref, amount, currency, status FROM payments WHERE id = $1`,
      [paymentId],
    );
    if (!p) throw PaymentErrors.payment_not_found('payment not found');
    if (p.status !== 'pending' || !p.provider_ref)
      throw PaymentErrors.payment_not_pending(`the payment is ${p.status} and cannot be resolved`, {
        status: p.status,
      });
    const event: VerifiedEvent = {
      eventId: `operator:${p.id}`,
      type: `operator.${outcome}`,
      outcome,
      providerRef: p.provider_ref,
      amount: formatAmount(p.currency, new Money(p.amount)),
      currency: p.currency,
      payload: { source: 'operator', actor_id: actor.userId, reason },
    };
    const result = await this.events.applyEvent(p.tenant_id, p.provider, event, (m) =>
      recordAudit(m, actor, {
        tenantId: p.tenant_id,
        action: 'payment.resolve',
        target: `payment:${p.id}`,
        data: { from: p.status, outcome, reason },
      }),
    );
    if (result.outcome === 'duplicate')
      throw PaymentErrors.payment_not_pending('the payment was already resolved by an operator');
    const [after] = await this.db.query<{ status: string; state: string }[]>(
      'SELECT p.status, o.state FROM payments p JOIN orders o ON o.id = p.order_id WHERE p.id = $1',
      [p.id],
    );
    return {
      payment_id: p.id,
      status: after.status,
      order_id: p.order_id,
      order_state: after.state,
      result: result.outcome,
    };
  }
}
