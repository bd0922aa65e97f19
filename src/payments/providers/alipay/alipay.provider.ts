/**
 * Alipay (OpenAPI gateway `gateway.do`, docs/providers.md "Alipay (OpenAPI gateway)"), charging CNY: the
 * core converts the order's price with the FX table before createPayment (chargeCurrency), so the
 * amount here is yuan with two decimals.
 *
 * - alipay_page (pay_way `alipay` / `AliPay`): alipay.trade.page.pay makes no server call; the payer
 *   URL is the signed gateway GET URL (a redirect).
 * - alipay_qr: alipay.trade.precreate answers `qr_code` (shown as a QR on our checkout).
 * - out_trade_no (= providerRef) is our payment id without dashes: 32 of [0-9a-f], within Alipay's
 *   64 letters/digits/underscores; a repeated call for the same attempt is the same trade.
 * - Requests are signed by alipay-sdk; answers are verified over the exact `<method>_response` text
 *   (alipay.client.ts says why the HTTP call is not the SDK's `exec`).
 * - Async notify: form fields verified with the Alipay public key BEFORE anything in them is used,
 *   then app_id must be the account's. Answered with the plain text `success` (else `fail`, and Alipay
 *   re-sends). Alipay re-sends the same notification (same notify_id) for about 25 h, so an old
 *   notify_time is NOT a reason to reject: there is no freshness window here, replays are stopped by
 *   the event id `notify:<notify_id>` (unique per provider in provider_events). A TRADE_SUCCESS and a
 *   later TRADE_FINISHED of one trade carry different notify_ids: both mean paid, the core ignores the
 *   second (the payment already succeeded).
 * - Refunds: alipay.trade.refund with out_request_no = our refund id (idempotent at Alipay);
 *   fund_change "Y" is done; "N" (a repeat, or not settled yet) is asked again with
 *   alipay.trade.fastpay.refund.query, where only refund_status REFUND_SUCCESS is final.
 */
import { Injectable } from '@nestjs/common';
import { KeyObject } from 'node:crypto';
import { safeEqual } from '../../../common/crypto';
import { fromMinorUnits, MoneyError, toMinorUnits } from '../../../common/money';
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
  RefundInput,
  RefundResult,
  VerifiedEvent,
} from '../../contract/payment-provider';
import { AlipayGateway } from './alipay.client';
import { alipayPublicKey, parseForm, verifyNotifyFields } from './alipay.signing';
import { errorOf, isYuan, outcomeOfTradeStatus, SUCCESS, text } from './alipay.wire';

/** The most Alipay allows in `timeout_express` (15 days), in minutes. */
const MAX_TIMEOUT_MINUTES = 15 * 24 * 60;

/** Our payment id as an out_trade_no: the UUID without dashes. */
export function outTradeNoOf(paymentId: string): string {
  return paymentId.replace(/-/g, '');
}

@Injectable()
export class AlipayProvider implements PaymentProvider {
  readonly id = 'alipay' as const;
  readonly methods = ['alipay_page', 'alipay_qr'] as const;

  /** Alipay takes CNY and is no crypto route: a route (token on a chain) never fits it. */
  supports(q: { method: string; currency: string; network?: string }): boolean {
    return (
      (this.methods as readonly string[]).includes(q.method) &&
      q.currency.toUpperCase() === 'CNY' &&
      q.network === undefined
    );
  }

  chargeCurrency(): string {
    return 'CNY';
  }

