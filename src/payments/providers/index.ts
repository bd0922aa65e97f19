import type { ProviderDefinition } from '../contract/payment-provider';
import { alchemyDefinition } from './alchemy/alchemy.definition';
import { alipayDefinition } from './alipay/alipay.definition';
import { paypalDefinition } from './paypal/paypal.definition';
import { sandboxDefinition } from './sandbox/sandbox.definition';
import { stripeDefinition } from './stripe/stripe.definition';
import { tokenpayDefinition } from './tokenpay/tokenpay.definition';
import { wechatDefinition } from './wechat/wechat.definition';
import { x402Definition } from './x402/x402.definition';

/**
 * Every provider paymux has, one line each. The pay-way table (pay-way.ts), the PAYMUX_<ID>_BASE_URL
 * settings (bootstrap passes the ids to AppConfig), credential validation (CREDENTIAL_SCHEMAS),
 * routing defaults (routing.ts), the adapter registry (payments.module.ts) and the checkout's action
 * rendering are derived from it: adding a provider is its folder plus one line here.
 */
export const PROVIDERS = [
  sandboxDefinition,
  wechatDefinition,
  alipayDefinition,
  stripeDefinition,
  paypalDefinition,
  x402Definition,
  alchemyDefinition,
  tokenpayDefinition,
] as const satisfies readonly ProviderDefinition[];

export type ProviderId = (typeof PROVIDERS)[number]['id'];
export type PayMethod = (typeof PROVIDERS)[number]['methods'][number];

export const PROVIDER_IDS: readonly ProviderId[] = PROVIDERS.map((p) => p.id);

/** The definition of a provider id, or undefined. */
export function providerDefinition(id: string): ProviderDefinition | undefined {
  return (PROVIDERS as readonly ProviderDefinition[]).find((p) => p.id === id);
}
