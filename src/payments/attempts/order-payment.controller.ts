import { isUUID } from 'class-validator';
import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { ApiEnvelopeResponse, ApiErrorResponses, OrderPaymentEnvelope } from '../../common/api-docs';
import { OrderPaymentDto } from './order-payment.dto';
import type { PaymentAction } from '../contract/payment-provider';
import { OrderPaymentResponse } from './order-payment.response';
import { OrderPaymentService } from './order-payment.service';
import { OrderErrors } from '../../orders/orders.errors';

/**
 * The order payment API: pay an existing order with a pay way; `{code, msg, data}` envelope. Errors
 * are mapped to its numeric codes (1001, 1002, 4001-4004, -1) by the exception filter for this path.
 */
@ApiTags('Order payment')
@ApiBearerAuth()
@Controller('api/order')
export class OrderPaymentController {
  constructor(private readonly payments: OrderPaymentService) {}

  @Post('payment')
  @HttpCode(200)
  @ApiEnvelopeResponse(OrderPaymentEnvelope, OrderPaymentResponse)
  @ApiErrorResponses([400, 401, 403, 404, 409, 422, 502], 'order-payment')
  async pay(
    @CurrentPrincipal() p: Principal,
    @Body() dto: OrderPaymentDto,
  ): Promise<OrderPaymentEnvelope<OrderPaymentResponse>> {
    if (!isUUID(dto.order_id)) throw OrderErrors.order_not_found('order not found');
    const { way, action } = await this.payments.payOrder(p, dto.order_id, dto.pay_way, dto.openid);
    return { code: 0, msg: '', data: { pay_way: way.name, ...seed001Data(action) } };
  }
}

function seed001Data(action: PaymentAction): Omit<OrderPaymentResponse, 'pay_way'> {
  switch (action.kind) {
    case 'qr':
      return { code_url: action.codeUrl };
    case 'redirect':
      return { jump_url: action.url };
    case 'mini_program':
      return { ...action.params };
    case 'crypto':
      return { address: action.address, amount: action.amount, network: action.network, token: action.token };
    case 'x402':
      return { requirements: action.requirements };
  }
}
