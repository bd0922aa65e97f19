/**
 * The Alipay OpenAPI gateway (`gateway.do`, the classic 1.0 API) for one tenant's app, built per call
 * from the ProviderContext (the adapter keeps no per-tenant state).
 *
 * alipay-sdk 4.x signs every request (`sdkExecute` for server calls, `pageExecute` for the page-pay
 * URL), so the signed string is the SDK's own. The HTTP call and the check of the answer are ours,
 * for reasons where `exec()` conflicts with docs/providers.md and with paymux's error contract:
 * - `exec()` verifies the response only with `validateSign: true`, and then cuts the signed text out
 *   with a substring heuristic (from `<method>_response"` to the last `"sign"`); an `error_response`
 *   cannot be verified that way at all (it throws a signature error, or a TypeError when the body has
 *   no `sign`), so the gateway's own error codes (isv.invalid-signature, ...) would be lost. Here the
 *   exact JSON text of the member is taken with a JSON-aware scan and verified (alipay.signing.ts).
 * - `exec()` reports an HTTP failure only in its (Chinese) message text and a timeout as a urllib
 *   error; providerFetch gives the bounded timeout and the status for ProviderError.
 * - The SDK stamps `timestamp` in the server's local time zone; the gateway reads it as GMT+8, so it
 *   is always passed explicitly (alipayTimestamp).
 */
import { AlipaySdk } from 'alipay-sdk';
import { KeyObject } from 'node:crypto';
import { ProviderContext, ProviderError } from '../../contract/payment-provider';
import { errorForStatus, providerFetch } from '../provider-http';
import {
  alipayPublicKey,
  alipayTimestamp,
  appPrivateKeyPkcs8,
  rsa2Verify,
  topLevelMembers,
} from './alipay.signing';
import { AlipayResult, errorOf } from './alipay.wire';

/** Parameters the SDK (and the gateway) carry in the query string; the rest go in the form body. */
const URL_PARAMS = new Set([
  'app_id',
  'method',
  'format',
  'charset',
  'sign_type',
  'sign',
  'timestamp',
  'version',
  'notify_url',
  'return_url',
  'app_auth_token',
]);

export class AlipayGateway {
  private readonly sdk: AlipaySdk;
  private readonly publicKey: KeyObject;

  constructor(private readonly ctx: ProviderContext) {
    const c = ctx.credentials;
    if (!c.app_id || !c.private_key || !c.alipay_public_key)
      throw new ProviderError(
        'credentials',
        'the Alipay account needs app_id, private_key and alipay_public_key',
      );
    let privateKey: string;
    try {
      privateKey = appPrivateKeyPkcs8(c.private_key);
      this.publicKey = alipayPublicKey(c.alipay_public_key);
    } catch {
      throw new ProviderError('credentials', 'the Alipay private_key or alipay_public_key cannot be read');
    }
    this.sdk = new AlipaySdk({
      appId: c.app_id,
      privateKey,
      // Normalised to PKCS#8 above, whatever the tenant pasted (PKCS#1 "RSA PRIVATE KEY" or PKCS#8).
      keyType: 'PKCS8',
      signType: 'RSA2',
      alipayPublicKey: this.publicKey.export({ type: 'spki', format: 'pem' }).toString().trim(),
      gateway: ctx.baseUrl,
      endpoint: new URL(ctx.baseUrl).origin,
      timeout: ctx.timeoutMs,
      camelcase: false,
    });
  }

  get appId(): string {
    return this.ctx.credentials.app_id;
  }

  get alipayKey(): KeyObject {
    return this.publicKey;
  }

  /** The signed gateway GET URL a payer opens (page pay: no server call). */
  pageUrl(method: string, biz: Record<string, string>, extra: Record<string, string>): string {
    return this.signing(() =>
      this.sdk.pageExecute(method, 'GET', {
        bizContent: biz,
        format: 'JSON',
        timestamp: alipayTimestamp(new Date()),
        ...extra,
      }),
    );
  }

  /**
   * One signed gateway call. Returns the verified `<method>_response` (whatever its `code`: callers
   * decide about business answers such as ACQ.TRADE_NOT_EXIST); throws ProviderError when there is no
   * trustworthy answer or the gateway refused the call (`error_response`).
   */
  async call(
    method: string,
    biz: Record<string, string>,
    extra: Record<string, string> = {},
  ): Promise<AlipayResult> {
    const signed = this.signing(() =>
      this.sdk.sdkExecute(
        method,
        { bizContent: biz, format: 'JSON', timestamp: alipayTimestamp(new Date()), ...extra },
        { bizContentAutoSnakeCase: false },
      ),
    );
    const query = new URLSearchParams();
    const form = new URLSearchParams();
    for (const [k, v] of new URLSearchParams(signed)) (URL_PARAMS.has(k) ? query : form).append(k, v);
    const url = new URL(this.ctx.baseUrl);
    for (const [k, v] of query) url.searchParams.append(k, v);

    const res = await providerFetch(url.toString(), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded;charset=utf-8',
        accept: 'application/json',
      },
      body: form.toString(),
      timeoutMs: this.ctx.timeoutMs,
    });
    if (res.status !== 200)
      throw errorForStatus(
        res.status,
        `Alipay gateway answered HTTP ${res.status}: ${res.text.slice(0, 200)}`,
      );
    return this.verified(method, res.text);
  }

  /** Check the answer's signature over the exact text of its `<method>_response` member and parse it. */
  verified(method: string, raw: string): AlipayResult {
    const members = topLevelMembers(raw);
    if (!members)
      throw new ProviderError('unavailable', 'Alipay answered something that is not a JSON object');
    const responseKey = `${method.replace(/\./g, '_')}_response`;
    const text = members.get(responseKey);
    if (text === undefined) {
      // The gateway refused the call before the method ran (bad signature, unknown app id, ...). Such an
      // answer can only make the call fail, never change a payment, so it is mapped whether or not it
      // carries a verifiable signature (Alipay does not always sign it).
      const error = members.get('error_response');
      if (error === undefined)
        throw new ProviderError('unavailable', `Alipay's answer has no ${responseKey}`);
      throw errorOf(parseResult(error) ?? { code: '', msg: 'unreadable error_response' });
    }
    const signText = members.get('sign');
    let sign: unknown;
    try {
      sign = signText === undefined ? undefined : JSON.parse(signText);
    } catch {
      sign = undefined;
    }
    if (typeof sign !== 'string' || !rsa2Verify(text, sign, this.publicKey))
      throw new ProviderError(
        'unavailable',
        `Alipay's ${responseKey} does not verify with the account's alipay_public_key (not from Alipay, or the wrong key)`,
        'response_signature_invalid',
      );
    const result = parseResult(text);
    if (!result) throw new ProviderError('unavailable', `Alipay's ${responseKey} is not an object`);
    return result;
  }

  private signing<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw new ProviderError(
        'credentials',
        `cannot sign with the Alipay private_key: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
}

function parseResult(text: string): AlipayResult | null {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
    const r = value as Record<string, unknown>;
    return {
      ...r,
      code: typeof r.code === 'string' ? r.code : '',
      msg: typeof r.msg === 'string' ? r.msg : '',
    };
  } catch {
    return null;
  }
}
