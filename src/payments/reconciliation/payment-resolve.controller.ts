import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, PlatformAdminOnly } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { ApiErrorResponses } from '../../common/api-docs';
import { UuidParam } from '../../common/uuid-param';
import { ResolvePaymentDto } from './resolve-payment.dto';
import { OperatorResolutionService } from './operator-resolution.service';
import { PaymentResolutionResponse } from './payment-resolution.response';

/** Platform operators settle by hand what no provider can answer (audited). */
@ApiTags('Admin')
@ApiBearerAuth()
@PlatformAdminOnly()
@Controller('api/v1/admin/payments')
export class PaymentResolveController {
  constructor(private readonly reconciliation: OperatorResolutionService) {}

  @Post(':id/resolve')
  @HttpCode(200)
  @ApiOkResponse({ type: PaymentResolutionResponse })
  @ApiErrorResponses([400, 401, 403, 404, 409])
  resolve(
    @CurrentPrincipal() p: Principal,
    @UuidParam() id: string,
    @Body() dto: ResolvePaymentDto,
  ): Promise<PaymentResolutionResponse> {
    return this.reconciliation.resolveByOperator(p, id, dto.outcome, dto.reason);
  }
}
