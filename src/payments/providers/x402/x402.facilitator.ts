/**
 * The x402 facilitator's three endpoints (`GET /supported`, `POST /verify`, `POST /settle`), called
 * with providerFetch so every call is bounded by PROVIDER_TIMEOUT_MS and fails as a ProviderError.
 * Facilitators answer a refusal either with 200 or with a 4xx that still carries `isValid`/`success`
 * (as @x402/core's HTTPFacilitatorClient expects): both are read as the facilitator's answer.
 *
 * A tenant's own `facilitator_url` is tenant input: it must be https and is called through
 * TenantUrlClient, whose connections reach only public addresses (unless
 * PAYMUX_X402_ALLOW_PRIVATE_FACILITATOR), so a tenant cannot aim paymux at the operator's network. The operator's PAYMUX_X402_BASE_URL is trusted. What a
 * facilitator answers beyond the protocol's fields is logged, never put in an error (errors reach
 * the payer's client).
 */
import { Logger } from '@nestjs/common';
import { TenantUrlClient, TenantUrlRefused } from '../../../common/tenant-url-client';
import { ProviderError } from '../../contract/payment-provider';
import type { ProviderContext } from '../../contract/payment-provider';
import { errorForStatus, networkError, providerFetch, ProviderResponse } from '../provider-http';
import {
  FacilitatorRequest,
  networkNamed,
  SettleAnswer,
  SupportedAnswer,
  VerifyAnswer,
  X402_NETWORKS,
  X402Network,
} from './x402.wire';

/** How long a facilitator's fee payers are trusted before asking /supported again. */
const FEE_PAYER_TTL_MS = 10 * 60 * 1000;

/**
 * The Solana fee payers each facilitator URL announced, with when they were read. Keyed by the URL,
 * it holds only that facilitator's public answer (no tenant data), so sharing it across tenants is safe.
 */
const feePayerCache = new Map<string, { at: number; feePayers: Partial<Record<X402Network, string>> }>();

const logger = new Logger('X402Facilitator');

export interface FacilitatorOptions {
  /** PAYMUX_X402_ALLOW_PRIVATE_FACILITATOR: a tenant's facilitator may be http or private (tests). */
  allowPrivate?: boolean;
  /** How a tenant's facilitator is called (the app's one TenantUrlClient; a shared default otherwise). */
  urls?: TenantUrlClient;
}

/** A tenant's facilitator_url: called through TenantUrlClient, with or without the address checks. */
interface TenantFacilitator {
  urls: TenantUrlClient;
  allowPrivate: boolean;
}

let defaultUrls: TenantUrlClient | undefined;

export class FacilitatorClient {
  /**
   * @param tenant set when `url` is tenant input, to call only through TenantUrlClient (see the header).
   */
  constructor(
    readonly url: string,
    private readonly timeoutMs: number,
    private readonly tenant?: TenantFacilitator,
  ) {}

  /** The tenant's `facilitator_url`, else the platform's (PAYMUX_X402_BASE_URL or x402.org). */
  static of(ctx: ProviderContext, options: FacilitatorOptions = {}): FacilitatorClient {
    const own = ctx.credentials.facilitator_url;
    const url = (own || ctx.baseUrl).replace(/\/+$/, '');
    if (!own) return new FacilitatorClient(url, ctx.timeoutMs);
    const urls = options.urls ?? (defaultUrls ??= new TenantUrlClient());
    return new FacilitatorClient(url, ctx.timeoutMs, { urls, allowPrivate: options.allowPrivate === true });
  }

  async supported(): Promise<SupportedAnswer> {
    const res = await this.call('supported', {
      method: 'GET',
      headers: { accept: 'application/json' },
      timeoutMs: this.timeoutMs,
    });
    if (res.status !== 200) {
      logUnreadable('supported', this.url, res);
      throw errorForStatus(res.status, `facilitator /supported answered ${res.status}`);
    }
    const body = parseJson(res, 'supported');
    if (!Array.isArray(body.kinds))
      throw new ProviderError('unavailable', 'facilitator /supported answered without kinds');
    return body as unknown as SupportedAnswer;
  }

