import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal';
import { AppConfig } from '../config/app-config';
import { FxService } from '../admin/fx.service';
import { DomainError } from '../common/domain-error';
import { formatAmount, Money } from '../common/money';
import { isUniqueViolation } from '../common/pg-errors';
import { InsertBatch } from '../common/sql';
import { IdempotencyKey } from '../orders/idempotency-key.entity';
import { Order } from '../orders/order.entity';
import { assertMayActOnOrder } from '../orders/order-access';
import { isOpenForPayment, OrderState } from '../orders/order-state';
import { OrdersService } from '../orders/orders.service';
import { PackagesService } from '../packages/packages.service';
import { quote } from '../packages/pricing';
import { AttemptCloser } from './attempt-closer.service';
import { Payment, PaymentStatus } from './payment.entity';
import { ProviderError } from './payment-provider';
import type {
  CreatedPayment,
  PaymentAction,
  PaymentRoute,
  ProviderContext,
  VerifiedEvent,
} from './payment-provider';
import { parsePayWay, PayWay } from './pay-way';
import { ProviderEvent, ProviderEventOutcome } from './provider-event.entity';
import { ProviderRegistry } from './provider-registry';
import { parseRoute } from './routing';
import { RoutingService } from './routing.service';
import { PaymentErrors } from './payments.errors';

export interface NewOrderInput {
  application_id: string;
  package_id: string;
  pay_way: string;
  amount?: number | string;
  redirect_url?: string;
  /** Crypto: the token and chain to pay with (required with pay_way `Crypto`, which routes). */
  pay_currency?: string;
  chain?: string;
}

/** How routing chose the provider of an attempt: the route, the provider chosen, and who failed first. */
export interface RouteLog extends PaymentRoute {
  chosen: string;
  fallbacks: { provider: string; code: string; message: string }[];
}

interface Attempt {
  way: PayWay;
  charge: Charge;
  opened: CreatedPayment;
  routeLog: RouteLog | null;
}

/** What one payment attempt charges; `fxRate` set when converted from the order's currency. */
interface Charge {
  amount: string;
  currency: string;
  fxRate: string | null;
}

export type EventResult = {
  outcome: ProviderEventOutcome | 'duplicate';
  note?: string;
  orderState?: OrderState;
};

@Injectable()
export class PaymentsService {
  private readonly logger = new Logger(PaymentsService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: AppConfig,
    private readonly registry: ProviderRegistry,
    private readonly orders: OrdersService,
    private readonly packages: PackagesService,
    private readonly fx: FxService,
    private readonly routing: RoutingService,
    private readonly closer: AttemptCloser,
  ) {}

  /**
   * Seed 000: create a recharge order and open its payment. The provider is called before anything
   * is written, so a provider failure leaves no row; the order, its first payment attempt, its
   * history row and the idempotency key are then written as one atomic statement.
   */
  async createOrder(
    p: Principal,
    input: NewOrderInput,
    idempotencyKey?: string,
  ): Promise<{ order: Order; replayed: boolean }> {
    const requestHash = idempotencyKey ? hashRequest(input) : '';
    if (idempotencyKey) {
      const replay = await this.replay(p.tenantId, idempotencyKey, requestHash);
      if (replay) return { order: replay, replayed: true };
    }
    // `Crypto` asks routing to pick the provider from pay_currency and chain.
    const routed = input.pay_way.trim().toLowerCase() === 'crypto';
    const way = routed ? undefined : parsePayWay(input.pay_way);
    if (!routed && !way)
      throw PaymentErrors.invalid_pay_way(`pay_way ${input.pay_way} is not a known payment method`, {
        field: 'pay_way',
      });
    const route = routeOf(input, routed);
    const pkg = await this.packages.getForOrder(p.tenantId, input.package_id, input.application_id);
    const q = quote(pkg, input.amount);
    if (way) await this.requireContext(p.tenantId, way);

    const now = Date.now();
    const order: Order = Object.assign(new Order(), {
      id: randomUUID(),
      tenantId: p.tenantId,
      userId: p.userId,
      applicationId: input.application_id,
      packageId: pkg.id,
      amount: q.amount.toFixed(),
      price: formatAmount(pkg.currency, q.price),
      currency: pkg.currency,
      discount: q.discount.toFixed(),
      payWay: way?.display ?? 'Crypto',
      payId: null,
      payUrl: null,
      payCurrency: route?.currency ?? null,
      chain: route?.chain ?? null,
      chargeAmount: null,
      chargeCurrency: null,
      fxRate: null,
      remainingAmount: '0',
      tags: null,
      metadata: null,
      redirectUrl: input.redirect_url ?? null,
      expiresAt: new Date(now + this.config.orderTtlSeconds * 1000),
      paidAt: null,
      finishedAt: null,
    });
    const paymentId = randomUUID();
    const attempt = q.price.isZero() ? null : await this.open(p.tenantId, way, order, paymentId, route);
    if (attempt) {
      order.payWay = attempt.way.display;
      order.payId = attempt.opened.providerRef;
      order.payUrl = this.payUrlOf(attempt.opened.action, order.id);
      if (attempt.charge.fxRate) {
        order.chargeAmount = attempt.charge.amount;
        order.chargeCurrency = attempt.charge.currency;
        order.fxRate = attempt.charge.fxRate;
      }
    }
    // The order, its history row, its payment attempt and the idempotency key: one atomic statement.
    const batch = new InsertBatch();
    if (attempt) this.addPayment(batch, paymentId, order, attempt);
    if (idempotencyKey) {
      batch.add(
        'new_idempotency_key',
        `INSERT INTO idempotency_keys (tenant_id, key, request_hash, order_id)
         VALUES (${batch.param(p.tenantId)}, ${batch.param(idempotencyKey)}, ${batch.param(requestHash)}, ${batch.param(order.id)})`,
      );
    }
    try {
      await this.orders.insertPending(order, batch);
    } catch (err) {
      // A concurrent request with the same key won the race: answer as a replay of it.
      if (idempotencyKey && isUniqueViolation(err)) {
        const replay = await this.replay(p.tenantId, idempotencyKey, requestHash);
        if (replay) return { order: replay, replayed: true };
      }
      throw err;
    }
    // insertPending filled in the database timestamps: no re-read needed.
    return { order, replayed: false };
  }