  async createPayment(ctx: ProviderContext, input: CreatePaymentInput): Promise<CreatedPayment> {
    const gateway = new AlipayGateway(ctx);
    const outTradeNo = outTradeNoOf(input.paymentId);
    const biz = {
      out_trade_no: outTradeNo,
      total_amount: yuan(input.amount, input.currency),
      subject: subjectOf(input.description),
      timeout_express: timeoutExpress(input.expiresAt),
    };
    if (input.method === 'alipay_page') {
      const url = gateway.pageUrl(
        'alipay.trade.page.pay',
        { ...biz, product_code: 'FAST_INSTANT_TRADE_PAY' },
        { notify_url: ctx.notifyUrl, return_url: input.returnUrl ?? input.checkoutUrl },
      );
      return { providerRef: outTradeNo, action: { kind: 'redirect', url } };
    }
    if (input.method === 'alipay_qr') {
      const r = await gateway.call('alipay.trade.precreate', biz, { notify_url: ctx.notifyUrl });
      if (r.code !== SUCCESS) throw errorOf(r);
      const qr = text(r, 'qr_code');
      if (!qr)
        throw new ProviderError('unavailable', 'Alipay answered alipay.trade.precreate without qr_code');
      return { providerRef: outTradeNo, action: { kind: 'qr', codeUrl: qr } };
    }
    throw new ProviderError('rejected', `Alipay does not offer ${input.method}`);
  }

  verifyNotification(ctx: ProviderContext, raw: RawNotification): Promise<VerifiedEvent> {
    // A rejection, never a synchronous throw.
    return new Promise((resolve) => resolve(this.verify(ctx, raw)));
  }

  private verify(ctx: ProviderContext, raw: RawNotification): VerifiedEvent {
    let key: KeyObject;
    try {
      key = alipayPublicKey(ctx.credentials.alipay_public_key ?? '');
    } catch {
      throw new NotificationRejected('the account has no readable alipay_public_key');
    }
    const fields = parseForm(raw.body.toString('utf8'));
    if (!fields) throw new NotificationRejected('empty or malformed form body');
    if (fields.sign_type !== undefined && fields.sign_type !== 'RSA2')
      throw new NotificationRejected(`unsupported sign_type ${fields.sign_type}`);
    if (!verifyNotifyFields(fields, key)) throw new NotificationRejected('signature mismatch');
    // Signed by Alipay from here on; it must also be about this tenant's app.
    if (!safeEqual(fields.app_id ?? '', ctx.credentials.app_id ?? ''))
      throw new NotificationRejected('app_id is not this account');
    const notifyId = fields.notify_id;
    const outTradeNo = fields.out_trade_no;
    if (!notifyId || !outTradeNo) throw new NotificationRejected('notify_id or out_trade_no missing');
    const status = fields.trade_status ?? '';
    return {
      eventId: `notify:${notifyId}`,
      type: status ? `trade.${status}` : `notify.${fields.notify_type ?? 'unknown'}`,
      outcome: outcomeOfTradeStatus(status),
      providerRef: outTradeNo,
      amount: fields.total_amount,
      currency: fields.total_amount === undefined ? undefined : 'CNY',
      payload: { ...fields },
    };
  }

  acknowledge(result: VerifiedEvent | Error): RawReply {
    if (result instanceof Error) return { status: 400, body: 'fail', contentType: 'text/plain' };
    return { status: 200, body: 'success', contentType: 'text/plain' };
  }

  async queryPayment(ctx: ProviderContext, ref: PaymentRef): Promise<ProviderStatus> {
    const r = await new AlipayGateway(ctx).call('alipay.trade.query', { out_trade_no: ref.providerRef });
    if (r.code !== SUCCESS) {
      // The payer never opened the page or scanned the code: Alipay has no trade yet.
      if (r.sub_code === 'ACQ.TRADE_NOT_EXIST') return { status: 'pending' };
      throw errorOf(r);
    }
    const got = text(r, 'out_trade_no');
    if (got !== undefined && got !== ref.providerRef)
      throw new ProviderError('unavailable', `Alipay answered about trade ${got}, not ${ref.providerRef}`);
    const status = outcomeOfTradeStatus(r.trade_status);
    const amount = r.total_amount;
    return isYuan(amount) ? { status, amount, currency: 'CNY' } : { status };
  }

