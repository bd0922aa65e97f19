import { Injectable } from '@nestjs/common';
import { formatAmount, Money } from '../../common/money';
import { FxService } from '../../fx/fx.service';
import type { PaymentRoute, ProviderContext } from '../contract/payment-provider';
import type { PayWay } from '../pay-way';
import { ProviderRegistry } from '../provider-registry';

/** What one payment attempt charges; `fxRate` set when converted from the order's currency. */
export interface Charge {
  amount: string;
  currency: string;
  fxRate: string | null;
}

/**
 * What an attempt charges: the order's price, or its conversion with the FX table when the provider
 * charges another currency (WeChat Pay and Alipay charge CNY). A missing or stale rate is a 422.
 */
@Injectable()
export class ChargeCalculator {
  constructor(
    private readonly registry: ProviderRegistry,
    private readonly fx: FxService,
  ) {}

  async chargeFor(
    way: PayWay,
    currency: string,
    price: Money,
    route?: PaymentRoute,
    ctx?: ProviderContext,
  ): Promise<Charge> {
    const provider = this.registry.get(way.provider);
    const target = provider?.chargeCurrency?.(currency, route, ctx) ?? currency;
    if (target === currency) return { amount: formatAmount(currency, price), currency, fxRate: null };
    const converted = await this.fx.convert(price, currency, target);
    return {
      amount: formatAmount(target, converted.amount),
      currency: target,
      fxRate: converted.rate.toFixed(),
    };
  }
}
