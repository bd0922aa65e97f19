import { textField } from '../../../common/credential-schema';
import type { ProviderDefinition } from '../../contract/payment-provider';
import { PayPalProvider } from './paypal.provider';

export const paypalDefinition = {
  id: 'paypal',
  displayName: 'PayPal',
  methods: ['paypal_checkout'],
  payWays: [{ spellings: ['paypal'], method: 'paypal_checkout', display: 'PayPal', name: 'paypal' }],
  credentials: {
    fields: { client_id: textField(), client_secret: textField(true, true), webhook_id: textField() },
  },
  productionBaseUrl: 'https://api-m.paypal.com',
  actions: ['redirect'],
  adapter: PayPalProvider,
} as const satisfies ProviderDefinition;
