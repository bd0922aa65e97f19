import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, PlatformAdminOnly } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { Money } from '../common/money';
import { isoMicros } from '../common/time';
import { PutFxRateDto } from './dto/fx-rate.dto';
import type { FxRate } from '../fx/fx-rate.entity';
import { FxService } from '../fx/fx.service';

const toResponse = (r: FxRate): Record<string, unknown> => ({
  base: r.base,
  quote: r.quote,
  rate: new Money(r.rate).toFixed(),
  updated_by: r.updatedBy,
  updated_at: isoMicros(r.updatedAt),
});

/** Platform-operator API. */
@ApiTags('admin')
@ApiBearerAuth()
@PlatformAdminOnly()
@Controller('api/v1/admin')
export class AdminController {
  constructor(private readonly fx: FxService) {}

  /** Set 1 base = rate quote (e.g. USD/CNY 7.1234); every change is audited. */
  @Put('fx-rates/:base/:quote')
  async putRate(
    @CurrentPrincipal() p: Principal,
    @Param('base') base: string,
    @Param('quote') quote: string,
    @Body() dto: PutFxRateDto,
  ): Promise<Record<string, unknown>> {
    return toResponse(await this.fx.setRate(p.userId, base.toUpperCase(), quote.toUpperCase(), dto.rate));
  }

  @Get('fx-rates')
  async listRates(): Promise<{ data: Record<string, unknown>[] }> {
    return { data: (await this.fx.list()).map(toResponse) };
  }
}
