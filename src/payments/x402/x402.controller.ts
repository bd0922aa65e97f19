/**
 * `GET|POST /api/v1/x402/orders/:id`: an X402 order's pay_url, an x402 resource server (see
 * X402Checkout). Public like the hosted checkout: the order's unguessable UUID is the capability.
 */
import { Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DataSource } from 'typeorm';
import { Public } from '../../auth/auth.decorators';
import { OrdersService } from '../../orders/orders.service';
import { PaymentsService } from '../payments.service';
import { ProviderRegistry } from '../provider-registry';
import { X402Answer, X402Checkout } from './x402.checkout';
import { X402Provider } from '../providers/x402/x402.provider';

@ApiExcludeController()
@Public()
@Controller('api/v1/x402')
export class X402Controller {
  private readonly checkout: X402Checkout;

  constructor(
    @InjectDataSource() db: DataSource,
    orders: OrdersService,
    payments: PaymentsService,
    registry: ProviderRegistry,
    provider: X402Provider,
  ) {
    this.checkout = new X402Checkout(db, orders, payments, registry, provider);
  }

  @Get('orders/:id')
  async get(@Param('id') id: string, @Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    send(res, await this.checkout.handle(id, req.headers));
  }

  @Post('orders/:id')
  async post(@Param('id') id: string, @Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    send(res, await this.checkout.handle(id, req.headers));
  }
}

function send(res: FastifyReply, answer: X402Answer): void {
  void res
    .status(answer.status)
    .headers(answer.headers)
    .type('application/json; charset=utf-8')
    .send(JSON.stringify(answer.body));
}