  /**
   * A direct payment (merchant API, seed 004): no application or package, the merchant's own order
   * number, the price as given, routed by token and chain. Like createOrder, the provider is called
   * before anything is written, and the order and its attempt are one atomic statement; a second
   * order with the same number is a 409 `duplicate_order_no`, whatever races.
   */
  async createDirectOrder(
    p: Principal,
    d: {
      orderNo: string;
      currency: string;
      price: Money;
      route: PaymentRoute;
      notifyUrl: string;
      redirectUrl: string | null;
      productName: string | null;
      meta: string | null;
    },
  ): Promise<Order> {
    const duplicate = (): DomainError =>
      PaymentErrors.duplicate_order_no(`order_no ${d.orderNo} was already used`, { field: 'order_no' });
    // One read: is the number taken, and how long the tenant's merchant orders stay payable.
    const [found] = await this.db.query<{ taken: boolean; ttl: number | null }[]>(
      `SELECT EXISTS (SELECT 1 FROM orders WHERE tenant_id = $1 AND merchant_order_no = $2) AS taken,
              (SELECT order_ttl_seconds FROM tenants WHERE id = $1) AS ttl`,
      [p.tenantId, d.orderNo],
    );
    if (found.taken) throw duplicate();
    const ttlSeconds = found.ttl ?? this.config.orderTtlSeconds;
    const order: Order = Object.assign(new Order(), {
      id: randomUUID(),
      tenantId: p.tenantId,
      userId: null,
      applicationId: null,
      packageId: null,
      amount: '0',
      price: formatAmount(d.currency, d.price),
      currency: d.currency,
      discount: '1',
      payWay: 'Crypto',
      payId: null,
      payUrl: null,
      merchantOrderNo: d.orderNo,
      notifyUrl: d.notifyUrl,
      productName: d.productName,
      meta: d.meta,
      payCurrency: d.route.currency,
      chain: d.route.chain,
      chargeAmount: null,
      chargeCurrency: null,
      fxRate: null,
      remainingAmount: '0',
      tags: null,
      metadata: null,
      redirectUrl: d.redirectUrl,
      expiresAt: new Date(Date.now() + ttlSeconds * 1000),
      paidAt: null,
      finishedAt: null,
    });
    const paymentId = randomUUID();
    const attempt = await this.open(p.tenantId, undefined, order, paymentId, d.route);
    order.payWay = attempt.way.display;
    order.payId = attempt.opened.providerRef;
    order.payUrl = this.payUrlOf(attempt.opened.action, order.id);
    if (attempt.charge.fxRate) {
      order.chargeAmount = attempt.charge.amount;
      order.chargeCurrency = attempt.charge.currency;
      order.fxRate = attempt.charge.fxRate;
    }
    try {
      await this.orders.insertPending(order, this.addPayment(new InsertBatch(), paymentId, order, attempt));
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicate();
      throw err;
    }
    return order;
  }

