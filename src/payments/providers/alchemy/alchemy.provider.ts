/**
 * Alchemy Pay crypto checkout (docs/providers.md "Alchemy Pay"). createPayment opens an order
 * with `POST /open/api/payment`; the payer pays in crypto on `model.webUrl`; Alchemy calls back with a
 * signed JSON body; `POST /open/api/payment/query` answers reconciliation. Alchemy has no merchant
 * refund or close API, so `refund` and `close` are absent (an Alchemy order times out by itself at
 * `expiredTime`, which is the paymux order's own expiry).
 *
 * - Currency: Alchemy charges the order's fiat price in `payCurrency` (USD, EUR, HKD with up to 2
 *   decimals; IDR, THB, VND integers) and converts to crypto itself, so there is no FX conversion
 *   here; an order in any other currency is refused (`rejected`, code `unsupported_currency`).
 * - `merchantOrderNo` ("only number") is our payment id's 128 bits in decimal (39 digits at most):
 *   derived again whenever needed. `providerRef` (the order's `pay_id`) is Alchemy's `model.orderNo`,
 *   which Alchemy Pay's docs say must be kept; callbacks carry it, and the query is by merchantOrderNo.
 * - *Unsure* `orderAmount` unit: `PAYMUX_ALCHEMY_AMOUNT_UNIT` = `decimal` (default) | `cent`
 *   (see `alchemyAmountUnit`); callbacks and queries are read back in the same unit.
 * - Signature: uppercase SHA-512 over the Sign=Y fields (alchemy.signing.ts). Callbacks: every
 *   non-empty scalar field except `sign` is signed (Alchemy: null and "" are left out). Callbacks
 *   carry no timestamp, so there is no staleness check: a replay is harmless (deduplicated by the event
 *   id `<orderNo>:<orderStatus>`, and a success is applied once).
 */
import { Injectable } from '@nestjs/common';
import {
  CreatedPayment,
  CreatePaymentInput,
  NotificationRejected,
  PaymentProvider,
  PaymentRef,
  ProviderContext,
  ProviderError,
  ProviderStatus,
  RawNotification,
  RawReply,
  VerifiedEvent,
} from '../../contract/payment-provider';
import { AlchemyClient } from './alchemy.client';
import {
  alchemySign,
  callbackSignedFields,
  CREATE_SIGNED_FIELDS,
  QUERY_SIGNED_FIELDS,
  signMatches,
} from './alchemy.signing';
import {
  AlchemyOrder,
  alchemyAmountUnit,
  alchemyNetwork,
  CreateOrderModel,
  fromOrderAmount,
  isPayCurrency,
  merchantOrderNoOf,
  outcomeOf,
  toOrderAmount,
  tokenOnNetwork,
  TOKEN_NETWORKS,
} from './alchemy.wire';

/** Alchemy's order mode for a one-off payment (the other, RECHARGE, tops up an account). */
const ORDER_MODEL = 'ORDER';

@Injectable()
export class AlchemyProvider implements PaymentProvider {
  readonly id = 'alchemy' as const;
  readonly methods = ['alchemy_checkout'] as const;

  /**
   * A fiat `payCurrency` Alchemy accepts (without a network), or a token on a network from Alchemy Pay's docs'
   * table (`USDT` on `TRON`/`TRX`, `BSC`, `ETH`, `SOL`; `ETH` on `ETH`, `BSC`; ...).
   */
  supports(q: { method: string; currency: string; network?: string }): boolean {
    if (!(this.methods as readonly string[]).includes(q.method)) return false;
    const currency = q.currency.trim().toUpperCase();
    if (isPayCurrency(currency)) return q.network === undefined;
    if (!Object.prototype.hasOwnProperty.call(TOKEN_NETWORKS, currency)) return false;
    return q.network === undefined || tokenOnNetwork(currency, alchemyNetwork(q.network));
  }

  /** Alchemy charges the order's own fiat price (it converts to crypto itself): no FX conversion. */
  chargeCurrency(orderCurrency: string): string {
    return orderCurrency;
  }

