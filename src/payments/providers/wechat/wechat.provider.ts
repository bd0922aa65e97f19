/**
 * WeChat Pay API v3 (docs/providers.md "WeChat Pay v3"), charging CNY: the core converts the order's
 * price with the FX table first, so `input.amount` is yuan with 2 decimals, sent as integer fen.
 *
 * - `wechat_native` (pay_way `WechatPay` / order payment API `wechat`): POST /v3/pay/transactions/native ->
 *   `code_url`, shown as a QR code (`{kind: 'qr'}`).
 * - `wechat_jsapi` (order payment API `weapp`, needs the payer's openid): POST /v3/pay/transactions/jsapi ->
 *   `prepay_id`, returned as the mini-program's `wx.requestPayment` parameters with `paySign`.
 * - out_trade_no is the payment attempt's uuid without dashes (32 characters), and is `pay_id`.
 * - Callbacks (TRANSACTION.*): the platform signature (serial = `platform_serial`, 300 s window) is
 *   checked first, then the AES-256-GCM resource is decrypted with the APIv3 key and its mchid/appid
 *   must be this account's. A bad, stale or foreign signature is answered 401, anything else
 *   rejected 400, both `{"code":"FAIL","message":..}` (WeChat retries until it gets a 2xx); a
 *   verified callback is answered 200 with an empty body.
 * - Answers from WeChat are verified like callbacks by the client (see wechat.client.ts); an
 *   unverifiable one is `ProviderError('unavailable')`.
 * - Refunds: POST /v3/refund/domestic/refunds with out_refund_no = the refund's uuid without dashes
 *   (WeChat answers the same refund for the same out_refund_no, so a retry is idempotent). No refund
 *   notify_url is sent: refunds are settled by queryRefund (reconciliation), and a REFUND.* callback
 *   arriving anyway (a notify URL set in the merchant console) is verified and acknowledged as
 *   not final.
 *
 * *Unsure* facts, and what we do: a FREQUENCY_LIMITED answer is treated as a passing fault
 * (`unavailable`, so a refund stays pending) rather than a refusal; a refund WeChat does not know
 * when asked (404) stays pending until REFUND_UNKNOWN_FINAL_MS after it was asked for, and only
 * then is reported failed (the request never reached WeChat: nothing was given back).
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
  RefundInput,
  RefundResult,
  VerifiedEvent,
} from '../../contract/payment-provider';
import { TOLERANCE_SECONDS, WechatCallError, WechatClient } from './wechat.client';
import {
  decryptResource,
  EncryptedResource,
  newNonce,
  paySignMessage,
  platformKey,
  responseMessage,
  rsaSign,
  rsaVerify,
} from './wechat.signing';
import {
  beijingTime,
  collected,
  notificationOutcome,
  outRefundNoOf,
  outTradeNoOf,
  queryStatus,
  refundStatus,
  str,
  toFen,
  truncateChars,
  WechatNotification,
  WechatRefund,
  WechatTransaction,
} from './wechat.wire';

/** WeChat's limits on `description` and a refund's `reason`, in characters. */
const DESCRIPTION_MAX = 127;
const REASON_MAX = 80;

/** Codes meaning the order is not at WeChat (never opened) or already closed: close has nothing to do. */
const NOTHING_TO_CLOSE = new Set(['ORDER_NOT_EXIST', 'ORDERNOTEXIST', 'ORDER_CLOSED', 'ORDERCLOSED']);

/** A callback whose signature (or its headers, serial or timestamp) failed: answered 401. */
export class WechatSignatureRejected extends NotificationRejected {}

/**
 * How long after a refund was asked for a 404 from WeChat's refund query ("no such out_refund_no")
 * is taken as final. WeChat shows a refund as soon as it has accepted the request, so a refund it
 * does not know is either one whose request never arrived or one still in flight (a timed-out call,
 * a request queued on WeChat's side). A day is far beyond any delay in flight: a refund still
 * unknown then was never taken, nothing was given back, and it fails (releasing its amount).
 */
export const REFUND_UNKNOWN_FINAL_MS = 24 * 3_600_000;

@Injectable()
export class WechatProvider implements PaymentProvider {
  readonly id = 'wechat' as const;
  readonly methods = ['wechat_native', 'wechat_jsapi'] as const;

  /** WeChat Pay collects CNY and is no crypto route: a route (token on a chain) never fits it. */
  supports(q: { currency: string; network?: string }): boolean {
    return q.network === undefined && q.currency.toUpperCase() === 'CNY';
  }

  chargeCurrency(): string {
    return 'CNY';
  }

