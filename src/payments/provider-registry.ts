import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import {
  ProviderAccountsService,
  SealedAccount,
  UnsealedAccount,
} from '../tenants/provider-accounts.service';
import { hmacSha256Hex } from '../common/crypto';
import {
  PAYMENT_PROVIDERS,
  PaymentProvider,
  ProviderContext,
  ProviderDefinition,
} from './contract/payment-provider';
import { PROVIDERS } from './providers';

/** Each provider's production API base by id (its definition's); PAYMUX_<ID>_BASE_URL overrides it. */
export function productionBaseUrlsOf(
  providers: readonly ProviderDefinition[],
): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const p of providers) if (p.productionBaseUrl) out[p.id] = p.productionBaseUrl;
  return out;
}

export const PRODUCTION_BASE_URLS = productionBaseUrlsOf(PROVIDERS);

/** Picks the adapter for a provider id at call time and builds the tenant's context for it. */
@Injectable()
export class ProviderRegistry {
  private readonly byId: ReadonlyMap<string, PaymentProvider>;
  /** Each tenant's Sandbox webhook secret, derived once (an HMAC of the master key per order was measurable). */
  private readonly sandboxSecrets = new Map<string, string>();

  constructor(
    @Inject(PAYMENT_PROVIDERS) providers: PaymentProvider[],
    private readonly config: AppConfig,
    private readonly accounts: ProviderAccountsService,
  ) {
    this.byId = new Map(providers.map((p) => [p.id, p]));
  }

  get(id: string): PaymentProvider | undefined {
    return this.byId.get(id);
  }

  /**
   * The tenant's context for a provider, or null when the tenant cannot use it (not configured,
   * disabled, or the Sandbox switched off on this platform).
   */
  async contextFor(tenantId: string, id: string): Promise<ProviderContext | null> {
    if (!this.byId.has(id)) return null;
    if (!this.needsAccount(id)) return this.sandboxContext(tenantId);
    const account = await this.accounts.unsealed(tenantId, id);
    return account ? this.accountContext(tenantId, id, account) : null;
  }

  /** Whether the tenant's context for this provider comes from its provider account (all but the Sandbox). */
  needsAccount(id: string): boolean {
    return id !== 'sandbox';
  }

  /**
   * contextFor, with the tenant's account for the provider already read (null: it has none), so a
   * caller that needs several reads them in one statement.
   */
  contextWith(tenantId: string, id: string, account: SealedAccount | null): ProviderContext | null {
    if (!this.byId.has(id)) return null;
    if (!this.needsAccount(id)) return this.sandboxContext(tenantId);
    return account ? this.accountContext(tenantId, id, this.accounts.unseal(account)) : null;
  }

  /** Whether the Sandbox is on for this platform (its every tenant then has a context for it). */
  sandboxEnabled(): boolean {
    return this.byId.has('sandbox') && this.config.sandboxEnabled;
  }

  private sandboxContext(tenantId: string): ProviderContext | null {
    if (!this.config.sandboxEnabled) return null;
    return {
      tenantId,
      mode: 'test',
      baseUrl: this.config.baseUrl(),
      credentials: { webhook_secret: this.sandboxSecret(tenantId) },
      notifyUrl: `${this.config.baseUrl()}/api/v1/webhooks/sandbox/${tenantId}`,
      returnBaseUrl: `${this.config.baseUrl()}/api/v1/return/sandbox/${tenantId}`,
      timeoutMs: this.config.providerTimeoutMs,
    };
  }

  private accountContext(tenantId: string, id: string, account: UnsealedAccount): ProviderContext | null {
    if (!account.enabled) return null;
    const credentials: Record<string, string> = {};
    for (const [k, v] of Object.entries(account.credentials))
      credentials[k] = Array.isArray(v) ? v.join(',') : v;
    return {
      tenantId,
      mode: account.mode,
      baseUrl: this.config.providerBaseUrls[id] ?? PRODUCTION_BASE_URLS[id],
      credentials,
      notifyUrl: `${this.config.baseUrl()}/api/v1/webhooks/${id}/${tenantId}`,
      returnBaseUrl: `${this.config.baseUrl()}/api/v1/return/${id}/${tenantId}`,
      timeoutMs: this.config.providerTimeoutMs,
    };
  }

  /** The Sandbox's per-tenant webhook secret, derived from the master key (nothing stored). */
  sandboxSecret(tenantId: string): string {
    let secret = this.sandboxSecrets.get(tenantId);
    if (secret === undefined) {
      secret = hmacSha256Hex(this.config.masterKey, `sandbox-webhook:${tenantId}`);
      // Bounded: a derived value, cheap to compute again.
      if (this.sandboxSecrets.size >= 10_000) this.sandboxSecrets.clear();
      this.sandboxSecrets.set(tenantId, secret);
    }
    return secret;
  }
}
