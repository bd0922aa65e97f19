import { Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../auth/auth.decorators';
import { WebhooksService } from './webhooks.service';
import { PaymentErrors } from '../payments.errors';

/**
 * `POST /api/v1/webhooks/:provider/:tenant_id`, answered in each provider's own format, and
 * `GET /api/v1/return/:provider/:tenant_id`, where a payer lands back from the provider's page.
 */
@ApiExcludeController()
@Public()
@Controller('api/v1')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post('webhooks/:provider/:tenant_id')
  @HttpCode(200)
  async receive(
    @Param('provider') provider: string,
    @Param('tenant_id') tenantId: string,
    @Req() req: FastifyRequest & { rawBody?: Buffer },
    @Res() res: FastifyReply,
  ): Promise<void> {
    const { reply, retryAfterSeconds } = await this.webhooks.receive(provider, tenantId, {
      headers: req.headers,
      body: req.rawBody ?? Buffer.alloc(0),
    });
    const body = reply.body;
    if (retryAfterSeconds !== undefined) void res.header('retry-after', String(retryAfterSeconds));
    void res
      .status(reply.status)
      .type(
        reply.contentType ??
          (typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8'),
      )
      .send(typeof body === 'string' ? body : JSON.stringify(body));
  }

  @Get('return/:provider/:tenant_id')
  async returned(
    @Param('provider') provider: string,
    @Param('tenant_id') tenantId: string,
    @Query() query: Record<string, unknown>,
    @Res() res: FastifyReply,
  ): Promise<void> {
    const flat: Record<string, string> = {};
    for (const [k, v] of Object.entries(query)) if (typeof v === 'string') flat[k] = v;
    const target = await this.webhooks.returned(provider, tenantId, flat);
    if (!target) throw PaymentErrors.return_not_found('this return link names no known payment');
    void res.status(303).header('location', target).send();
  }
}