  async createPayment(ctx: ProviderContext, input: CreatePaymentInput): Promise<CreatedPayment> {
    const client = new WechatClient(ctx);
    const outTradeNo = outTradeNoOf(input.paymentId);
    const body: Record<string, unknown> = {
      appid: client.appid,
      mchid: client.mchid,
      description: truncateChars(input.description, DESCRIPTION_MAX),
      out_trade_no: outTradeNo,
      time_expire: beijingTime(input.expiresAt),
      attach: input.paymentId,
      notify_url: ctx.notifyUrl,
      amount: { total: toFen(input.amount, input.currency), currency: 'CNY' },
    };
    if (input.method === 'wechat_native') {
      const { data } = await client.post<{ code_url?: unknown }>('/v3/pay/transactions/native', body);
      const codeUrl = str(data?.code_url);
      if (!codeUrl) throw new ProviderError('unavailable', 'WeChat Pay answered without a code_url');
      return { providerRef: outTradeNo, action: { kind: 'qr', codeUrl } };
    }
    if (input.method === 'wechat_jsapi') {
      if (!input.openid) throw new ProviderError('rejected', 'a mini-program payment needs the payer openid');
      const { data } = await client.post<{ prepay_id?: unknown }>('/v3/pay/transactions/jsapi', {
        ...body,
        payer: { openid: input.openid },
      });
      const prepayId = str(data?.prepay_id);
      if (!prepayId) throw new ProviderError('unavailable', 'WeChat Pay answered without a prepay_id');
      const timeStamp = String(Math.floor(Date.now() / 1000));
      const nonceStr = newNonce();
      const pkg = `prepay_id=${prepayId}`;
      return {
        providerRef: outTradeNo,
        action: {
          kind: 'mini_program',
          params: {
            appId: client.appid,
            timeStamp,
            nonceStr,
            package: pkg,
            signType: 'RSA',
            paySign: rsaSign(client.merchantKey, paySignMessage(client.appid, timeStamp, nonceStr, pkg)),
          },
        },
      };
    }
    throw new ProviderError('rejected', `WeChat Pay does not offer ${input.method}`);
  }

  verifyNotification(ctx: ProviderContext, raw: RawNotification): Promise<VerifiedEvent> {
    return Promise.resolve(this.verify(ctx, raw));
  }

  /** A refused callback is answered like a bad signature: 401. */
  rejection(message: string): NotificationRejected {
    return new WechatSignatureRejected(message);
  }

  acknowledge(result: VerifiedEvent | Error): RawReply {
    if (result instanceof Error)
      return {
        status: result instanceof WechatSignatureRejected ? 401 : 400,
        body: { code: 'FAIL', message: result.message },
      };
    return { status: 200, body: '' };
  }

  async queryPayment(ctx: ProviderContext, ref: PaymentRef): Promise<ProviderStatus> {
    const client = new WechatClient(ctx);
    let t: WechatTransaction | null;
    try {
      ({ data: t } = await client.get<WechatTransaction>(
        `/v3/pay/transactions/out-trade-no/${encodeURIComponent(ref.providerRef)}?mchid=${encodeURIComponent(client.mchid)}`,
      ));
    } catch (err) {
      // Never opened at WeChat (or not yet visible): not final.
      if (err instanceof WechatCallError && err.status === 404) return { status: 'pending' };
      throw err;
    }
    if (!t || typeof t !== 'object' || t.out_trade_no !== ref.providerRef)
      throw new ProviderError(
        'unavailable',
        `WeChat Pay answered about another order than ${ref.providerRef}`,
      );
    const status = queryStatus(str(t.trade_state));
    if (status !== 'succeeded') return { status };
    return { status, ...collected(t.amount) };
  }

  /** Close an unpaid order; one WeChat never saw, or already closed, is done. */
  async close(ctx: ProviderContext, ref: PaymentRef): Promise<void> {
    const client = new WechatClient(ctx);
    try {
      await client.post(`/v3/pay/transactions/out-trade-no/${encodeURIComponent(ref.providerRef)}/close`, {
        mchid: client.mchid,
      });
    } catch (err) {
      if (err instanceof WechatCallError && (err.status === 404 || NOTHING_TO_CLOSE.has(err.code ?? '')))
        return;
      throw err;
    }
  }

  async refund(ctx: ProviderContext, ref: PaymentRef, input: RefundInput): Promise<RefundResult> {
    const client = new WechatClient(ctx);
    const reason = truncateChars(input.reason.trim(), REASON_MAX);
    const { data } = await client.post<WechatRefund>('/v3/refund/domestic/refunds', {
      out_trade_no: ref.providerRef,
      out_refund_no: outRefundNoOf(input.refundId),
      ...(reason ? { reason } : {}),
      amount: {
        refund: toFen(input.amount, input.currency),
        total: toFen(ref.amount, ref.currency),
        currency: 'CNY',
      },
    });
    return refundResult(data);
  }

