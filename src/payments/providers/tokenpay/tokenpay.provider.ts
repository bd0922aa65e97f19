/**
 * TokenPay: a hosted crypto cashier. createPayment opens a prepayment whose
 * `payment_url` (relative to the API base in TokenPay's examples) is the payer's page; callbacks are
 * signed with AES-256-ECB and carry an AES-256-GCM encrypted transaction; query and close are
 * supported; TokenPay has no pay-in refunds, so `refund` is absent.
 *
 * Amounts: TokenPay counts in atomic units of the token (`amount` 15000000 with `decimals` 6 is
 * 15 TRX). We send `input.amount` times 10^(the token's decimals on that chain) and read back
 * `amount / 10^decimals` with the `decimals` TokenPay reports. *Unsure*: TokenPay's docs' request example
 * also shows `"amount": 9`; an account whose cashier takes decimal amounts sets
 * `credentials.amount_unit = "decimal"` (see the README section).
 */
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Money, MoneyError } from '../../../common/money';
import {
  CreatedPayment,
  CreatePaymentInput,
  NotificationRejected,
  PaymentProvider,
  PaymentRef,
  PaymentRoute,
  ProviderContext,
  ProviderError,
  ProviderStatus,
  RawNotification,
  RawReply,
  VerifiedEvent,
} from '../../contract/payment-provider';
import { canonicalChain } from '../../contract/chains';
import { NOT_FOUND_CODE, TokenPayCallError, TokenPayClient } from './tokenpay.client';
import { appKey, decryptResource, EncryptedResource, verifyCallbackSignature } from './tokenpay.signing';
import {
  amountOf,
  currencyOf,
  outcomeOf,
  parseJsonExact,
  PrepaymentData,
  toAtomic,
  tokenDecimals,
  TOKENPAY_PAIRS,
  TransactionDetail,
  wireChain,
} from './tokenpay.wire';

const TOLERANCE_SECONDS = 300;
const DEFAULT_CHAIN = 'TRON';
const DEFAULT_CURRENCY = 'USDT';

interface CallbackBody {
  id?: unknown;
  app_id?: unknown;
  mch_id?: unknown;
  event_type?: unknown;
  resource?: EncryptedResource;
}

@Injectable()
export class TokenPayProvider implements PaymentProvider {
  readonly id = 'tokenpay' as const;
  readonly methods = ['tokenpay_checkout'] as const;

  /** USDT on TRON, BSC, Ethereum and Solana; TRX on TRON; ETH on Ethereum. */
  supports(q: { currency: string; network?: string }): boolean {
    const chains = TOKENPAY_PAIRS[q.currency.toUpperCase()];
    if (!chains) return false;
    if (q.network === undefined) return true;
    const chain = canonicalChain(q.network);
    return chain !== undefined && chains.includes(chain);
  }

  /**
   * The token the payment is collected in: the route's, else the account's default (when the core
   * passes the context), else USDT. The core converts the order's price into it with the FX table.
   */
  chargeCurrency(_orderCurrency: string, route?: PaymentRoute, ctx?: ProviderContext): string {
    return (route?.currency ?? ctx?.credentials.currency ?? DEFAULT_CURRENCY).toUpperCase();
  }

  async createPayment(ctx: ProviderContext, input: CreatePaymentInput): Promise<CreatedPayment> {
    const creds = ctx.credentials;
    const currency = (input.route?.currency ?? creds.currency ?? DEFAULT_CURRENCY).toUpperCase();
    const chain = input.route?.chain ?? creds.chain ?? DEFAULT_CHAIN;
    if (currency !== input.currency.toUpperCase())
      // The amount was converted into input.currency; charging it in another token would be wrong.
      throw new ProviderError(
        'rejected',
        `the account charges ${currency} by default but the amount is in ${input.currency}: ask for ` +
          `pay_currency ${currency} with a chain, or leave credentials.currency unset`,
      );
    const amount = this.wireAmount(ctx, input.amount, currency, chain);
    const body = {
      app_id: creds.app_id,
      mch_id: creds.mch_id,
      description: input.description.slice(0, 127),
      out_trade_no: input.paymentId,
      expire_second: Math.max(1, Math.floor((input.expiresAt.getTime() - Date.now()) / 1000)),
      amount: AMOUNT_SLOT,
      chain: wireChain(chain),
      currency,
      ...(creds.to_address ? { to_address: creds.to_address } : {}),
      attach: input.paymentId,
      notify_url: ctx.notifyUrl,
      return_url: input.returnUrl ?? input.checkoutUrl,
      order_type: 'platform_order',
    };
    const data = await new TokenPayClient(ctx).post<PrepaymentData>(
      '/v1/transaction/prepayment',
      // `amount` is a JSON number (TokenPay's docs: type number), written from its exact text, never a float.
      JSON.stringify(body).replace(`"amount":"${AMOUNT_SLOT}"`, `"amount":${amount}`),
    );
    if (typeof data?.payment_url !== 'string' || data.payment_url.length === 0)
      throw new ProviderError('unavailable', 'TokenPay answered without a payment_url');
    let url: string;
    try {
      url = new URL(data.payment_url, ctx.baseUrl).toString();
    } catch {
      throw new ProviderError('unavailable', `TokenPay sent an unusable payment_url ${data.payment_url}`);
    }
    return { providerRef: input.paymentId, action: { kind: 'redirect', url } };
  }

  verifyNotification(ctx: ProviderContext, raw: RawNotification): Promise<VerifiedEvent> {
    return Promise.resolve(this.verify(ctx, raw));
  }

  acknowledge(result: VerifiedEvent | Error): RawReply {
    if (result instanceof Error) return { status: 400, body: { code: 'FAIL', message: result.message } };
    return { status: 200, body: 'success', contentType: 'text/plain; charset=utf-8' };
  }

