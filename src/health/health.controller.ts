import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/auth.decorators';
import { ApiErrorResponses, SECURITY } from '../common/api-docs';
import { AppConfig } from '../config/app-config';
import { HealthResponse } from './health.response';
import { checkMetricsAccess } from './metrics-access';
import { MetricsService } from './metrics.service';

@ApiTags('Health')
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
  ) {}

  /** Liveness: the process answers. */
  @Get('health')
  @ApiOkResponse({ type: HealthResponse })
  live(): HealthResponse {
    return { status: 'ok' };
  }

  /** Readiness: the database answers within a second. */
  @Get('health/ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check([() => this.db.pingCheck('database', { timeout: 1000 })]);
  }

  /** Prometheus metrics. With METRICS_TOKEN set, only `Authorization: Bearer <METRICS_TOKEN>`. */
  @Get('metrics')
  @ApiSecurity(SECURITY.metricsToken)
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition format', schema: { type: 'string' } })
  @ApiErrorResponses([401, 404])
  @Header('Cache-Control', 'no-store')
  async scrape(@Res() res: FastifyReply): Promise<void> {
    // METRICS_TOKEN, production: see checkMetricsAccess (the header is read here, not documented as a parameter).
    checkMetricsAccess(
      { token: this.config.metricsToken, production: this.config.production },
      res.request.headers.authorization,
    );
    const { contentType, body } = await this.metrics.render();
    void res.type(contentType).send(body);
  }
}