  /**
   * The Solana fee payer per network (`kinds[].extra.feePayer`), cached per facilitator URL. Best
   * effort: an unreachable facilitator yields what the cache had, or nothing.
   */
  async feePayers(): Promise<Partial<Record<X402Network, string>>> {
    const cached = feePayerCache.get(this.url);
    if (cached && Date.now() - cached.at < FEE_PAYER_TTL_MS) return cached.feePayers;
    try {
      const supported = await this.supported();
      const feePayers: Partial<Record<X402Network, string>> = {};
      for (const kind of supported.kinds) {
        const network = networkNamed(String(kind.network));
        const feePayer = kind.extra?.feePayer;
        if (network && X402_NETWORKS[network].family === 'svm' && typeof feePayer === 'string')
          feePayers[network] ??= feePayer;
      }
      feePayerCache.set(this.url, { at: Date.now(), feePayers });
      return feePayers;
    } catch {
      return cached?.feePayers ?? {};
    }
  }

  async verify(body: FacilitatorRequest): Promise<VerifyAnswer> {
    const res = await this.post('verify', body);
    const answer = res.status < 500 ? tryJson(res.text) : undefined;
    if (answer && typeof answer.isValid === 'boolean') return answer as unknown as VerifyAnswer;
    logUnreadable('verify', this.url, res);
    throw errorForStatus(res.status, `facilitator /verify answered ${res.status} without a verify answer`);
  }

  /**
   * Settle. A 5xx, a timeout or an unreadable answer throws ProviderError: the money may have moved,
   * and the caller must treat the outcome as unknown.
   */
  async settle(body: FacilitatorRequest): Promise<SettleAnswer> {
    const res = await this.post('settle', body);
    const answer = res.status < 500 ? tryJson(res.text) : undefined;
    if (answer && typeof answer.success === 'boolean') {
      return {
        ...(answer as unknown as SettleAnswer),
        transaction: typeof answer.transaction === 'string' ? answer.transaction : '',
        network: typeof answer.network === 'string' ? answer.network : '',
      };
    }
    logUnreadable('settle', this.url, res);
    throw errorForStatus(res.status, `facilitator /settle answered ${res.status} without a settle answer`);
  }

  private post(path: 'verify' | 'settle', body: FacilitatorRequest): Promise<ProviderResponse> {
    return this.call(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      timeoutMs: this.timeoutMs,
    });
  }

  /** One call; a tenant's URL is checked first and at connect, and nothing is sent when it is refused. */
  private async call(
    path: 'supported' | 'verify' | 'settle',
    init: Parameters<typeof providerFetch>[1],
  ): Promise<ProviderResponse> {
    if (!this.tenant) return providerFetch(`${this.url}/${path}`, init);
    const { urls, allowPrivate } = this.tenant;
    const refused = (reason: string): ProviderError => {
      logger.warn(`refused to call the tenant's x402 facilitator ${this.url}/${path}: ${reason}`);
      return new ProviderError(
        'credentials',
        `the account's facilitator_url may not be called: ${reason}`,
        'facilitator_url_refused',
      );
    };
    if (!allowPrivate) {
      const refusal = facilitatorRefusal(this.url) ?? (await urls.refusal(this.url, false));
      if (refusal) throw refused(refusal);
    }
    try {
      return await urls.request(`${this.url}/${path}`, {
        method: init.method as 'GET' | 'POST',
        headers: init.headers,
        body: init.body,
        timeoutMs: init.timeoutMs,
        allowPrivate,
      });
    } catch (err) {
      // The name answered a private address to the connection's own lookup (DNS rebinding).
      if (err instanceof TenantUrlRefused) throw refused(err.message);
      throw networkError(err, init.timeoutMs);
    }
  }
}

/** Why a tenant's facilitator may not be called: it must be https (its addresses: TenantUrlClient). */
function facilitatorRefusal(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'it is not a URL';
  }
  if (parsed.protocol !== 'https:') return 'it is not https';
  return null;
}

/** The facilitator's answer, for the operator: in the log (quoted, bounded), never in an error. */
function logUnreadable(path: string, url: string, res: ProviderResponse): void {
  logger.warn(`facilitator ${url}/${path} answered ${res.status}: ${JSON.stringify(excerpt(res.text))}`);
}

function tryJson(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function parseJson(res: ProviderResponse, what: string): Record<string, unknown> {
  const v = tryJson(res.text);
  if (!v) throw new ProviderError('unavailable', `facilitator /${what} answered with no JSON object`);
  return v;
}

const excerpt = (text: string): string => (text.length > 200 ? `${text.slice(0, 200)}...` : text);
