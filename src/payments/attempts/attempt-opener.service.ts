import { Injectable, Logger } from '@nestjs/common';
import { DomainError } from '../../common/domain-error';
import { Money } from '../../common/money';
import { RowInserts } from '../../common/sql';
import type { Order } from '../../orders/order.entity';
import type { CreatedPayment, PaymentRoute, ProviderContext } from '../contract/payment-provider';
import type { PayWay } from '../pay-way';
import { ProviderRegistry } from '../provider-registry';
import { providerFailure } from '../provider-failure';
import { Charge, ChargeCalculator } from './charge-calculator';
import { PayUrls } from './pay-urls';
import { RoutingService } from './routing.service';
import { PaymentErrors } from '../payments.errors';

/** How routing chose the provider of an attempt: the route, the provider chosen, and who failed first. */
export interface RouteLog extends PaymentRoute {
  chosen: string;
  fallbacks: { provider: string; code: string; message: string }[];
}

/** A payment attempt opened at its provider, not written yet. */
export interface Attempt {
  way: PayWay;
  charge: Charge;
  opened: CreatedPayment;
  routeLog: RouteLog | null;
}

/**
 * Opens payment attempts at providers, before anything is written: at the pay way asked for, or by
 * routing (token and chain) with fallback to the next provider on failure; converts the price when
 * the provider charges another currency (ChargeCalculator). Writes nothing itself: the caller adds the
 * attempt's row (addRow) to the statement that records it.
 */
@Injectable()
export class AttemptOpener {
  private readonly logger = new Logger(AttemptOpener.name);

  constructor(
    private readonly registry: ProviderRegistry,
    private readonly routing: RoutingService,
    private readonly charges: ChargeCalculator,
    private readonly urls: PayUrls,
  ) {}

  /** The tenant's context for the pay way's provider; 422 pay_way_unavailable when it is not enabled. */
  async requireContext(tenantId: string, way: PayWay): Promise<ProviderContext> {
    const ctx = await this.registry.contextFor(tenantId, way.provider);
    if (!ctx)
      throw PaymentErrors.pay_way_unavailable(`${way.display} is not enabled for this tenant`, {
        pay_way: way.display,
      });
    return ctx;
  }

  /**
   * Open a payment attempt at the provider, before anything is written. With a pay way, at that
   * provider (which must support the route, if any); without one, routing tries the tenant's
   * providers for the route in priority order and falls back to the next on failure. The choice and
   * every fallback are kept for the payment row.
   */
  async open(
    tenantId: string,
    way: PayWay | undefined,
    order: Order,
    paymentId: string,
    route?: PaymentRoute,
    openid?: string,
  ): Promise<Attempt> {
    const price = new Money(order.price);
    if (way) {
      const ctx = await this.requireContext(tenantId, way);
      if (
        route &&
        !this.registry
          .get(way.provider)
          ?.supports({ method: way.method, currency: route.currency, network: route.chain })
      )
        throw PaymentErrors.route_unsupported(
          `${way.display} does not take ${route.currency} on ${route.chain}`,
          { pay_way: way.display, pay_currency: route.currency, chain: route.chain },
        );
      const charge = await this.charges.chargeFor(way, order.currency, price, route, ctx);
      const opened = await this.callProvider(ctx, way, order, charge, paymentId, openid, route);
      return {
        way,
        charge,
        opened,
        routeLog: route ? { ...route, chosen: way.provider, fallbacks: [] } : null,
      };
    }
    if (!route)
      throw PaymentErrors.route_required('pay_currency and chain are required', {
        field: 'pay_currency',
      });
    return this.openRouted(tenantId, order, price, paymentId, route);
  }

  /** Routing with fallback: the tenant's providers for the route, in priority order. */
  private async openRouted(
    tenantId: string,
    order: Order,
    price: Money,
    paymentId: string,
    route: PaymentRoute,
  ): Promise<Attempt> {
    const candidates = await this.routing.candidates(tenantId, route);
    if (candidates.length === 0)
      throw PaymentErrors.no_provider_for_route(
        `no enabled provider takes ${route.currency} on ${route.chain}`,
        { pay_currency: route.currency, chain: route.chain },
      );
    const fallbacks: RouteLog['fallbacks'] = [];
    const errors: DomainError[] = [];
    for (const c of candidates) {
      try {
        const charge = await this.charges.chargeFor(c.way, order.currency, price, route, c.ctx);
        const opened = await this.callProvider(c.ctx, c.way, order, charge, paymentId, undefined, route);
        return { way: c.way, charge, opened, routeLog: { ...route, chosen: c.way.provider, fallbacks } };
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        this.logger.warn(
          `route ${route.currency}/${route.chain}: ${c.way.provider} failed (${err.code}), trying the next`,
        );
        fallbacks.push({ provider: c.way.provider, code: err.code, message: err.message });
        errors.push(err);
      }
    }
    // One reason for every provider (no FX rate, say) is clearer as itself.
    if (errors.length > 0 && errors.every((e) => e.code === errors[0].code)) throw errors[0];
    throw PaymentErrors.route_exhausted(
      `every provider for ${route.currency} on ${route.chain} failed: ${fallbacks.map((f) => `${f.provider}: ${f.message}`).join('; ')}`,
      { pay_currency: route.currency, chain: route.chain, attempts: fallbacks },
    );
  }

  private async callProvider(
    ctx: ProviderContext,
    way: PayWay,
    order: Order,
    charge: Charge,
    paymentId: string,
    openid?: string,
    route?: PaymentRoute,
  ): Promise<CreatedPayment> {
    const provider = this.registry.get(way.provider);
    if (!provider) throw PaymentErrors.pay_way_unavailable(`${way.display} is not available`);
    try {
      return await provider.createPayment(ctx, {
        paymentId,
        orderId: order.id,
        method: way.method,
        amount: charge.amount,
        currency: charge.currency,
        description: `Order ${order.id}`,
        expiresAt: order.expiresAt,
        checkoutUrl: this.urls.checkoutUrl(order.id),
        returnUrl: order.redirectUrl ?? undefined,
        openid,
        route,
      });
    } catch (err) {
      throw providerFailure(way.display, err, this.logger);
    }
  }

  /** The order's columns an opened attempt sets: its pay way, provider reference, pay_url and charge. */
  orderFieldsOf(
    attempt: Attempt,
    orderId: string,
  ): Pick<Order, 'payWay' | 'payId' | 'payUrl' | 'chargeAmount' | 'chargeCurrency' | 'fxRate'> {
    const { way, opened, charge } = attempt;
    return {
      payWay: way.display,
      payId: opened.providerRef,
      payUrl: this.urls.payUrlOf(opened.action, orderId),
      chargeAmount: charge.fxRate ? charge.amount : null,
      chargeCurrency: charge.fxRate ? charge.currency : null,
      fxRate: charge.fxRate,
    };
  }

  /** Add a new pending payment attempt to an insert batch. */
  addRow(
    batch: RowInserts,
    id: string,
    order: Order,
    { way, charge, opened, routeLog }: Attempt,
  ): RowInserts {
    return batch.row('payments', {
      id,
      tenant_id: order.tenantId,
      order_id: order.id,
      provider: way.provider,
      method: way.method,
      status: 'pending',
      amount: charge.amount,
      currency: charge.currency,
      fx_rate: charge.fxRate,
      provider_ref: opened.providerRef,
      action: JSON.stringify(opened.action),
      route: routeLog === null ? null : JSON.stringify(routeLog),
    });
  }
}
