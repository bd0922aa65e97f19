import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../../auth/auth.decorators';
import { ApiErrorResponses } from '../../common/api-docs';
import { SandboxPayer } from './sandbox-payer.service';
import { CompleteSandboxPaymentDto } from './sandbox.dto';
import { SandboxCompletionResponse } from './sandbox.response';

/**
 * The Sandbox's "payer side": completing a payment records the charge and emits a signed callback
 * into the same webhook pipeline as every real provider. Open like a provider's checkout page: the
 * pay_id is the capability.
 */
@ApiTags('Sandbox')
@Public()
@Controller('api/v1/sandbox/payments')
export class SandboxController {
  constructor(private readonly payer: SandboxPayer) {}

  @Post(':pay_id/complete')
  @HttpCode(200)
  @ApiOkResponse({ type: SandboxCompletionResponse })
  @ApiErrorResponses([400, 404])
  complete(
    @Param('pay_id') payId: string,
    @Body() dto: CompleteSandboxPaymentDto,
  ): Promise<SandboxCompletionResponse> {
    return this.payer.complete(payId, {
      outcome: dto.outcome,
      amount: dto.amount === undefined ? undefined : String(dto.amount),
      currency: dto.currency,
      notify: dto.notify,
    });
  }
}
