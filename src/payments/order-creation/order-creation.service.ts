import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { Principal } from '../../auth/principal';
import { AppConfig } from '../../config/app-config';
import { DomainError } from '../../common/domain-error';
import { formatAmount } from '../../common/money';
import { isUniqueViolation } from '../../common/pg-errors';
import { RowInserts } from '../../common/sql';
import { PreparedStatements } from '../../database/prepared-statements';
import { IdempotencyKey } from '../../orders/idempotency-key.entity';
import { Order } from '../../orders/order.entity';
import { OrdersService } from '../../orders/orders.service';
import { PackagesService } from '../../packages/packages.service';
import { quote } from '../../packages/pricing';
import type { PaymentRoute } from '../contract/payment-provider';
import { parsePayWay, PayWay } from '../pay-way';
import { AttemptOpener } from '../attempts/attempt-opener.service';
import { DirectOrderInput, hashRequest, NewOrderInput, routeOf } from './new-order-input';
import { PaymentErrors } from '../payments.errors';
import { tenantSuspended } from '../../auth/strategies/token-holder';

/** What differs between a platform order and a merchant's direct one; the rest of a new order is the same. */
type OrderDraft = Pick<
  Order,
  | 'tenantId'
  | 'userId'
  | 'applicationId'
  | 'packageId'
  | 'amount'
  | 'price'
  | 'currency'
  | 'discount'
  | 'payWay'
  | 'payCurrency'
  | 'chain'
  | 'redirectUrl'
> &
  Partial<Pick<Order, 'merchantOrderNo' | 'notifyUrl' | 'productName' | 'meta'>> & { ttlSeconds: number };

/**
 * The one order-creation path, for platform orders (platform API: an application's package) and
 * merchant orders (merchant API: the merchant's own number and price). The provider is called before
 * anything is written, so a provider failure leaves no row; the order, its first payment attempt,
 * its history row (and the idempotency key) are then written as one atomic statement.
 */
@Injectable()
export class OrderCreationService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly statements: PreparedStatements,
    private readonly config: AppConfig,
    private readonly orders: OrdersService,
    private readonly packages: PackagesService,
    private readonly opener: AttemptOpener,
  ) {}

  /** Platform API: create a recharge order and open its payment; idempotent by Idempotency-Key. */
  async createOrder(
    p: Principal,
    input: NewOrderInput,
    idempotencyKey?: string,
  ): Promise<{ order: Order; replayed: boolean }> {
    // Members of a suspended tenant are refused by the Bearer guard; a platform admin acting there too.
    if (p.tenantSuspended) throw tenantSuspended();
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
    if (way) await this.opener.requireContext(p.tenantId, way);

    const order = newOrder({
      tenantId: p.tenantId,
      userId: p.userId,
      applicationId: input.application_id,
      packageId: pkg.id,
      amount: q.amount.toFixed(),
      price: formatAmount(pkg.currency, q.price),
      currency: pkg.currency,
      discount: q.discount.toFixed(),
      payWay: way?.display ?? 'Crypto',
      payCurrency: route?.currency ?? null,
      chain: route?.chain ?? null,
      redirectUrl: input.redirect_url ?? null,
      ttlSeconds: this.config.orderTtlSeconds,
    });
    // A free order has no payment attempt.
    const batch = q.price.isZero() ? new RowInserts() : await this.openFirstAttempt(order, way, route);
    if (idempotencyKey) {
      batch.row('idempotency_keys', {
        tenant_id: p.tenantId,
        key: idempotencyKey,
        request_hash: requestHash,
        order_id: order.id,
      });
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
   * A direct payment (merchant API): no application or package, the merchant's own order
   * number, the price as given, routed by token and chain. A second order with the same number is a
   * 409 `duplicate_order_no`, whatever races.
   */
  async createDirectOrder(p: Principal, d: DirectOrderInput): Promise<Order> {
    const duplicate = (): DomainError =>
      PaymentErrors.duplicate_order_no(`order_no ${d.orderNo} was already used`, { field: 'order_no' });
    // One read: is the number taken, how long the tenant's merchant orders stay payable, and whether the
    // tenant was suspended since its key was checked.
    const [found] = await this.statements.query<
      { taken: boolean; ttl: number | null; suspended: boolean | null }[]
    >(
      `SELECT EXISTS (SELECT 1 FROM orders WHERE tenant_id = $1 AND merchant_order_no = $2) AS taken,
              (SELECT order_ttl_seconds FROM tenants WHERE id = $1) AS ttl,
              (SELECT suspended_at IS NOT NULL FROM tenants WHERE id = $1) AS suspended`,
      [p.tenantId, d.orderNo],
    );
    if (p.tenantSuspended || found.suspended) throw tenantSuspended();
    if (found.taken) throw duplicate();
    const order = newOrder({
      tenantId: p.tenantId,
      userId: null,
      applicationId: null,
      packageId: null,
      amount: '0',
      price: formatAmount(d.currency, d.price),
      currency: d.currency,
      discount: '1',
      payWay: 'Crypto',
      merchantOrderNo: d.orderNo,
      notifyUrl: d.notifyUrl,
      productName: d.productName,
      meta: d.meta,
      payCurrency: d.route.currency,
      chain: d.route.chain,
      redirectUrl: d.redirectUrl,
      ttlSeconds: found.ttl ?? this.config.orderTtlSeconds,
    });
    const batch = await this.openFirstAttempt(order, undefined, d.route);
    try {
      await this.orders.insertPending(order, batch);
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicate();
      throw err;
    }
    return order;
  }

  /** Open the order's first attempt at its provider, set what it decides on the order, and batch its row. */
  private async openFirstAttempt(
    order: Order,
    way: PayWay | undefined,
    route: PaymentRoute | undefined,
  ): Promise<RowInserts> {
    const paymentId = randomUUID();
    const attempt = await this.opener.open(order.tenantId, way, order, paymentId, route);
    Object.assign(order, this.opener.orderFieldsOf(attempt, order.id));
    return this.opener.addRow(new RowInserts(), paymentId, order, attempt);
  }

  private async replay(tenantId: string, key: string, requestHash: string): Promise<Order | null> {
    const seen = await this.db.getRepository(IdempotencyKey).findOne({ where: { tenantId, key } });
    if (!seen) return null;
    if (seen.requestHash !== requestHash) {
      throw PaymentErrors.idempotency_key_reused('this Idempotency-Key was used with a different request');
    }
    return this.orders.get(tenantId, seen.orderId);
  }
}

/** A new Pending order, not yet paid or written: every column set once, here. */
function newOrder({ ttlSeconds, ...draft }: OrderDraft): Order {
  return Object.assign(new Order(), {
    id: randomUUID(),
    payId: null,
    payUrl: null,
    chargeAmount: null,
    chargeCurrency: null,
    fxRate: null,
    remainingAmount: '0',
    tags: null,
    metadata: null,
    paidAt: null,
    finishedAt: null,
    ...draft,
    expiresAt: new Date(Date.now() + ttlSeconds * 1000),
  });
}