  /**
   * Seed 001: open (or reopen) a payment for a Pending order with the given method. A member may pay
   * only orders they created; owners and admins any order of the tenant. The order's latest attempt
   * is reused when it is of the same method (except weapp, whose openid may differ); a new attempt
   * closes the order's other open attempts at their providers, after commit and in the background
   * (AttemptCloser), so the payer cannot pay an earlier one too.
   */
  async payOrder(
    p: Principal,
    orderId: string,
    payWayRaw: string,
    openid?: string,
  ): Promise<{ way: PayWay; action: PaymentAction }> {
    const order = await this.orders.get(p.tenantId, orderId);
    assertMayActOnOrder(p, order);
    if (!isOpenForPayment(order.state)) {
      throw PaymentErrors.order_not_payable(`the order is ${order.state} and cannot be paid`);
    }
    if (order.expiresAt.getTime() <= Date.now())
      throw PaymentErrors.order_not_payable('the order has expired');
    const way = parsePayWay(payWayRaw);
    if (!way) throw PaymentErrors.pay_way_unsupported(`pay_way ${payWayRaw} is not supported`);
    if (new Money(order.price).isZero())
      throw PaymentErrors.zero_amount('the order amount is 0; no payment is needed');
    if (way.method === 'wechat_jsapi' && !openid) {
      throw PaymentErrors.openid_required('openid is required for weapp payments', {
        field: 'openid',
      });
    }
    await this.requireContext(p.tenantId, way);

    const latest = await this.db.getRepository(Payment).findOne({
      where: { tenantId: p.tenantId, orderId },
      order: { createdAt: 'DESC' },
    });
    const reusable =
      latest?.provider === way.provider && latest.method === way.method && latest.status === 'pending'
        ? latest
        : null;
    if (reusable?.action && way.method !== 'wechat_jsapi') return { way, action: reusable.action };

    const paymentId = randomUUID();
    const route =
      order.payCurrency && order.chain ? { currency: order.payCurrency, chain: order.chain } : undefined;
    const attempt = await this.open(p.tenantId, way, order, paymentId, route, openid);
    const { opened, charge } = attempt;
    await this.db.transaction(async (m) => {
      const locked = await this.orders.lock(m, p.tenantId, orderId);
      if (!isOpenForPayment(locked.state)) {
        throw PaymentErrors.order_not_payable(`the order is ${locked.state} and cannot be paid`);
      }
      await this.addPayment(new InsertBatch(), paymentId, locked, attempt).run(m);
      await m.update(
        Order,
        { id: orderId, tenantId: p.tenantId },
        {
          payWay: way.display,
          payId: opened.providerRef,
          payUrl: this.payUrlOf(opened.action, orderId),
          chargeAmount: charge.fxRate ? charge.amount : null,
          chargeCurrency: charge.fxRate ? charge.currency : null,
          fxRate: charge.fxRate,
        },
      );
    });
    this.closer.closeOthersLater(p.tenantId, orderId, paymentId);
    return { way, action: opened.action };
  }

