import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { hmacSha256Hex } from '../common/crypto';
import { PAYMENT_PROVIDERS, PaymentProvider, ProviderContext } from './payment-provider';

/** Picks the adapter for a provider id at call time and builds the tenant's context for it. */
@Injectable()
export class ProviderRegistry {
  private readonly byId: ReadonlyMap<string, PaymentProvider>;

  constructor(
    @Inject(PAYMENT_PROVIDERS) providers: PaymentProvider[],
    private readonly config: AppConfig,
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
  contextFor(tenantId: string, id: string): Promise<ProviderContext | null> {
    if (!this.byId.has(id)) return Promise.resolve(null);
    if (id === 'sandbox') {
      if (!this.config.sandboxEnabled) return Promise.resolve(null);
      return Promise.resolve({
        tenantId,
        mode: 'test',
        baseUrl: this.config.baseUrl(),
        credentials: { webhook_secret: this.sandboxSecret(tenantId) },
        notifyUrl: `${this.config.baseUrl()}/api/v1/webhooks/sandbox/${tenantId}`,
      });
    }
    // Tenant provider accounts (encrypted credentials) arrive with the card-and-wallet providers.
    return Promise.resolve(null);
  }

  /** The Sandbox's per-tenant webhook secret, derived from the master key (nothing stored). */
  sandboxSecret(tenantId: string): string {
    return hmacSha256Hex(this.config.masterKey, `sandbox-webhook:${tenantId}`);
  }
}
