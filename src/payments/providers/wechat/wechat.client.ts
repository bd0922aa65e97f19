/**
 * A small WeChat Pay v3 client over providerFetch (bounded time). Every request is signed with the
 * merchant key (`WECHATPAY2-SHA256-RSA2048`); every 2xx answer with a body (and any answer carrying a
 * signature) is verified with the platform public key before a byte of it is read: the
 * `Wechatpay-Serial` must be the account's `platform_serial`, the timestamp within 300 s, the
 * signature over `timestamp\nnonce\nbody\n` valid. An answer that fails this is never trusted and is
 * `ProviderError('unavailable')` (a 502: the provider's answer, not the tenant's request, is at
 * fault; the payment is not opened and nothing is written).
 *
 * Error answers `{code, message}`: 401 (SIGN_ERROR) and 403 NO_AUTH (or a 403 without a code) are
 * `credentials`; 5xx and the passing faults SYSTEM_ERROR, BANK_ERROR and FREQUENCY_LIMITED are
 * `unavailable`; other 4xx, including WeChat's business 403s (NOT_ENOUGH, TRADE_ERROR, RULE_LIMIT,
 * OUT_TRADE_NO_USED: refusals of this request, not of the account), are `rejected`; each with
 * WeChat's own message and code.
 */
import { KeyObject } from 'node:crypto';
import { ProviderContext, ProviderError } from '../../contract/payment-provider';
import { errorForStatus, providerFetch, ProviderResponse } from '../provider-http';
import {
  authorizationHeader,
  merchantKey,
  newNonce,
  platformKey,
  requestMessage,
  responseMessage,
  rsaSign,
  rsaVerify,
} from './wechat.signing';
import { WechatError } from './wechat.wire';

/** Allowed clock skew on signed answers and callbacks. */
export const TOLERANCE_SECONDS = 300;

const PASSING_FAULTS = new Set(['SYSTEM_ERROR', 'SYSTEMERROR', 'BANK_ERROR', 'FREQUENCY_LIMITED']);

/** A failed call, with WeChat's HTTP status and error code kept for the adapter's decisions. */
export class WechatCallError extends ProviderError {
  constructor(
    kind: ProviderError['kind'],
    message: string,
    readonly status: number,
    readonly code: string | undefined,
  ) {
    super(kind, message, code);
  }
}

export interface WechatAnswer<T> {
  status: number;
  /** The verified JSON body; null for a body-less answer (204). */
  data: T | null;
}

export class WechatClient {
  private readonly key: KeyObject;
  private readonly platform: KeyObject;

  constructor(private readonly ctx: ProviderContext) {
    const key = merchantKey(ctx.credentials.private_key);
    if (!key)
      throw new ProviderError('credentials', 'the WeChat Pay private_key is not a usable PEM private key');
    const platform = platformKey(ctx.credentials.platform_public_key);
    if (!platform)
      throw new ProviderError('credentials', 'the WeChat Pay platform_public_key is not a usable public key');
    this.key = key;
    this.platform = platform;
  }

  get mchid(): string {
    return this.ctx.credentials.mchid;
  }

  get appid(): string {
    return this.ctx.credentials.appid;
  }

  /** The merchant private key, for paySign. */
  get merchantKey(): KeyObject {
    return this.key;
  }

  get<T>(pathAndQuery: string): Promise<WechatAnswer<T>> {
    return this.call<T>('GET', pathAndQuery, '');
  }

  post<T>(path: string, body: object): Promise<WechatAnswer<T>> {
    return this.call<T>('POST', path, JSON.stringify(body));
  }

  private async call<T>(
    method: 'GET' | 'POST',
    pathAndQuery: string,
    body: string,
  ): Promise<WechatAnswer<T>> {
    const url = new URL(`${this.ctx.baseUrl.replace(/\/+$/, '')}${pathAndQuery}`);
    const signed = `${url.pathname}${url.search}`;
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = newNonce();
    const signature = rsaSign(this.key, requestMessage(method, signed, timestamp, nonce, body));
    const res = await providerFetch(url.toString(), {
      method,
      timeoutMs: this.ctx.timeoutMs,
      body: method === 'GET' ? undefined : body,
      headers: {
        Accept: 'application/json',
        'Content-Type': 'application/json',
        'User-Agent': 'paymux (WeChat Pay API v3)',
        Authorization: authorizationHeader({
          mchid: this.mchid,
          serialNo: this.ctx.credentials.serial_no,
          timestamp,
          nonce,
          signature,
        }),
      },
    });
    const ok = res.status >= 200 && res.status < 300;
    if (ok || res.headers.get('wechatpay-signature') !== null) this.verify(res);
    if (!ok) throw this.failure(res);
    if (res.text.length === 0) return { status: res.status, data: null };
    try {
      return { status: res.status, data: JSON.parse(res.text) as T };
    } catch {
      throw new ProviderError('unavailable', 'WeChat Pay sent an unreadable answer');
    }
  }

  /** The answer is WeChat's, signed with the platform key this account trusts, and fresh. */
  private verify(res: ProviderResponse): void {
    const reject = (why: string): never => {
      throw new ProviderError('unavailable', `WeChat Pay answer not trusted: ${why}`, 'RESPONSE_SIGNATURE');
    };
    const timestamp = res.headers.get('wechatpay-timestamp');
    const nonce = res.headers.get('wechatpay-nonce');
    const serial = res.headers.get('wechatpay-serial');
    const signature = res.headers.get('wechatpay-signature');
    if (res.text.length === 0 && signature === null) return;
    if (!timestamp || !nonce || !serial || !signature) return reject('missing Wechatpay-* signature headers');
    if (serial !== this.ctx.credentials.platform_serial)
      return reject(`signed by platform serial ${serial}, not the configured one`);
    if (!/^\d{1,12}$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > TOLERANCE_SECONDS)
      return reject('Wechatpay-Timestamp outside tolerance');
    if (!rsaVerify(this.platform, responseMessage(timestamp, nonce, res.text), signature))
      return reject('signature mismatch');
  }

  private failure(res: ProviderResponse): WechatCallError {
    let err: WechatError | undefined;
    try {
      err = JSON.parse(res.text) as WechatError;
    } catch {
      err = undefined;
    }
    const code = typeof err?.code === 'string' && err.code ? err.code : undefined;
    const message = typeof err?.message === 'string' && err.message ? err.message : undefined;
    const text = `WeChat Pay answered HTTP ${res.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`;
    const kind =
      code !== undefined && PASSING_FAULTS.has(code)
        ? 'unavailable'
        : res.status === 403 && code !== undefined && code !== 'NO_AUTH'
          ? 'rejected'
          : errorForStatus(res.status, text).kind;
    return new WechatCallError(kind, text, res.status, code);
  }
}
