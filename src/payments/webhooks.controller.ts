import { Controller, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../auth/auth.decorators';
import { WebhooksService } from './webhooks.service';

/** `POST /api/v1/webhooks/:provider/:tenant_id`, answered in each provider's own format. */
@ApiExcludeController()
@Public()
@Controller('api/v1/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post(':provider/:tenant_id')
  @HttpCode(200)
  async receive(
    @Param('provider') provider: string,
    @Param('tenant_id') tenantId: string,
    @Req() req: FastifyRequest & { rawBody?: Buffer },
    @Res() res: FastifyReply,
  ): Promise<void> {
    const { reply } = await this.webhooks.receive(provider, tenantId, {
      headers: req.headers,
      body: req.rawBody ?? Buffer.alloc(0),
    });
    const body = reply.body;
    void res
      .status(reply.status)
      .type(
        reply.contentType ??
          (typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8'),
      )
      .send(typeof body === 'string' ? body : JSON.stringify(body));
  }
}
