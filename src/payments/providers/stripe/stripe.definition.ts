import { textField } from '../../../common/credential-schema';
import type { ProviderDefinition } from '../../contract/payment-provider';
import { StripeProvider } from './stripe.provider';

export const stripeDefinition = {
  id: 'stripe',
  displayName: 'Stripe',
  methods: ['stripe_checkout'],
  payWays: [{ spellings: ['stripe'], method: 'stripe_checkout', display: 'Stripe', name: 'stripe' }],
  credentials: { fields: { secret_key: textField(true, true), webhook_secret: textField(true, true) } },
  productionBaseUrl: 'https://api.stripe.com',
  actions: ['redirect'],
  adapter: StripeProvider,
} as const satisfies ProviderDefinition;
