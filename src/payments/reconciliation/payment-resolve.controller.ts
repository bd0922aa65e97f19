import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, PlatformAdminOnly } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { UuidParam } from '../../common/uuid-param';
import { ResolvePaymentDto } from '../dto/resolve-payment.dto';
import { OperatorResolutionService } from './operator-resolution.service';

/** Platform operators settle by hand what no provider can answer (audited). */
@ApiTags('admin')
@ApiBearerAuth()
@PlatformAdminOnly()
@Controller('api/v1/admin/payments')
export class PaymentResolveController {
  constructor(private readonly reconciliation: OperatorResolutionService) {}

  @Post(':id/resolve')
  @HttpCode(200)
  resolve(
    @CurrentPrincipal() p: Principal,
    @UuidParam() id: string,
    @Body() dto: ResolvePaymentDto,
  ): Promise<Record<string, unknown>> {
    return this.reconciliation.resolveByOperator(p.userId, id, dto.outcome, dto.reason);
  }
}
