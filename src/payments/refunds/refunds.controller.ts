import { Body, Controller, Get, Headers, Post, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, Roles } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { ApiErrorResponses } from '../../common/api-docs';
import { UuidParam } from '../../common/uuid-param';
import { CreateRefundDto } from './refund.dto';
import { RefundListResponse, RefundResponse, toRefundResponse } from './refund.response';
import { RefundsService } from './refunds.service';
import { checkIdempotencyKey, refundReply } from './refund-http';

@ApiTags('Refunds')
@ApiBearerAuth()
@ApiErrorResponses([401])
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
  @ApiCreatedResponse({ type: RefundResponse, description: 'the provider confirmed the refund' })
  @ApiResponse({ status: 202, type: RefundResponse, description: 'pending at the provider' })
  @ApiOkResponse({ type: RefundResponse, description: 'a replay of the same Idempotency-Key and body' })
  @ApiErrorResponses([400, 403, 404, 409, 422, 502])
  async create(
    @CurrentPrincipal() p: Principal,
    @UuidParam() orderId: string,
    @Body() dto: CreateRefundDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<RefundResponse> {
    checkIdempotencyKey(key);
    return refundReply(res, await this.refunds.create(p, p.tenantId, orderId, dto, key));
  }

  @Get()
  @ApiOkResponse({ type: RefundListResponse })
  @ApiErrorResponses([400, 404])
  async list(@CurrentPrincipal() p: Principal, @UuidParam() orderId: string): Promise<RefundListResponse> {
    const rows = await this.refunds.listForOrder(p.tenantId, orderId);
    return { data: rows.map(toRefundResponse) };
  }
}
