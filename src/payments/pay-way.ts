import type { PayMethod, ProviderId } from './payment-provider';

export interface PayWay {
  provider: ProviderId;
  method: PayMethod;
  /** How the order shows it (seed 000 spelling). */
  display: string;
  /** How seed 001 names it back in `data.pay_way`. */
  name: string;
}

const WAYS: Record<string, PayWay> = {
  wechatpay: { provider: 'wechat', method: 'wechat_native', display: 'WechatPay', name: 'wechat' },
  wechat: { provider: 'wechat', method: 'wechat_native', display: 'WechatPay', name: 'wechat' },
  weapp: { provider: 'wechat', method: 'wechat_jsapi', display: 'WechatPay', name: 'weapp' },
  alipay: { provider: 'alipay', method: 'alipay_page', display: 'AliPay', name: 'alipay' },
  // Alipay's precreate QR (alipay.trade.precreate): a code to scan, shown on the hosted checkout.
  alipay_qr: { provider: 'alipay', method: 'alipay_qr', display: 'AliPay', name: 'alipay_qr' },
  stripe: { provider: 'stripe', method: 'stripe_checkout', display: 'Stripe', name: 'stripe' },
  paypal: { provider: 'paypal', method: 'paypal_checkout', display: 'PayPal', name: 'paypal' },
  x402: { provider: 'x402', method: 'x402', display: 'X402', name: 'x402' },
  alchemy: { provider: 'alchemy', method: 'alchemy_checkout', display: 'Alchemy', name: 'alchemy' },
  tokenpay: { provider: 'tokenpay', method: 'tokenpay_checkout', display: 'TokenPay', name: 'tokenpay' },
  sandbox: { provider: 'sandbox', method: 'sandbox', display: 'Sandbox', name: 'sandbox' },
};

/** Resolve a `pay_way` of either seed dialect, case-insensitively; undefined when unknown. */
export function parsePayWay(raw: string): PayWay | undefined {
  return Object.prototype.hasOwnProperty.call(WAYS, raw.toLowerCase()) ? WAYS[raw.toLowerCase()] : undefined;
}

/** The pay way that opens a provider's default method (routing picks providers, not methods). */
export function payWayOfProvider(provider: string): PayWay | undefined {
  return Object.values(WAYS).find((w) => w.provider === provider);
}