  /**
   * Apply a verified provider event, exactly once per (tenant, provider, event id). Locks the order, then the
   * payment (always in that order). A success whose amount or currency differs from the attempt is
   * recorded and flagged, never credited. Once a success is applied, the order's other open attempts
   * are closed at their providers (after commit, in the background: AttemptCloser).
   */
  async applyEvent(
    tenantId: string,
    providerId: string,
    event: VerifiedEvent,
    /** Written in the event's own transaction once the event is recorded (not for a duplicate): an audit row. */
    within?: (m: EntityManager) => Promise<unknown>,
  ): Promise<EventResult> {
    const found = await this.db
      .getRepository(Payment)
      .findOne({ where: { tenantId, provider: providerId, providerRef: event.providerRef } });
    const result = await this.db.transaction(async (m): Promise<EventResult> => {
      const eventRowId = randomUUID();
      const inserted = await m.query<{ id: string }[]>(
        `INSERT INTO provider_events (id, tenant_id, provider, event_id, type, payment_id, outcome, payload)
         VALUES ($1, $2, $3, $4, $5, $6, 'applied', $7)
         ON CONFLICT (tenant_id, provider, event_id) DO NOTHING RETURNING id`,
        [
          eventRowId,
          tenantId,
          providerId,
          event.eventId,
          event.type,
          found?.id ?? null,
          JSON.stringify(event.payload),
        ],
      );
      if (inserted.length === 0) return { outcome: 'duplicate' };
      if (within) await within(m);
      // Recorded as 'applied' (the common case); any other outcome is written over it.
      const record = async (
        outcome: ProviderEventOutcome,
        note?: string,
        orderState?: OrderState,
      ): Promise<EventResult> => {
        if (outcome !== 'applied')
          await m.update(ProviderEvent, { id: eventRowId }, { outcome, note: note ?? null });
        return { outcome, note, orderState };
      };
      if (!found) return record('ignored', 'no payment with this reference');

      const order = await this.orders.lock(m, tenantId, found.orderId);
      const [payment] = await m.query<Pick<Payment, 'id' | 'status' | 'amount' | 'currency'>[]>(
        'SELECT id, status, amount, currency FROM payments WHERE id = $1 FOR UPDATE',
        [found.id],
      );
      const setPayment = (values: { status?: PaymentStatus; flag_reason?: string }): Promise<unknown> =>
        m.query(
          `UPDATE payments SET status = COALESCE($2, status), flag_reason = COALESCE($3, flag_reason), updated_at = now() WHERE id = $1`,
          [payment.id, values.status ?? null, values.flag_reason ?? null],
        );

      switch (event.outcome) {
        case 'succeeded': {
          if (payment.status === 'succeeded')
            return record('ignored', 'payment already succeeded', order.state);
          const mismatch = this.mismatch(payment, event);
          if (mismatch) {
            await setPayment({ flag_reason: mismatch });
            this.logger.warn(`payment ${payment.id} flagged: ${mismatch}`);
            return record('flagged', mismatch, order.state);
          }
          // Paid, Finished or refunded: another attempt of this order already succeeded.
          if (!this.orders.isPayable(order)) {
            const note = 'order already paid by another payment: refund needed';
            await setPayment({ flag_reason: note });
            return record('flagged', note, order.state);
          }
          await setPayment({ status: 'succeeded' });
          await this.orders.confirmPaid(m, order, `${providerId} ${event.type}`);
          return record('applied', undefined, order.state);
        }
        case 'failed':
        case 'expired': {
          if (payment.status !== 'pending')
            return record('ignored', `payment already ${payment.status}`, order.state);
          await setPayment({ status: event.outcome });
          return record('applied', undefined, order.state);
        }
        case 'pending':
          return record('ignored', 'not final', order.state);
      }
    });
    if (found && event.outcome === 'succeeded' && result.outcome === 'applied')
      this.closer.closeOthersLater(tenantId, found.orderId, found.id);
    return result;
  }

  private mismatch(payment: Pick<Payment, 'amount' | 'currency'>, event: VerifiedEvent): string | null {
    if (event.currency !== undefined && event.currency.toUpperCase() !== payment.currency) {
      return `currency mismatch: expected ${payment.currency}, got ${event.currency}`;
    }
    if (event.amount !== undefined) {
      let got: Money;
      try {
        got = new Money(event.amount);
      } catch {
        return `amount unreadable: ${event.amount}`;
      }
      if (!got.equals(new Money(payment.amount))) {
        return `amount mismatch: expected ${formatAmount(payment.currency, new Money(payment.amount))}, got ${event.amount}`;
      }
    }
    if (event.amount === undefined || event.currency === undefined)
      return 'confirmation carries no amount or currency';
    return null;
  }

  private async replay(tenantId: string, key: string, requestHash: string): Promise<Order | null> {
    const seen = await this.db.getRepository(IdempotencyKey).findOne({ where: { tenantId, key } });
    if (!seen) return null;
    if (seen.requestHash !== requestHash) {
      throw PaymentErrors.idempotency_key_reused('this Idempotency-Key was used with a different request');
    }
    return this.orders.get(tenantId, seen.orderId);
  }