  async createPayment(ctx: ProviderContext, input: CreatePaymentInput): Promise<CreatedPayment> {
    const creds = ctx.credentials;
    let paymentTokens: string | undefined;
    let paymentNetworks: string | undefined;
    if (input.route) {
      paymentTokens = input.route.currency.trim().toUpperCase();
      paymentNetworks = alchemyNetwork(input.route.chain);
      if (!tokenOnNetwork(paymentTokens, paymentNetworks))
        throw new ProviderError(
          'rejected',
          `Alchemy Pay does not take ${paymentTokens} on ${paymentNetworks}`,
          'unsupported_crypto',
        );
    } else if (creds.payment_tokens) {
      paymentTokens = normaliseList(creds.payment_tokens);
    }
    const fields = {
      appId: creds.app_id,
      merchantOrderNo: merchantOrderNoOf(input.paymentId),
      orderAmount: toOrderAmount(input.currency, input.amount, alchemyAmountUnit()),
      payCurrency: input.currency.toUpperCase(),
      // A stable id that is not personal data: our order id (Alchemy needs no payer email here).
      userId: input.orderId,
      paymentTokens,
      paymentNetworks,
      orderModel: ORDER_MODEL,
      // Seconds the order stays payable: what is left of the paymux order's life.
      expiredTime: String(Math.max(1, Math.floor((input.expiresAt.getTime() - Date.now()) / 1000))),
      callbackURL: ctx.notifyUrl,
      redirectURL: input.returnUrl ?? input.checkoutUrl,
    };
    const { model } = await new AlchemyClient(ctx).post<CreateOrderModel>(
      '/open/api/payment',
      fields,
      CREATE_SIGNED_FIELDS,
    );
    const orderNo = model?.orderNo;
    const webUrl = model?.webUrl;
    if (typeof orderNo !== 'string' || orderNo.length === 0 || typeof webUrl !== 'string' || !webUrl)
      throw new ProviderError('unavailable', 'Alchemy Pay answered without model.orderNo and model.webUrl');
    if (!/^https?:\/\//i.test(webUrl))
      throw new ProviderError('unavailable', `Alchemy Pay sent an unusable webUrl ${webUrl}`);
    return { providerRef: orderNo, action: { kind: 'redirect', url: webUrl } };
  }

  verifyNotification(ctx: ProviderContext, raw: RawNotification): Promise<VerifiedEvent> {
    return Promise.resolve(this.verify(ctx, raw));
  }

  /** Alchemy wants HTTP 200 with `success`; anything else makes it retry. */
  acknowledge(result: VerifiedEvent | Error): RawReply {
    const contentType = 'text/plain; charset=utf-8';
    if (result instanceof Error) return { status: 400, body: 'fail', contentType };
    return { status: 200, body: 'success', contentType };
  }

  async queryPayment(ctx: ProviderContext, ref: PaymentRef): Promise<ProviderStatus> {
    const { model } = await new AlchemyClient(ctx).post<AlchemyOrder>(
      '/open/api/payment/query',
      { appId: ctx.credentials.app_id, merchantOrderNo: merchantOrderNoOf(ref.paymentId) },
      QUERY_SIGNED_FIELDS,
    );
    if (!model || typeof model !== 'object') return { status: 'pending' };
    if (typeof model.orderNo === 'string' && model.orderNo !== ref.providerRef)
      throw new ProviderError(
        'unavailable',
        `Alchemy Pay answered about order ${model.orderNo}, not ${ref.providerRef}`,
      );
    const status = outcomeOf(model.orderStatus);
    if (status !== 'succeeded') return { status };
    return { status, ...this.amountOf(model) };
  }

  private verify(ctx: ProviderContext, raw: RawNotification): VerifiedEvent {
    const secret = ctx.credentials.app_secret;
    if (!secret) throw new NotificationRejected('the account has no app_secret');
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.body.toString('utf8'));
    } catch {
      throw new NotificationRejected('body is not JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new NotificationRejected('body is not a JSON object');
    const body = parsed as Record<string, unknown>;
    if (typeof body.sign !== 'string' || !/^[0-9a-fA-F]{128}$/.test(body.sign))
      throw new NotificationRejected('missing or malformed sign');
    const signed = callbackSignedFields(body);
    if (!signed) throw new NotificationRejected('body has a field of an unexpected type');
    if (!signMatches(alchemySign(signed, secret), body.sign))
      throw new NotificationRejected('signature mismatch');

    // Signed by the holder of the app secret: now the fields may be read.
    const order = body as AlchemyOrder;
    if (order.appId !== undefined && order.appId !== ctx.credentials.app_id)
      throw new NotificationRejected('appId is not this account');
    if (typeof order.orderNo !== 'string' || order.orderNo.length === 0)
      throw new NotificationRejected('callback names no orderNo');
    if (typeof order.orderStatus !== 'string' || order.orderStatus.length === 0)
      throw new NotificationRejected('callback has no orderStatus');
    const outcome = outcomeOf(order.orderStatus);
    return {
      eventId: `${order.orderNo}:${order.orderStatus}`,
      type: order.orderStatus,
      outcome,
      providerRef: order.orderNo,
      ...(outcome === 'succeeded' ? this.amountOf(order) : {}),
      payload: body,
    };
  }

  /** What Alchemy says the order was for: `orderAmount` (in the unit setting) in `orderCurrency`. */
  private amountOf(order: AlchemyOrder): { amount?: string; currency?: string } {
    const currency = typeof order.orderCurrency === 'string' ? order.orderCurrency.toUpperCase() : undefined;
    const raw: unknown = order.orderAmount;
    const text = typeof raw === 'string' ? raw : typeof raw === 'number' ? String(raw) : undefined;
    const amount =
      text !== undefined && currency ? fromOrderAmount(currency, text, alchemyAmountUnit()) : undefined;
    return { amount, currency };
  }
}

/** `"usdt, eth"` -> `"USDT,ETH"`. */
function normaliseList(list: string): string {
  return list
    .split(',')
    .map((t) => t.trim().toUpperCase())
    .filter((t) => t.length > 0)
    .join(',');
}
