import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Public } from '../../auth/auth.decorators';
import { ApiErrorResponses } from '../../common/api-docs';
import { randomToken } from '../../common/crypto';
import { unixSeconds } from '../../common/time';
import { Payment } from '../attempts/payment.entity';
import { ProviderRegistry } from '../provider-registry';
import { WebhooksService } from '../events/webhooks.service';
import { SandboxChargesStore } from './sandbox-charges.store';
import { CompleteSandboxPaymentDto } from './sandbox.dto';
import { SandboxCompletionResponse } from './sandbox.response';
import {
  SANDBOX_SIGNATURE_HEADER,
  SandboxEventBody,
  signSandboxPayload,
} from '../providers/sandbox/sandbox.provider';
import { PaymentErrors } from '../payments.errors';

/**
 * The Sandbox's "payer side": completing a payment records the charge and emits a signed callback
 * into the same webhook pipeline as every real provider. Open like a provider's checkout page: the
 * pay_id is the capability.
 */
@ApiTags('Sandbox')
@Public()
@Controller('api/v1/sandbox/payments')
export class SandboxController {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly registry: ProviderRegistry,
    private readonly webhooks: WebhooksService,
    private readonly charges: SandboxChargesStore,
  ) {}

  @Post(':pay_id/complete')
  @HttpCode(200)
  @ApiOkResponse({ type: SandboxCompletionResponse })
  @ApiErrorResponses([400, 404])
  async complete(
    @Param('pay_id') payId: string,
    @Body() dto: CompleteSandboxPaymentDto,
  ): Promise<SandboxCompletionResponse> {
    if (!/^sbx_[A-Za-z0-9_-]{1,64}$/.test(payId)) throw PaymentErrors.payment_not_found('payment not found');
    const payment = await this.db
      .getRepository(Payment)
      .findOne({ where: { provider: 'sandbox', providerRef: payId } });
    const ctx = payment ? await this.registry.contextFor(payment.tenantId, 'sandbox') : null;
    if (!payment || !ctx) throw PaymentErrors.payment_not_found('payment not found');

    const amount = dto.amount === undefined ? payment.amount : String(dto.amount);
    const currency = dto.currency ?? payment.currency;
    await this.recordCharge(payment, dto.outcome, amount, currency);
    if (dto.notify === false) return { pay_id: payId, outcome: dto.outcome, delivered: false };

    const event: SandboxEventBody = {
      id: `sbxevt_${randomToken(12)}`,
      type: dto.outcome === 'succeeded' ? 'payment.succeeded' : 'payment.failed',
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
      { counted: false },
    );
    return {
      pay_id: payId,
      outcome: dto.outcome,
      delivered: reply.status === 200,
      event_id: event.id,
      result: result?.outcome ?? null,
      note: result?.note ?? null,
      order_state: result?.orderState ?? null,
    };
  }

  /** The provider-side record; a success is final and is never overwritten by a later failure. */
  private async recordCharge(
    payment: Payment,
    outcome: 'succeeded' | 'failed',
    amount: string,
    currency: string,
  ): Promise<void> {
    await this.charges.record(payment.providerRef ?? '', payment.tenantId, outcome, amount, currency);
  }
}
