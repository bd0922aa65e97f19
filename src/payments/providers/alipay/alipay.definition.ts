import { textField } from '../../../common/credential-schema';
import type { ProviderDefinition } from '../../contract/payment-provider';
import { AlipayProvider } from './alipay.provider';

export const alipayDefinition = {
  id: 'alipay',
  displayName: 'Alipay',
  methods: ['alipay_page', 'alipay_qr'],
  payWays: [
    { spellings: ['alipay'], method: 'alipay_page', display: 'AliPay', name: 'alipay' },
    // Alipay's precreate QR (alipay.trade.precreate): a code to scan, shown on the hosted checkout.
    { spellings: ['alipay_qr'], method: 'alipay_qr', display: 'AliPay', name: 'alipay_qr' },
  ],
  credentials: {
    fields: {
      app_id: textField(),
      private_key: { required: true, secret: true, kind: 'private_pem' },
      alipay_public_key: { required: true, secret: false, kind: 'public_key' },
    },
  },
  productionBaseUrl: 'https://openapi.alipay.com/gateway.do',
  actions: ['redirect', 'qr'],
  adapter: AlipayProvider,
} as const satisfies ProviderDefinition;