  async queryRefund(
    ctx: ProviderContext,
    _ref: PaymentRef,
    refund: { refundId: string; providerRefundId?: string; requestedAt?: Date },
  ): Promise<RefundResult> {
    const client = new WechatClient(ctx);
    try {
      const { data } = await client.get<WechatRefund>(
        `/v3/refund/domestic/refunds/${encodeURIComponent(outRefundNoOf(refund.refundId))}`,
      );
      return refundResult(data);
    } catch (err) {
      if (!(err instanceof WechatCallError) || err.status !== 404) throw err;
      // A refund whose call timed out may be in flight, or taken and not yet shown: failing it now
      // would release its amount while WeChat may still give the money back, and a second refund
      // could give it back twice. Without the time it was asked for, it stays pending.
      const age = refund.requestedAt ? Date.now() - refund.requestedAt.getTime() : 0;
      if (age < REFUND_UNKNOWN_FINAL_MS)
        return { status: 'pending', message: `WeChat Pay does not show this refund yet (${err.message})` };
      return {
        status: 'failed',
        message: `WeChat Pay has no such refund ${Math.floor(age / 3_600_000)} h after it was asked for, so it never reached WeChat and nothing was given back (${err.message})`,
      };
    }
  }

  private verify(ctx: ProviderContext, raw: RawNotification): VerifiedEvent {
    const creds = ctx.credentials;
    const platform = platformKey(creds.platform_public_key);
    if (!platform) throw new WechatSignatureRejected('the account has no usable platform_public_key');
    const timestamp = header(raw, 'wechatpay-timestamp');
    const nonce = header(raw, 'wechatpay-nonce');
    const signature = header(raw, 'wechatpay-signature');
    const serial = header(raw, 'wechatpay-serial');
    if (!timestamp || !nonce || !signature || !serial)
      throw new WechatSignatureRejected('missing Wechatpay-* signature headers');
    if (serial !== creds.platform_serial)
      throw new WechatSignatureRejected(`unknown Wechatpay-Serial ${serial.slice(0, 64)}`);
    if (!/^\d{1,12}$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > TOLERANCE_SECONDS)
      throw new WechatSignatureRejected('signature timestamp outside tolerance');
    // WeChat's probes (`WECHATPAY/SIGNTEST/...`) are deliberately wrong signatures and fail here too.
    if (!rsaVerify(platform, responseMessage(timestamp, nonce, raw.body), signature))
      throw new WechatSignatureRejected('signature mismatch');

    // Signed by WeChat: now the body may be read.
    let body: WechatNotification;
    try {
      body = JSON.parse(raw.body.toString('utf8')) as WechatNotification;
    } catch {
      throw new NotificationRejected('body is not JSON');
    }
    if (!body || typeof body !== 'object') throw new NotificationRejected('body is not an object');
    const eventId = str(body.id);
    const eventType = str(body.event_type);
    if (!eventId || !eventType) throw new NotificationRejected('notification without id or event_type');
    if (body.resource_type !== 'encrypt-resource')
      throw new NotificationRejected(`unexpected resource_type ${String(body.resource_type)}`);
    const resource = body.resource as EncryptedResource | undefined;
    if (!resource || typeof resource !== 'object' || resource.algorithm !== 'AEAD_AES_256_GCM')
      throw new NotificationRejected('resource is not AEAD_AES_256_GCM');
    const plaintext = decryptResource(creds.apiv3_key, resource);
    if (plaintext === null) throw new NotificationRejected('resource does not decrypt with the APIv3 key');
    let t: WechatTransaction & { out_refund_no?: unknown; refund_status?: unknown };
    try {
      t = JSON.parse(plaintext) as typeof t;
    } catch {
      throw new NotificationRejected('resource is not JSON');
    }
    if (!t || typeof t !== 'object') throw new NotificationRejected('resource is not an object');
    if (t.mchid !== creds.mchid) throw new NotificationRejected('mchid is not this account');
    const outTradeNo = str(t.out_trade_no);
    if (!outTradeNo) throw new NotificationRejected('resource names no out_trade_no');
    const payload = { id: eventId, event_type: eventType, create_time: body.create_time, resource: t };

    if (eventType.startsWith('REFUND.')) {
      // Refunds settle through queryRefund; the callback is acknowledged so WeChat stops retrying.
      return { eventId, type: eventType, outcome: 'pending', providerRef: outTradeNo, payload };
    }
    if (t.appid !== creds.appid) throw new NotificationRejected('appid is not this account');
    const outcome = notificationOutcome(str(t.trade_state));
    const paid = outcome === 'succeeded' ? collected(t.amount) : undefined;
    if (outcome === 'succeeded' && !paid)
      throw new NotificationRejected('a success without a readable amount');
    return { eventId, type: eventType, outcome, providerRef: outTradeNo, ...paid, payload };
  }
}

function refundResult(data: WechatRefund | null): RefundResult {
  if (!data || typeof data !== 'object')
    throw new ProviderError('unavailable', 'WeChat Pay answered a refund without a body');
  const status = str(data.status);
  const mapped = refundStatus(status);
  const providerRefundId = str(data.refund_id) || undefined;
  return {
    status: mapped,
    providerRefundId,
    ...(mapped === 'failed' ? { message: `WeChat Pay refund ${status}` } : {}),
  };
}

function header(raw: RawNotification, name: string): string | undefined {
  const value = raw.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first.trim() : undefined;
}
