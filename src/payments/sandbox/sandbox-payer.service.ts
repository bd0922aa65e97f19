import { Injectable } from '@nestjs/common';
import { randomToken } from '../../common/crypto';
import { moneyField, parseReportedAmount } from '../../common/money';
import { unixSeconds } from '../../common/time';
import { ConfirmationFastPath } from '../events/confirmation-fast-path';
import { WebhooksService } from '../events/webhooks.service';
import { PaymentErrors } from '../payments.errors';
import { ProviderRegistry } from '../provider-registry';
import {
  SANDBOX_SIGNATURE_HEADER,
  SandboxEventBody,
  signSandboxPayload,
} from '../providers/sandbox/sandbox.provider';
import { SandboxChargesStore } from './sandbox-charges.store';
import type { SandboxCompletionResponse } from './sandbox.response';

export interface SandboxCompletion {
  outcome: 'succeeded' | 'failed';
  /** Another amount than the attempt's (the confirmation is then flagged, not credited). */
  amount?: string;
  currency?: string;
  /** false: the charge is recorded, no callback is sent (a lost callback). */
  notify?: boolean;
}

/**
 * The Sandbox's "payer side": completing a payment records the charge and emits a signed callback
 * into the same webhook pipeline as every real provider. Behind POST /api/v1/sandbox/payments/:pay_id/complete,
 * and the demo's seeded orders.
 */
@Injectable()
export class SandboxPayer {
  constructor(
    private readonly fastPath: ConfirmationFastPath,
    private readonly registry: ProviderRegistry,
    private readonly webhooks: WebhooksService,
    private readonly charges: SandboxChargesStore,
  ) {}

  async complete(payId: string, c: SandboxCompletion): Promise<SandboxCompletionResponse> {
    if (!/^sbx_[A-Za-z0-9_-]{1,64}$/.test(payId)) throw PaymentErrors.payment_not_found('payment not found');
    // Checked before any SQL, since the completion's one statement writes the charge
    // (ProviderRegistry.contextFor needs no database for the Sandbox).
    if (!this.registry.sandboxEnabled()) throw PaymentErrors.payment_not_found('payment not found');
    if (c.amount !== undefined) moneyField('amount', () => parseReportedAmount(c.amount));
    // The payment with its order, as the confirmation's fast path reads them, and the provider-side
    // record (sandbox_charges) of what the payer did: one statement, which writes only when the
    // payment exists.
    const read = await this.fastPath.readPayment('sandbox', payId, (batch, found) =>
      this.charges.addRecord(batch, 'charge', found, c),
    );
    const payment = read?.payment;
    const ctx = payment ? await this.registry.contextFor(payment.tenantId, 'sandbox') : null;
    if (!payment || !ctx) throw PaymentErrors.payment_not_found('payment not found');

    const amount = c.amount ?? payment.amount;
    const currency = c.currency ?? payment.currency;
    if (c.notify === false) return { pay_id: payId, outcome: c.outcome, delivered: false };

    const event: SandboxEventBody = {
      id: `sbxevt_${randomToken(12)}`,
      type: c.outcome === 'succeeded' ? 'payment.succeeded' : 'payment.failed',
      pay_id: payId,
      amount,
      currency,
      created: unixSeconds(),
    };
    const body = JSON.stringify(event);
    const signature = signSandboxPayload(ctx.credentials.webhook_secret, body, unixSeconds());
    const { reply, result } = await this.webhooks.receive(
      'sandbox',
      payment.tenantId,
      {
        headers: { [SANDBOX_SIGNATURE_HEADER]: signature, 'content-type': 'application/json' },
        body: Buffer.from(body),
      },
      { counted: false, read: read ?? undefined },
    );
    return {
      pay_id: payId,
      outcome: c.outcome,
      delivered: reply.status === 200,
      event_id: event.id,
      result: result?.outcome ?? null,
      note: result?.note ?? null,
      order_state: result?.orderState ?? null,
    };
  }
}
