import type { ProviderDefinition } from './contract/payment-provider';
import { PayMethod, PROVIDERS, ProviderId } from './providers';

export interface PayWay {
  provider: ProviderId;
  method: PayMethod;
  /** How the order shows it (platform API spelling). */
  display: string;
  /** How the order payment API names it back in `data.pay_way`. */
  name: string;
}

/** The `pay_way` table of a provider list: every spelling (lower case) to its pay way. */
export function payWayTable(providers: readonly ProviderDefinition[]): ReadonlyMap<string, PayWay> {
  const table = new Map<string, PayWay>();
  for (const p of providers)
    for (const way of p.payWays)
      for (const spelling of way.spellings)
        table.set(spelling.toLowerCase(), {
          provider: p.id as ProviderId,
          method: way.method as PayMethod,
          display: way.display,
          name: way.name,
        });
  return table;
}

const WAYS = payWayTable(PROVIDERS);

/** Resolve a `pay_way` of either API dialect, case-insensitively; undefined when unknown. */
export function parsePayWay(raw: string): PayWay | undefined {
  return WAYS.get(raw.toLowerCase());
}

/** The pay way that opens a provider's default method (routing picks providers, not methods). */
export function payWayOfProvider(provider: string): PayWay | undefined {
  return [...WAYS.values()].find((w) => w.provider === provider);
}
