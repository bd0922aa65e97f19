import { isUUID } from 'class-validator';
import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { randomBytes } from 'node:crypto';
import * as QRCode from 'qrcode';
import { Public } from '../auth/auth.decorators';
import { formatAmount, Money } from '../common/money';
import { Order } from '../orders/order.entity';
import { OrdersService } from '../orders/orders.service';
import { PaymentLookup } from '../payments/attempts/payment-lookup.service';
import { viewOfAction } from './action-views';
import { renderCheckout } from './checkout.page';
import { CheckoutStatusResponse } from './checkout-status.response';
import { OrderErrors } from '../orders/orders.errors';

/** The hosted cashier: `/checkout/:order_id` and its polling endpoint. */
@ApiExcludeController()
@Public()
@Controller('checkout')
export class CheckoutController {
  constructor(
    private readonly orders: OrdersService,
    private readonly payments: PaymentLookup,
  ) {}

  @Get(':order_id')
  async page(@Param('order_id') orderId: string, @Res() res: FastifyReply): Promise<void> {
    const order = await this.load(orderId);
    const latest = (await this.payments.paymentsOf(order.tenantId, order.id))[0];
    const view = viewOfAction(latest?.action ?? null, order.payUrl);
    const nonce = randomBytes(16).toString('base64');
    const html = renderCheckout({
      orderId: order.id,
      amount: formatAmount(order.currency, new Money(order.price)),
      currency: order.currency,
      charge:
        latest?.fxRate && latest.currency !== order.currency
          ? {
              amount: formatAmount(latest.currency, new Money(latest.amount)),
              currency: latest.currency,
              rate: new Money(latest.fxRate).toFixed(),
            }
          : null,
      method: order.payWay,
      state: order.state,
      expiresAt: order.expiresAt.toISOString(),
      qrSvg: view.qrText
        ? await QRCode.toString(view.qrText, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' })
        : null,
      qrCaption: view.caption,
      payId: latest?.provider === 'sandbox' ? latest.providerRef : null,
      sandbox: latest?.provider === 'sandbox',
      redirectUrl: order.redirectUrl,
      nonce,
    });
    void res
      .header(
        'Content-Security-Policy',
        `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
      )
      .header('Cache-Control', 'no-store')
      .header('Referrer-Policy', 'no-referrer')
      .type('text/html; charset=utf-8')
      .send(html);
  }

  @Get(':order_id/status')
  async status(@Param('order_id') orderId: string): Promise<CheckoutStatusResponse> {
    const order = await this.load(orderId);
    return {
      id: order.id,
      state: order.state,
      expires_at: order.expiresAt.toISOString(),
      redirect_url: order.redirectUrl,
    };
  }

  private async load(orderId: string): Promise<Order> {
    const order = isUUID(orderId) ? await this.orders.getForCheckout(orderId) : null;
    if (!order) throw OrderErrors.order_not_found('order not found');
    return order;
  }
}
