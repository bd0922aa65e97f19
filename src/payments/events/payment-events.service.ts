import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import type { OrderState } from '../../orders/order-state';
import { OrdersService } from '../../orders/orders.service';
import type { VerifiedEvent } from '../contract/payment-provider';
import { AttemptCloser } from '../attempts/attempt-closer.service';
import { Payment, PaymentStatus } from '../attempts/payment.entity';
import { isUUID } from 'class-validator';
import { retryRolledBack } from '../../common/pg-errors';
import { PaymentErrors } from '../payments.errors';
import { amountMismatch } from './amount-mismatch';
import { ConfirmablePayment, ConfirmationFastPath, ConfirmationRead } from './confirmation-fast-path';
import { ProviderEvent, ProviderEventOutcome, VerifiedFields } from './provider-event.entity';

/** The provider-neutral fields of a verified event, as stored with it. */
const verifiedFields = (e: VerifiedEvent): VerifiedFields => ({
  outcome: e.outcome,
  provider_ref: e.providerRef,
  ...(e.amount !== undefined ? { amount: e.amount } : {}),
  ...(e.currency !== undefined ? { currency: e.currency } : {}),
});

export type EventResult = {
  outcome: ProviderEventOutcome | 'duplicate';
  note?: string;
  orderState?: OrderState;
};

/**
 * Applies verified provider events (callbacks, returns, reconciliation's answers, x402 settlements,
 * operators' decisions), exactly once per (tenant, provider, event id).
 */
@Injectable()
export class PaymentEventsService {
  private readonly logger = new Logger(PaymentEventsService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly orders: OrdersService,
    private readonly closer: AttemptCloser,
    private readonly fastPath: ConfirmationFastPath,
  ) {}

  /**
   * Apply a verified provider event. Locks the order, then the payment (always in that order). A
   * success whose amount or currency differs from the attempt is recorded and flagged, never
   * credited. Once a success is applied, the order's other open attempts are closed at their
   * providers (after commit, in the background: AttemptCloser). The common success (a pending
   * payment, its exact amount, a payable order; not for an event with `within`) is applied by
   * ConfirmationFastPath in one statement, with the same locks in the same order, and comes here only
   * when that statement found anything changed.
   */
  async applyEvent(
    tenantId: string,
    providerId: string,
    event: VerifiedEvent,
    /** Written in the event's own transaction once the event is recorded (not for a duplicate): an audit row. */
    within?: (m: EntityManager) => Promise<unknown>,
    /** The event's payment (and its order) when the caller already read them (the Sandbox's completion). */
    known?: ConfirmationRead,
  ): Promise<EventResult> {
    const matches =
      known &&
      known.payment.tenantId === tenantId &&
      known.payment.provider === providerId &&
      known.payment.providerRef === event.providerRef;
    const found = matches
      ? known.payment
      : await this.db
          .getRepository(Payment)
          .findOne({ where: { tenantId, provider: providerId, providerRef: event.providerRef } });
    // The common success in one statement (ConfirmationFastPath); anything else, or anything that
    // changed under it, through the locked transaction below, which decides again.
    if (found && !within) {
      const fast = await this.fastPath.confirm(providerId, event, matches ? known : { payment: found }, {
        payload: JSON.stringify(event.payload),
        verified: JSON.stringify(verifiedFields(event)),
      });
      if (fast) {
        if (fast.othersOpen) this.closer.closeOthersLater(tenantId, found.orderId, found.id);
        return { outcome: 'applied', orderState: fast.orderState };
      }
    }
    // A deadlock is possible in the transaction (a group of the fast path's statements holding the
    // balance row and waiting for this order): PostgreSQL rolls one side back; this side runs again.
    const result = await retryRolledBack(() =>
      this.db.transaction((m) => this.applyLocked(m, tenantId, providerId, event, found, within)),
    );
    if (found && event.outcome === 'succeeded' && result.outcome === 'applied')
      this.closer.closeOthersLater(tenantId, found.orderId, found.id);
    return result;
  }

