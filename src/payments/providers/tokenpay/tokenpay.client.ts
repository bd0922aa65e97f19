/**
 * A small typed client for TokenPay's API (no npm SDK exists): every call is a signed JSON POST
 * through providerFetch (bounded time), answered `{code, msg, request_id, data}`.
 */
import { ProviderContext, ProviderError } from '../../contract/payment-provider';
import { errorForStatus, providerFetch } from '../provider-http';
import { appKey, authorizationHeader } from './tokenpay.signing';
import { parseJsonExact, TokenPayEnvelope } from './tokenpay.wire';

/** Status codes (TokenPay "Status code" page) that mean our signature or account was refused. */
const CREDENTIAL_CODES = new Set(['103', '104']);
/** "Operation failed, try again later" and the per-app rate limit: a passing fault, not a refusal. */
const RETRYABLE_CODES = new Set(['11000', '11001']);
/** "Data is absence": the transaction does not exist at TokenPay. */
export const NOT_FOUND_CODE = '12002';

export class TokenPayCallError extends ProviderError {
  constructor(
    kind: ProviderError['kind'],
    message: string,
    readonly code: string,
  ) {
    super(kind, message, code);
  }
}

export class TokenPayClient {
  constructor(private readonly ctx: ProviderContext) {}

  get appId(): string {
    return this.ctx.credentials.app_id;
  }

  get mchId(): string {
    return this.ctx.credentials.mch_id;
  }

  /**
   * POST `body` (already serialised: it is signed byte for byte) to `path` and return `data` of a
   * code-0 answer. Anything else throws ProviderError: transport per providerFetch, HTTP status per
   * errorForStatus, and a non-zero `code` as credentials (103/104), unavailable (11000/11001) or
   * rejected, with TokenPay's own message and code.
   */
  async post<T>(path: string, body: string): Promise<T | undefined> {
    const key = appKey(this.ctx.credentials.app_secret);
    if (!key)
      throw new ProviderError('credentials', 'the TokenPay app_secret must be 32 bytes (the AES-256 key)');
    const url = new URL(`${this.ctx.baseUrl.replace(/\/+$/, '')}${path}`);
    const res = await providerFetch(url.toString(), {
      method: 'POST',
      timeoutMs: this.ctx.timeoutMs,
      body,
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json',
        'User-Agent': 'paymux (tokenpay API)',
        Authorization: authorizationHeader(
          { appId: this.appId, mchId: this.mchId, key },
          `${url.pathname}${url.search}`,
          body,
        ),
      },
    });
    let envelope: TokenPayEnvelope<T> | undefined;
    try {
      envelope = parseJsonExact(res.text) as TokenPayEnvelope<T>;
    } catch {
      envelope = undefined;
    }
    const code = envelope?.code === undefined ? undefined : String(envelope.code);
    const msg = envelope?.msg || undefined;
    if (res.status < 200 || res.status >= 300) {
      throw errorForStatus(res.status, `TokenPay answered HTTP ${res.status}${msg ? `: ${msg}` : ''}`, code);
    }
    if (!envelope || typeof envelope !== 'object' || code === undefined)
      throw new ProviderError('unavailable', 'TokenPay sent an unreadable answer');
    if (code !== '0') {
      const message = `TokenPay code ${code}: ${msg ?? 'no message'}`;
      const kind = CREDENTIAL_CODES.has(code)
        ? 'credentials'
        : RETRYABLE_CODES.has(code)
          ? 'unavailable'
          : 'rejected';
      throw new TokenPayCallError(kind, message, code);
    }
    return envelope.data;
  }
}
