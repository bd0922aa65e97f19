import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { ApiErrorResponses } from '../common/api-docs';
import { UuidParam } from '../common/uuid-param';
import { ListOrdersQueryDto } from './dto/order.dto';
import { OrderPageResponse, OrderResponse, toOrderResponse } from './order.response';
import { OrdersService } from './orders.service';

@ApiTags('Orders')
@ApiBearerAuth()
@ApiErrorResponses([401])
@Controller('api/v1/orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Get()
  @ApiOkResponse({ type: OrderPageResponse })
  @ApiErrorResponses([400])
  async list(@CurrentPrincipal() p: Principal, @Query() q: ListOrdersQueryDto): Promise<OrderPageResponse> {
    const { limit, cursor, ...filters } = q;
    const page = await this.orders.list(p.tenantId, { ...filters, limit: limit ?? 50, cursor });
    return { ...page, data: page.data.map(toOrderResponse) };
  }

  @Get(':id')
  @ApiOkResponse({ type: OrderResponse })
  @ApiErrorResponses([400, 404])
  async get(@CurrentPrincipal() p: Principal, @UuidParam() id: string): Promise<OrderResponse> {
    return toOrderResponse(await this.orders.get(p.tenantId, id));
  }
}
