import { Body, Controller, Headers, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { ApiErrorResponses } from '../../common/api-docs';
import { CreateOrderDto } from '../../orders/dto/order.dto';
import { OrderResponse, toOrderResponse } from '../../orders/order.response';
import { OrderCreationService } from './order-creation.service';
import { PaymentErrors } from '../payments.errors';

/**
 * Create an order (platform API). It lives with payments because creating an order opens its payment
 * (orders never import payments).
 */
@ApiTags('Orders')
@ApiBearerAuth()
@Controller('api/v1/orders')
export class CreateOrderController {
  constructor(private readonly payments: OrderCreationService) {}

  /** 201 with the new order; a replay of the same Idempotency-Key and body answers 200 with the same order. */
  @Post()
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiCreatedResponse({ type: OrderResponse, description: 'the new order' })
  @ApiOkResponse({ type: OrderResponse, description: 'a replay: the order the same Idempotency-Key created' })
  @ApiErrorResponses([400, 401, 403, 404, 409, 422, 502])
  async create(
    @CurrentPrincipal() p: Principal,
    @Body() dto: CreateOrderDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<OrderResponse> {
    if (key !== undefined && !/^[\x21-\x7e]{1,255}$/.test(key)) {
      throw PaymentErrors.invalid_idempotency_key('Idempotency-Key must be 1-255 printable ASCII characters');
    }
    const { order, replayed } = await this.payments.createOrder(p, dto, key);
    res.status(replayed ? 200 : 201);
    if (replayed) res.header('Idempotent-Replayed', 'true');
    return toOrderResponse(order);
  }
}