  private async requireContext(tenantId: string, way: PayWay): Promise<ProviderContext> {
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
  private async open(
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
      const charge = await this.chargeFor(way, order.currency, price, route, ctx);
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
        const charge = await this.chargeFor(c.way, order.currency, price, route, c.ctx);
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

  /**
   * What an attempt charges: the order's price, or its conversion with the FX table when the provider
   * charges another currency (WeChat Pay and Alipay charge CNY). A missing or stale rate is a 422.
   */
  private async chargeFor(
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
        checkoutUrl: this.checkoutUrl(order.id),
        returnUrl: order.redirectUrl ?? undefined,
        openid,
        route,
      });
    } catch (err) {
      throw providerFailure(way.display, err, this.logger);
    }
  }

  /** Add a new pending payment attempt to an insert batch. */
  private addPayment(
    batch: InsertBatch,
    id: string,
    order: Order,
    { way, charge, opened, routeLog }: Attempt,
  ): InsertBatch {
    const v = (value: unknown): string => batch.param(value);
    return batch.add(
      'new_payment',
      `INSERT INTO payments (id, tenant_id, order_id, provider, method, status, amount, currency, fx_rate, provider_ref, action, route)
       VALUES (${v(id)}, ${v(order.tenantId)}, ${v(order.id)}, ${v(way.provider)}, ${v(way.method)}, 'pending',
               ${v(charge.amount)}, ${v(charge.currency)}, ${v(charge.fxRate)}, ${v(opened.providerRef)},
               ${v(JSON.stringify(opened.action))}, ${v(routeLog === null ? null : JSON.stringify(routeLog))})`,
    );
  }

  /**
   * The URL a payer follows for an action: the redirect target; x402's own endpoint (a client pays it
   * by answering its 402); else our checkout (QR, crypto address, mini-program).
   */
  payUrlOf(action: PaymentAction, orderId: string): string {
    if (action.kind === 'redirect') return action.url;
    if (action.kind === 'x402') return `${this.config.baseUrl()}/api/v1/x402/orders/${orderId}`;
    return this.checkoutUrl(orderId);
  }

  checkoutUrl(orderId: string): string {
    return `${this.config.baseUrl()}/checkout/${orderId}`;
  }

  /** The order a payment attempt belongs to, found by our id or the provider's reference. */
  async orderOfPayment(
    tenantId: string,
    provider: string,
    by: { paymentId?: string; providerRef?: string },
  ): Promise<Order | null> {
    const where = by.paymentId
      ? { tenantId, provider, id: by.paymentId }
      : by.providerRef
        ? { tenantId, provider, providerRef: by.providerRef }
        : null;
    if (!where) return null;
    const payment = await this.db.getRepository(Payment).findOne({ where });
    return payment
      ? this.db.getRepository(Order).findOne({ where: { tenantId, id: payment.orderId } })
      : null;
  }

  /** Latest payment attempts of an order, newest first (for the checkout and reconciliation). */
  async paymentsOf(
    tenantId: string,
    orderId: string,
    m: EntityManager = this.db.manager,
  ): Promise<Payment[]> {
    return m.find(Payment, { where: { tenantId, orderId }, order: { createdAt: 'DESC' } });
  }
}

function hashRequest(input: NewOrderInput): string {
  const canonical = JSON.stringify({
    application_id: input.application_id,
    package_id: input.package_id,
    pay_way: input.pay_way.toLowerCase(),
    amount: input.amount === undefined ? null : String(input.amount),
    redirect_url: input.redirect_url ?? null,
    pay_currency: input.pay_currency?.toUpperCase() ?? null,
    chain: input.chain?.toUpperCase() ?? null,
  });
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * The stable answer for a failed provider call: 502 provider_timeout / provider_unavailable /
 * provider_error, or 422 provider_credentials_rejected / provider_rejected, with the provider's message.
 */
export function providerFailure(what: string, err: unknown, logger?: Logger): DomainError {
  if (err instanceof DomainError) return err;
  const message = err instanceof Error ? err.message : 'unknown error';
  logger?.warn(`${what}: provider call failed: ${message}`);
  if (err instanceof ProviderError) {
    const details = { provider_code: err.providerCode ?? null };
    switch (err.kind) {
      case 'timeout':
        return PaymentErrors.provider_timeout(`${what} did not answer in time: ${message}`, details);
      case 'unavailable':
        return PaymentErrors.provider_unavailable(`${what} is unavailable: ${message}`, details);
      case 'credentials':
        return PaymentErrors.provider_credentials_rejected(
          `${what} refused the tenant's credentials: ${message}`,
          details,
        );
      case 'rejected':
        return PaymentErrors.provider_rejected(`${what} refused the request: ${message}`, details);
    }
  }
  return PaymentErrors.provider_error(`${what} could not open the payment: ${message}`);
}

/** The token and chain an order asks for: both or neither (400 naming the missing one). */
function routeOf(input: NewOrderInput, routed: boolean): PaymentRoute | undefined {
  if (input.pay_currency === undefined && input.chain === undefined) {
    if (routed)
      throw PaymentErrors.route_required('pay_way Crypto needs pay_currency and chain', {
        field: 'pay_currency',
      });
    return undefined;
  }
  if (input.pay_currency === undefined)
    throw PaymentErrors.route_required('pay_currency is required with chain', {
      field: 'pay_currency',
    });
  if (input.chain === undefined)
    throw PaymentErrors.route_required('chain is required with pay_currency', { field: 'chain' });
  return parseRoute(input.pay_currency, input.chain);
}
