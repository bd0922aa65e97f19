/**
 * The x402 facilitator's three endpoints (`GET /supported`, `POST /verify`, `POST /settle`), called
 * with providerFetch so every call is bounded by PROVIDER_TIMEOUT_MS and fails as a ProviderError.
 * Facilitators answer a refusal either with 200 or with a 4xx that still carries `isValid`/`success`
 * (as @x402/core's HTTPFacilitatorClient expects): both are read as the facilitator's answer.
 */
import { ProviderError } from '../../payment-provider';
import type { ProviderContext } from '../../payment-provider';
import { errorForStatus, providerFetch, ProviderResponse } from '../provider-http';
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

export class FacilitatorClient {
  constructor(
    readonly url: string,
    private readonly timeoutMs: number,
  ) {}

  /** The tenant's `facilitator_url`, else the platform's (PAYMUX_X402_BASE_URL or x402.org). */
  static of(ctx: ProviderContext): FacilitatorClient {
    const url = (ctx.credentials.facilitator_url || ctx.baseUrl).replace(/\/+$/, '');
    return new FacilitatorClient(url, ctx.timeoutMs);
  }

  async supported(): Promise<SupportedAnswer> {
    const res = await providerFetch(`${this.url}/supported`, {
      method: 'GET',
      headers: { accept: 'application/json' },
      timeoutMs: this.timeoutMs,
    });
    if (res.status !== 200) throw errorForStatus(res.status, `facilitator /supported answered ${res.status}`);
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
    throw errorForStatus(res.status, `facilitator /verify answered ${res.status}: ${excerpt(res.text)}`);
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
    throw errorForStatus(res.status, `facilitator /settle answered ${res.status}: ${excerpt(res.text)}`);
  }

  private post(path: 'verify' | 'settle', body: FacilitatorRequest): Promise<ProviderResponse> {
    return providerFetch(`${this.url}/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      timeoutMs: this.timeoutMs,
    });
  }
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
