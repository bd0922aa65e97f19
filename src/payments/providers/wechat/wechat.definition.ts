import { textField } from '../../../common/credential-schema';
import type { ProviderDefinition } from '../../contract/payment-provider';
import { WechatProvider } from './wechat.provider';

export const wechatDefinition = {
  id: 'wechat',
  displayName: 'WeChat Pay',
  methods: ['wechat_native', 'wechat_jsapi'],
  payWays: [
    { spellings: ['wechatpay', 'wechat'], method: 'wechat_native', display: 'WechatPay', name: 'wechat' },
    { spellings: ['weapp'], method: 'wechat_jsapi', display: 'WechatPay', name: 'weapp' },
  ],
  credentials: {
    fields: {
      mchid: textField(),
      appid: textField(),
      serial_no: textField(),
      private_key: { required: true, secret: true, kind: 'private_pem' },
      // The AES-256-GCM key of WeChat's callbacks: exactly 32 bytes.
      apiv3_key: { required: true, secret: true, kind: 'aes256_key' },
      platform_serial: textField(),
      platform_public_key: { required: true, secret: false, kind: 'public_key' },
    },
  },
  productionBaseUrl: 'https://api.mch.weixin.qq.com',
  actions: ['qr', 'mini_program'],
  adapter: WechatProvider,
} as const satisfies ProviderDefinition;
