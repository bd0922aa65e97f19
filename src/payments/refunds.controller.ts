import { Body, Controller, Get, Headers, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { formatAmount, Money, toJsonNumber } from '../common/money';
import { isoMicros } from '../common/time';
import { UuidParam } from '../common/uuid-param';
import { CreateRefundDto } from './dto/refund.dto';
import type { Refund } from './refund.entity';
import { RefundsService } from './refunds.service';
import { PaymentErrors } from './payments.errors';

@ApiTags('refunds')
@ApiBearerAuth()
@Controller('api/v1/orders/:id/refunds')
export class RefundsController {
  constructor(private readonly refunds: RefundsService) {}

  /**
   * Refund a paid order, fully or partly (owner or admin). 201 when the provider confirmed it, 202
   * while it is pending at the provider; the same Idempotency-Key and body answer the same refund.
   */
  @Post()
  @Roles('owner', 'admin')
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  async create(
    @CurrentPrincipal() p: Principal,
    @UuidParam() orderId: string,
    @Body() dto: CreateRefundDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<Record<string, unknown>> {
    if (key !== undefined && !/^[\x21-\x7e]{1,255}$/.test(key)) {
      throw PaymentErrors.invalid_idempotency_key('Idempotency-Key must be 1-255 printable ASCII characters');
    }
    const { refund, replayed } = await this.refunds.create(p, orderId, dto, key);
    res.status(refund.status === 'pending' ? 202 : replayed ? 200 : 201);
    if (replayed) res.header('Idempotent-Replayed', 'true');
    return toRefundResponse(refund);
  }

  @Get()
  async list(
    @CurrentPrincipal() p: Principal,
    @UuidParam() orderId: string,
  ): Promise<Record<string, unknown>> {
    const rows = await this.refunds.listForOrder(p.tenantId, orderId);
    return { data: rows.map(toRefundResponse) };
  }
}

export const toRefundResponse = (r: Refund): Record<string, unknown> => ({
  id: r.id,
  order_id: r.orderId,
  status: r.status,
  amount: toJsonNumber(formatAmount(r.currency, new Money(r.amount))),
  currency: r.currency,
  charge_amount: toJsonNumber(formatAmount(r.chargeCurrency, new Money(r.chargeAmount))),
  charge_currency: r.chargeCurrency,
  credits: toJsonNumber(r.credits),
  reason: r.reason,
  forced: r.forced,
  provider: r.provider,
  provider_refund_id: r.providerRefundId,
  failure_message: r.failureMessage,
  created_at: isoMicros(r.createdAt),
  updated_at: isoMicros(r.updatedAt),
});
