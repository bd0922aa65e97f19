import { Body, Controller, Headers, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { CreateOrderDto } from '../orders/dto/order.dto';
import { toOrderResponse } from '../orders/order.response';
import { PaymentsService } from './payments.service';
import { PaymentErrors } from './payments.errors';

/**
 * Seed 000 "Create Order". It lives with payments because creating an order opens its payment
 * (orders never import payments).
 */
@ApiTags('orders')
@ApiBearerAuth()
@Controller('api/v1/orders')
export class CreateOrderController {
  constructor(private readonly payments: PaymentsService) {}

  /** 201 with the new order; a replay of the same Idempotency-Key and body answers 200 with the same order. */
  @Post()
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  async create(
    @CurrentPrincipal() p: Principal,
    @Body() dto: CreateOrderDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<Record<string, unknown>> {
    if (key !== undefined && !/^[\x21-\x7e]{1,255}$/.test(key)) {
      throw PaymentErrors.invalid_idempotency_key('Idempotency-Key must be 1-255 printable ASCII characters');
    }
    const { order, replayed } = await this.payments.createOrder(p, dto, key);
    res.status(replayed ? 200 : 201);
    if (replayed) res.header('Idempotent-Replayed', 'true');
    return toOrderResponse(order);
  }
}
