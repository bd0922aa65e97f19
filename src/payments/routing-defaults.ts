import type { ProviderDefinition } from './contract/payment-provider';
import { PROVIDERS } from './providers';

/** The providers with a default routing rank, lowest rank first. */
export function defaultPriorityOf(providers: readonly ProviderDefinition[]): readonly string[] {
  return Object.freeze(
    providers
      .filter((p) => p.defaultRoutingRank !== undefined)
      .sort((a, b) => (a.defaultRoutingRank as number) - (b.defaultRoutingRank as number))
      .map((p) => p.id),
  );
}

/**
 * Where routing looks first when a tenant has set nothing (each definition's `defaultRoutingRank`);
 * the Sandbox only where it is on.
 */
export const DEFAULT_PRIORITY: readonly string[] = defaultPriorityOf(PROVIDERS);
