import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { ApiErrorResponses } from '../../common/api-docs';
import { UuidParam } from '../../common/uuid-param';
import { assertMayActOnOrder } from '../../orders/order-access';
import { OrderResponse, toOrderResponse } from '../../orders/order.response';
import { OrderCancellationService } from './order-cancellation.service';

/**
 * Cancel a Pending order. Here, beside the providers, rather than in orders: cancelling also closes
 * the order's open payments at their providers (a Stripe session is expired, a WeChat or Alipay trade
 * closed), so the payer cannot pay a cancelled order.
 */
@ApiTags('Orders')
@ApiBearerAuth()
@Controller('api/v1/orders')
export class OrderCancelController {
  constructor(private readonly reconciliation: OrderCancellationService) {}

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOkResponse({ type: OrderResponse, description: 'the order, now Cancelled' })
  @ApiErrorResponses([400, 401, 403, 404, 409])
  async cancel(@CurrentPrincipal() p: Principal, @UuidParam() id: string): Promise<OrderResponse> {
    const order = await this.reconciliation.cancelOrder(p.tenantId, id, (o) => assertMayActOnOrder(p, o), p);
    return toOrderResponse(order);
  }
}
