/**
 * `GET|POST /api/v1/x402/orders/:id`: an X402 order's pay_url, an x402 resource server (see
 * X402Checkout). Public like the hosted checkout: the order's unguessable UUID is the capability.
 */
import { Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../auth/auth.decorators';
import { X402Answer, X402Checkout } from './x402.checkout';

@ApiExcludeController()
@Public()
@Controller('api/v1/x402')
export class X402Controller {
  constructor(private readonly checkout: X402Checkout) {}

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
