import { textField } from '../../../common/credential-schema';
import type { ProviderDefinition } from '../../contract/payment-provider';
import { TokenPayProvider } from './tokenpay.provider';

export const tokenpayDefinition = {
  id: 'tokenpay',
  displayName: 'TokenPay',
  methods: ['tokenpay_checkout'],
  payWays: [{ spellings: ['tokenpay'], method: 'tokenpay_checkout', display: 'TokenPay', name: 'tokenpay' }],
  credentials: {
    fields: {
      app_id: textField(),
      mch_id: textField(),
      // The AES-256 key of TokenPay's request signatures and callbacks: exactly 32 bytes.
      app_secret: { required: true, secret: true, kind: 'aes256_key' },
      to_address: textField(false),
      chain: textField(false),
      currency: textField(false),
      // Unsettled in TokenPay's docs: `atomic` (default) or `decimal` amounts on the wire.
      amount_unit: { required: false, secret: false, kind: 'amount_unit' },
    },
  },
  productionBaseUrl: 'https://api.tokenpay.me',
  actions: ['redirect'],
  defaultRoutingRank: 1,
  adapter: TokenPayProvider,
} as const satisfies ProviderDefinition;
