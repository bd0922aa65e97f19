import { textField } from '../../../common/credential-schema';
import type { ProviderDefinition } from '../../contract/payment-provider';
import { AlchemyProvider } from './alchemy.provider';

export const alchemyDefinition = {
  id: 'alchemy',
  displayName: 'Alchemy Pay',
  methods: ['alchemy_checkout'],
  payWays: [{ spellings: ['alchemy'], method: 'alchemy_checkout', display: 'Alchemy', name: 'alchemy' }],
  credentials: {
    fields: { app_id: textField(), app_secret: textField(true, true), payment_tokens: textField(false) },
  },
  productionBaseUrl: 'https://crypto-payment.alchemytech.cc',
  actions: ['redirect'],
  defaultRoutingRank: 2,
  adapter: AlchemyProvider,
} as const satisfies ProviderDefinition;
