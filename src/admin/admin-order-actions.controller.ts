import { Body, Controller, Headers, HttpCode, Post, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, PlatformAdminOnly } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { ApiErrorResponses } from '../common/api-docs';
import { UuidParam } from '../common/uuid-param';
import { NotificationResponse, toNotificationResponse } from '../notifications/notification.response';
import { NotificationsService } from '../notifications/notifications.service';
import { OrdersService } from '../orders/orders.service';
import { OrderCancellationService } from '../payments/reconciliation/order-cancellation.service';
import { OrderReconcileResponse } from '../payments/reconciliation/order-reconcile.response';
import { OrderReconcileService } from '../payments/reconciliation/order-reconcile.service';
import { checkIdempotencyKey, refundReply } from '../payments/refunds/refund-http';
import { CreateRefundDto } from '../payments/refunds/refund.dto';
import { RefundResponse } from '../payments/refunds/refund.response';
import { RefundsService } from '../payments/refunds/refunds.service';
import { AdminOrderResponse } from './admin-orders.response';
import { AdminOrdersService } from './admin-orders.service';

/**
 * A platform operator's actions on any tenant's order: the same services (and rules) as the staff
 * routes, scoped to the order's own tenant. Each is audited in its transaction.
 */
@ApiTags('Admin')
@ApiBearerAuth()
@ApiErrorResponses([400, 401, 403, 404])
@PlatformAdminOnly()
@Controller('api/v1/admin')
export class AdminOrderActionsController {
  constructor(
    private readonly orders: OrdersService,
    private readonly adminOrders: AdminOrdersService,
    private readonly refunds: RefundsService,
    private readonly cancellation: OrderCancellationService,
    private readonly reconciliation: OrderReconcileService,
    private readonly notifications: NotificationsService,
  ) {}

  /**
   * Refund any tenant's paid order, fully or partly, as POST /api/v1/orders/:id/refunds does; `force`
   * lets the credit debit take the application's balance below zero. 201 confirmed, 202 pending at the
   * provider, 200 a replay of the same Idempotency-Key and body.
   */
  @Post('orders/:id/refunds')
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiCreatedResponse({ type: RefundResponse, description: 'the provider confirmed the refund' })
  @ApiResponse({ status: 202, type: RefundResponse, description: 'pending at the provider' })
  @ApiOkResponse({ type: RefundResponse, description: 'a replay of the same Idempotency-Key and body' })
  @ApiErrorResponses([409, 422, 502])
  async refund(
    @CurrentPrincipal() p: Principal,
    @UuidParam() id: string,
    @Body() dto: CreateRefundDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<RefundResponse> {
    checkIdempotencyKey(key);
    const tenantId = await this.orders.tenantOf(id);
    return refundReply(res, await this.refunds.create(p, tenantId, id, dto, key));
  }

  /** Cancel any tenant's Pending order and close its open payments at their providers. */
  @Post('orders/:id/cancel')
  @HttpCode(200)
  @ApiOkResponse({ type: AdminOrderResponse, description: 'the order, now Cancelled' })
  @ApiErrorResponses([409])
  async cancel(@CurrentPrincipal() p: Principal, @UuidParam() id: string): Promise<AdminOrderResponse> {
    const tenantId = await this.orders.tenantOf(id);
    await this.cancellation.cancelOrder(tenantId, id, undefined, p);
    return this.adminOrders.get({ tenantId }, id);
  }

  /**
   * Reconcile now: ask the provider about the order's open payments and apply the answer through the
   * same event path as the periodic reconciliation (a payment is credited exactly once).
   */
  @Post('orders/:id/reconcile')
  @HttpCode(200)
  @ApiOkResponse({ type: OrderReconcileResponse })
  async reconcile(
    @CurrentPrincipal() p: Principal,
    @UuidParam() id: string,
  ): Promise<OrderReconcileResponse> {
    return this.reconciliation.reconcile(p, await this.orders.tenantOf(id), id);
  }

  /** Send any tenant's merchant notification again now. */
  @Post('notifications/:id/resend')
  @ApiCreatedResponse({ type: NotificationResponse, description: 'queued again' })
  async resend(@CurrentPrincipal() p: Principal, @UuidParam() id: string): Promise<NotificationResponse> {
    return toNotificationResponse(await this.notifications.resend(p, {}, id));
  }
}
