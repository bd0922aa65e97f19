/**
 * A small typed client for Alchemy Pay's crypto payment API (no SDK on npm): JSON POSTs signed with
 * Alchemy Pay's docs' SHA-512 rule, answers `{code, msg, model, traceId}` mapped to ProviderError.
 */
import type { ProviderContext } from '../../contract/payment-provider';
import { ProviderError } from '../../contract/payment-provider';
import { errorForStatus, providerFetch } from '../provider-http';
import { alchemySign, pick, SignedValue } from './alchemy.signing';
import { AlchemyEnvelope, errorForCode } from './alchemy.wire';

export class AlchemyClient {
  constructor(private readonly ctx: ProviderContext) {}

  /**
   * POST `fields` plus `sign` (over `signed`, the call's Sign=Y fields) to `path`; the `model` of a
   * `code: "0"` answer, else a ProviderError: 5xx or an unreadable answer `unavailable`, a documented
   * code its mapped kind (8007 and 8012 `credentials`, the rest `rejected`).
   */
  async post<T>(
    path: string,
    fields: Readonly<Record<string, SignedValue>>,
    signed: readonly string[],
  ): Promise<{ model: T | null | undefined; sent: Record<string, string> }> {
    const body: Record<string, string> = {};
    for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== null && v !== '') body[k] = v;
    body.sign = alchemySign(pick(body, signed), this.ctx.credentials.app_secret);
    const res = await providerFetch(`${this.ctx.baseUrl.replace(/\/+$/, '')}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      timeoutMs: this.ctx.timeoutMs,
    });
    let answer: AlchemyEnvelope<T> | undefined;
    try {
      const parsed: unknown = JSON.parse(res.text);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) answer = parsed;
    } catch {
      answer = undefined;
    }
    if (res.status >= 500 || !answer || answer.code === undefined || answer.code === null) {
      const msg = answer?.msg ?? `HTTP ${res.status} ${res.text.slice(0, 200)}`.trim();
      throw res.status >= 400
        ? errorForStatus(res.status, `Alchemy Pay answered HTTP ${res.status}: ${msg}`)
        : new ProviderError('unavailable', `Alchemy Pay sent an unreadable answer: ${msg}`);
    }
    const code = String(answer.code);
    if (code !== '0') throw errorForCode(code, answer.msg);
    return { model: answer.model, sent: body };
  }
}