  async queryPayment(ctx: ProviderContext, ref: PaymentRef): Promise<ProviderStatus> {
    const t = await this.query(ctx, ref.providerRef);
    if (!t) return { status: 'pending' };
    const status = outcomeOf(t.trade_state);
    if (status !== 'succeeded') return { status };
    return { status, amount: amountOf(t), currency: currencyOf(t) };
  }

  /**
   * Close at TokenPay, which closes by its own transaction id: ask for it first. A transaction
   * TokenPay never saw, or already closed, is done; a paid one is not closed (the caller confirms it).
   */
  async close(ctx: ProviderContext, ref: PaymentRef): Promise<void> {
    const t = await this.query(ctx, ref.providerRef);
    if (!t) return;
    const state = outcomeOf(t.trade_state);
    if (state === 'expired' || state === 'failed') return;
    if (state === 'succeeded')
      throw new ProviderError('rejected', `TokenPay transaction ${ref.providerRef} is already paid`);
    if (typeof t.transaction_id !== 'string' || t.transaction_id.length === 0)
      throw new ProviderError('unavailable', 'TokenPay query answered without a transaction_id');
    try {
      await new TokenPayClient(ctx).post(
        '/v1/transaction/close',
        JSON.stringify({
          app_id: ctx.credentials.app_id,
          mch_id: ctx.credentials.mch_id,
          transaction_id: t.transaction_id,
        }),
      );
    } catch (err) {
      if (err instanceof TokenPayCallError && err.code === NOT_FOUND_CODE) return;
      throw err;
    }
  }

  /** The transaction behind our out_trade_no, or null when TokenPay does not know it. */
  private async query(ctx: ProviderContext, outTradeNo: string): Promise<TransactionDetail | null> {
    try {
      const data = await new TokenPayClient(ctx).post<TransactionDetail>(
        '/v1/transaction/query',
        JSON.stringify({ mch_id: ctx.credentials.mch_id, out_trade_no: outTradeNo }),
      );
      return data && typeof data === 'object' ? data : null;
    } catch (err) {
      if (err instanceof TokenPayCallError && err.code === NOT_FOUND_CODE) return null;
      throw err;
    }
  }

  private wireAmount(ctx: ProviderContext, amount: string, currency: string, chain: string): string {
    try {
      if (ctx.credentials.amount_unit === 'decimal') return new Money(amount).toFixed();
      return toAtomic(amount, tokenDecimals(currency, chain));
    } catch (err) {
      if (err instanceof MoneyError) throw new ProviderError('rejected', err.message);
      throw err;
    }
  }

  private verify(ctx: ProviderContext, raw: RawNotification): VerifiedEvent {
    const key = appKey(ctx.credentials.app_secret);
    if (!key) throw new NotificationRejected('the account has no usable app_secret');
    const timestamp = header(raw, 'ttpay-timestamp');
    const nonce = header(raw, 'ttpay-nonce');
    const signature = header(raw, 'ttpay-signature');
    if (!timestamp || !nonce || !signature) throw new NotificationRejected('missing TTPay signature headers');
    if (!/^\d{9,13}$/.test(timestamp)) throw new NotificationRejected('malformed TTPay-Timestamp');
    // Milliseconds, as TokenPay sends them; a value in seconds is accepted too.
    const seconds = timestamp.length >= 12 ? Number(timestamp) / 1000 : Number(timestamp);
    if (Math.abs(Date.now() / 1000 - seconds) > TOLERANCE_SECONDS)
      throw new NotificationRejected('signature timestamp outside tolerance');
    if (!verifyCallbackSignature(key, timestamp, nonce, raw.body, signature))
      throw new NotificationRejected('signature mismatch');

    // Signed: now the body may be read.
    let body: CallbackBody;
    try {
      body = JSON.parse(raw.body.toString('utf8')) as CallbackBody;
    } catch {
      throw new NotificationRejected('body is not JSON');
    }
    if (!body || typeof body !== 'object' || !body.resource || typeof body.resource !== 'object')
      throw new NotificationRejected('no encrypted resource');
    if (body.app_id !== ctx.credentials.app_id || body.mch_id !== ctx.credentials.mch_id)
      throw new NotificationRejected('app_id or mch_id is not this account');
    const plaintext = decryptResource(key, body.resource);
    if (plaintext === null) throw new NotificationRejected('resource does not decrypt');
    let t: TransactionDetail;
    try {
      t = parseJsonExact(plaintext) as TransactionDetail;
    } catch {
      throw new NotificationRejected('resource is not JSON');
    }
    if (!t || typeof t !== 'object' || typeof t.out_trade_no !== 'string' || !t.out_trade_no)
      throw new NotificationRejected('resource names no out_trade_no');
    const state = typeof t.trade_state === 'string' ? t.trade_state.toUpperCase() : 'UNKNOWN';
    const outcome = outcomeOf(state);
    const eventId =
      typeof body.id === 'string' && body.id.length > 0
        ? body.id
        : `${typeof t.transaction_id === 'string' && t.transaction_id ? t.transaction_id : t.out_trade_no}:${state}`;
    return {
      eventId,
      type: typeof body.event_type === 'string' ? body.event_type : `TRANSACTION.${state}`,
      outcome,
      providerRef: t.out_trade_no,
      ...(outcome === 'succeeded' ? { amount: amountOf(t), currency: currencyOf(t) } : {}),
      payload: { event_type: body.event_type, transaction: t },
    };
  }
}

/** Placeholder replaced by the exact amount text after serialising (see createPayment). */
const AMOUNT_SLOT = `amount-${randomUUID()}`;

function header(raw: RawNotification, name: string): string | undefined {
  const value = raw.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first.trim() : undefined;
}
