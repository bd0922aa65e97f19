import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, PlatformAdminOnly } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { ApiErrorResponses } from '../common/api-docs';
import { PutFxRateDto } from './dto/fx-rate.dto';
import { FxService } from '../fx/fx.service';
import { FxRateListResponse, FxRateResponse, toFxRateResponse } from './fx-rate.response';

/** Platform-operator API. */
@ApiTags('Admin')
@ApiBearerAuth()
@ApiErrorResponses([401, 403])
@PlatformAdminOnly()
@Controller('api/v1/admin')
export class AdminController {
  constructor(private readonly fx: FxService) {}

  /** Set 1 base = rate quote (e.g. USD/CNY 7.1234); every change is audited. */
  @Put('fx-rates/:base/:quote')
  @ApiOkResponse({ type: FxRateResponse })
  @ApiErrorResponses([400])
  async putRate(
    @CurrentPrincipal() p: Principal,
    @Param('base') base: string,
    @Param('quote') quote: string,
    @Body() dto: PutFxRateDto,
  ): Promise<FxRateResponse> {
    return toFxRateResponse(await this.fx.setRate(p, base.toUpperCase(), quote.toUpperCase(), dto.rate));
  }

  @Get('fx-rates')
  @ApiOkResponse({ type: FxRateListResponse })
  async listRates(): Promise<FxRateListResponse> {
    return { data: (await this.fx.list()).map(toFxRateResponse) };
  }
}