  /**
   * Close an unpaid trade. A trade Alipay never saw (ACQ.TRADE_NOT_EXIST) or one already closed
   * (ACQ.TRADE_STATUS_ERROR) is done; a paid one cannot be closed (the sweeper then waits and finds it
   * paid on its next pass).
   */
  async close(ctx: ProviderContext, ref: PaymentRef): Promise<void> {
    const r = await new AlipayGateway(ctx).call('alipay.trade.close', { out_trade_no: ref.providerRef });
    if (r.code === SUCCESS || r.sub_code === 'ACQ.TRADE_NOT_EXIST') return;
    if (r.sub_code === 'ACQ.TRADE_STATUS_ERROR') {
      const now = await this.queryPayment(ctx, ref);
      if (now.status === 'succeeded')
        throw new ProviderError('rejected', 'the trade is paid and cannot be closed', r.sub_code);
      return;
    }
    throw errorOf(r);
  }

  async refund(ctx: ProviderContext, ref: PaymentRef, input: RefundInput): Promise<RefundResult> {
    const r = await new AlipayGateway(ctx).call('alipay.trade.refund', {
      out_trade_no: ref.providerRef,
      refund_amount: yuan(input.amount, input.currency),
      out_request_no: input.refundId,
      refund_reason: input.reason.slice(0, 256),
    });
    if (r.code !== SUCCESS) throw errorOf(r);
    if (r.fund_change === 'Y')
      return { status: 'succeeded', providerRefundId: refundIdOf(r, ref, input.refundId) };
    // "N": this out_request_no was refunded before (a repeat), or the money has not moved yet.
    return this.queryRefund(ctx, ref, { refundId: input.refundId });
  }

  async queryRefund(
    ctx: ProviderContext,
    ref: PaymentRef,
    refund: { refundId: string; providerRefundId?: string },
  ): Promise<RefundResult> {
    const r = await new AlipayGateway(ctx).call('alipay.trade.fastpay.refund.query', {
      out_trade_no: ref.providerRef,
      out_request_no: refund.refundId,
    });
    if (r.code !== SUCCESS) throw errorOf(r);
    const providerRefundId = refund.providerRefundId ?? refundIdOf(r, ref, refund.refundId);
    const about = text(r, 'out_request_no');
    if (about !== undefined && about !== refund.refundId)
      throw new ProviderError('unavailable', `Alipay answered about refund ${about}, not ${refund.refundId}`);
    return r.refund_status === 'REFUND_SUCCESS'
      ? { status: 'succeeded', providerRefundId }
      : { status: 'pending', providerRefundId };
  }
}

/** `trade_no:out_request_no`: unique per refund (out_request_no is unique per trade). */
function refundIdOf(r: Readonly<Record<string, unknown>>, ref: PaymentRef, refundId: string): string {
  return `${text(r, 'trade_no') ?? ref.providerRef}:${refundId}`;
}

/** Yuan with two decimals, exactly ("71.23"); more decimals than CNY has is refused, never rounded. */
function yuan(amount: string, currency: string): string {
  if (currency !== 'CNY') throw new ProviderError('rejected', `Alipay charges CNY, not ${currency}`);
  try {
    return fromMinorUnits('CNY', toMinorUnits('CNY', amount));
  } catch (err) {
    if (err instanceof MoneyError) throw new ProviderError('rejected', `amount ${amount}: ${err.message}`);
    throw err;
  }
}

/** Alipay's subject: at most 256 characters, and no `/`, `=` or `&`. */
function subjectOf(description: string): string {
  return description.replace(/[/=&]/g, ' ').trim().slice(0, 256) || 'Order';
}

/** Minutes left until the order expires, as `timeout_express` ("29m"), between 1m and 15d. */
function timeoutExpress(expiresAt: Date): string {
  const minutes = Math.floor((expiresAt.getTime() - Date.now()) / 60_000);
  return `${Math.min(Math.max(minutes, 1), MAX_TIMEOUT_MINUTES)}m`;
}
