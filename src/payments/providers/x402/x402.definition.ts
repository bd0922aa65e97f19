import { CredentialsError } from '../../../common/credential-schema';
import type { ProviderDefinition } from '../../contract/payment-provider';
import { X402Provider } from './x402.provider';

export const x402Definition = {
  id: 'x402',
  displayName: 'x402',
  methods: ['x402'],
  payWays: [{ spellings: ['x402'], method: 'x402', display: 'X402', name: 'x402' }],
  credentials: {
    fields: {
      pay_to_evm: { required: false, secret: false, kind: 'evm_address' },
      pay_to_solana: { required: false, secret: false, kind: 'solana_address' },
      networks: { required: true, secret: false, kind: 'list' },
      // The tenant's own facilitator, checked like any tenant-given URL (https, no private host).
      facilitator_url: { required: false, secret: false, kind: 'url' },
    },
    check: (creds) => {
      if (!creds.pay_to_evm && !creds.pay_to_solana)
        throw new CredentialsError(
          'credentials.pay_to_evm',
          'x402 needs credentials.pay_to_evm or credentials.pay_to_solana',
        );
    },
  },
  // The platform's facilitator (PAYMUX_X402_BASE_URL, or PAYMUX_X402_FACILITATOR_URL).
  productionBaseUrl: 'https://x402.org/facilitator',
  actions: ['x402'],
  defaultRoutingRank: 3,
  adapter: X402Provider,
} as const satisfies ProviderDefinition;