  /**
   * applyEvent's general path, in transaction `m`: records the event (or finds it a duplicate), then
   * locks the order and the payment and decides on what it finds.
   */
  private async applyLocked(
    m: EntityManager,
    tenantId: string,
    providerId: string,
    event: VerifiedEvent,
    found: ConfirmablePayment | null,
    within?: (m: EntityManager) => Promise<unknown>,
  ): Promise<EventResult> {
    const eventRowId = randomUUID();
    const inserted = await m.query<{ id: string }[]>(
      `INSERT INTO provider_events (id, tenant_id, provider, event_id, type, payment_id, outcome, payload, verified)
       VALUES ($1, $2, $3, $4, $5, $6, 'applied', $7, $8)
       ON CONFLICT (tenant_id, provider, event_id) DO NOTHING RETURNING id`,
      [
        eventRowId,
        tenantId,
        providerId,
        event.eventId,
        event.type,
        found?.id ?? null,
        JSON.stringify(event.payload),
        JSON.stringify(verifiedFields(event)),
      ],
    );
    if (inserted.length === 0) return { outcome: 'duplicate' };
    if (within) await within(m);
    // Recorded as 'applied' (the common case); any other outcome is written over it.
    const record = async (
      outcome: ProviderEventOutcome,
      note?: string,
      orderState?: OrderState,
    ): Promise<EventResult> => {
      if (outcome !== 'applied')
        await m.update(ProviderEvent, { id: eventRowId }, { outcome, note: note ?? null });
      return { outcome, note, orderState };
    };
    if (!found) return record('ignored', 'no payment with this reference');

    const order = await this.orders.lock(m, tenantId, found.orderId);
    const [payment] = await m.query<Pick<Payment, 'id' | 'status' | 'amount' | 'currency'>[]>(
      'SELECT id, status, amount, currency FROM payments WHERE id = $1 FOR UPDATE',
      [found.id],
    );
    const setPayment = (values: { status?: PaymentStatus; flag_reason?: string }): Promise<unknown> =>
      m.query(
        `UPDATE payments SET status = COALESCE($2, status), flag_reason = COALESCE($3, flag_reason), updated_at = now() WHERE id = $1`,
        [payment.id, values.status ?? null, values.flag_reason ?? null],
      );

    switch (event.outcome) {
      case 'succeeded': {
        if (payment.status === 'succeeded')
          return record('ignored', 'payment already succeeded', order.state);
        const mismatch = amountMismatch(payment, event);
        if (mismatch) {
          await setPayment({ flag_reason: mismatch });
          this.logger.warn(`payment ${payment.id} flagged: ${mismatch}`);
          return record('flagged', mismatch, order.state);
        }
        // Paid, Finished or refunded: another attempt of this order already succeeded.
        if (!this.orders.isPayable(order)) {
          const note = 'order already paid by another payment: refund needed';
          await setPayment({ flag_reason: note });
          return record('flagged', note, order.state);
        }
        await setPayment({ status: 'succeeded' });
        await this.orders.confirmPaid(m, order, `${providerId} ${event.type}`);
        return record('applied', undefined, order.state);
      }
      case 'failed':
      case 'expired': {
        if (payment.status !== 'pending')
          return record('ignored', `payment already ${payment.status}`, order.state);
        await setPayment({ status: event.outcome });
        return record('applied', undefined, order.state);
      }
      case 'pending':
        return record('ignored', 'not final', order.state);
    }
  }

  /**
   * Apply a stored, already verified event again through applyEvent (an operator's replay, e.g. of an
   * event that came before its payment was recorded), as event `replay:<event id>` of the same tenant
   * and provider: replaying it a second time is a duplicate and changes nothing. `ref` is the row's id
   * (uuid) or the provider's event id when that names one event. `within` runs in the replay's
   * transaction when it is applied (an audit row).
   */
  async replay(
    ref: string,
    within: (m: EntityManager, original: ProviderEvent) => Promise<unknown>,
  ): Promise<EventResult & { original: ProviderEvent; replayEventId: string }> {
    const repo = this.db.getRepository(ProviderEvent);
    let rows = isUUID(ref) ? await repo.find({ where: { id: ref } }) : [];
    if (rows.length === 0) rows = await repo.find({ where: { eventId: ref }, take: 2 });
    const [original] = rows;
    if (!original) throw PaymentErrors.provider_event_not_found(`no stored provider event ${ref}`);
    if (rows.length > 1)
      throw PaymentErrors.provider_event_ambiguous(
        `more than one stored event has the provider event id ${ref}: give the event's id (uuid) instead`,
      );
    const v = original.verified;
    if (!v)
      throw PaymentErrors.provider_event_not_replayable(
        `provider event ${original.id} was recorded before paymux kept what its verification said: it cannot be replayed`,
      );
    const replayEventId = original.eventId.startsWith('replay:')
      ? original.eventId
      : `replay:${original.eventId}`;
    const result = await this.applyEvent(
      original.tenantId,
      original.provider,
      {
        eventId: replayEventId,
        type: original.type,
        outcome: v.outcome,
        providerRef: v.provider_ref,
        amount: v.amount,
        currency: v.currency,
        payload: { replay_of: original.id },
      },
      (m) => within(m, original),
    );
    return { ...result, original, replayEventId };
  }
}
