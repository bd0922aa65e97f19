import type { ProviderDefinition } from '../../contract/payment-provider';
import { SandboxProvider } from './sandbox.provider';

/** The Sandbox: served by paymux itself, no account, no money; only where PAYMUX_SANDBOX is on. */
export const sandboxDefinition = {
  id: 'sandbox',
  displayName: 'Sandbox',
  methods: ['sandbox'],
  payWays: [{ spellings: ['sandbox'], method: 'sandbox', display: 'Sandbox', name: 'sandbox' }],
  // No credentials: it takes no account; the registry builds its context from the master key.
  actions: ['redirect'],
  defaultRoutingRank: 4,
  adapter: SandboxProvider,
} as const satisfies ProviderDefinition;
