import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { UuidParam } from '../common/uuid-param';
import { ListOrdersQueryDto } from './dto/order.dto';
import { toOrderResponse } from './order.response';
import { OrdersService } from './orders.service';

@ApiTags('orders')
@ApiBearerAuth()
@Controller('api/v1/orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Get()
  async list(
    @CurrentPrincipal() p: Principal,
    @Query() q: ListOrdersQueryDto,
  ): Promise<Record<string, unknown>> {
    const page = await this.orders.list(p.tenantId, {
      applicationId: q.application_id,
      state: q.state,
      payWay: q.pay_way,
      limit: q.limit ?? 50,
      cursor: q.cursor,
    });
    return { ...page, data: page.data.map(toOrderResponse) };
  }

  @Get(':id')
  async get(@CurrentPrincipal() p: Principal, @UuidParam() id: string): Promise<Record<string, unknown>> {
    return toOrderResponse(await this.orders.get(p.tenantId, id));
  }
}
