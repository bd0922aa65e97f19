import { ACTION_VIEWS } from '../../checkout/action-views';
import { CredentialsError, SECRET_MASK, validateCredentialFields } from '../../common/credential-schema';
import { checkEnv, providerBaseUrlSetting } from '../../config/env.schema';
import { acmeDefinition } from '../../../test/fixtures/acme-provider/acme.definition';
import { payWayTable, parsePayWay, payWayOfProvider } from '../pay-way';
import type { PaymentProvider, ProviderDefinition } from '../contract/payment-provider';
import { PRODUCTION_BASE_URLS, productionBaseUrlsOf } from '../provider-registry';
import { DEFAULT_PRIORITY, defaultPriorityOf } from '../routing-defaults';
import { PROVIDER_IDS, PROVIDERS } from './index';
import { credentialSchemasOf } from './provider-catalog.module';

const ALL: readonly ProviderDefinition[] = PROVIDERS;

/** Every table derived from a provider list, as the app derives them. */
function derived(providers: readonly ProviderDefinition[]) {
  return {
    payWays: payWayTable(providers),
    baseUrls: productionBaseUrlsOf(providers),
    credentials: credentialSchemasOf(providers),
    routing: defaultPriorityOf(providers),
  };
}

describe('the provider list (providers/index.ts) and what is derived from it', () => {
  it('has distinct ids, and pay-way spellings no two providers share', () => {
    expect(new Set(PROVIDER_IDS).size).toBe(PROVIDERS.length);
    const spellings = ALL.flatMap((p) => p.payWays.flatMap((w) => w.spellings));
    expect(new Set(spellings).size).toBe(spellings.length);
  });

  describe.each(ALL.map((p) => [p.id, p] as const))('%s', (id, def) => {
    it('is in the pay-way table under every spelling, any case, opening one of its methods', () => {
      for (const way of def.payWays) {
        expect(def.methods).toContain(way.method);
        for (const spelling of way.spellings)
          for (const raw of [spelling, spelling.toUpperCase(), way.display])
            if (raw !== way.display || spelling === way.display.toLowerCase())
              expect(parsePayWay(raw)).toEqual({
                provider: id,
                method: way.method,
                display: way.display,
                name: way.name,
              });
      }
      expect(payWayOfProvider(id)?.method).toBe(def.payWays[0].method);
    });

    it('has its PAYMUX_<ID>_BASE_URL setting read and checked, its production base the default', () => {
      const name = providerBaseUrlSetting(id);
      expect(checkEnv({ [name]: 'http://127.0.0.1:4010' }, PROVIDER_IDS).providerBaseUrls).toEqual({
        [id]: 'http://127.0.0.1:4010',
      });
      expect(checkEnv({ [name]: 'ftp://x' }, PROVIDER_IDS).problems).toEqual([
        `${name}="ftp://x/": ${name} must be an http:// or https:// URL (e.g. https://host.example/path)`,
      ]);
      expect(PRODUCTION_BASE_URLS[id]).toBe(def.productionBaseUrl);
    });

    it('has its credentials checked by its schema (or takes no account)', () => {
      const schemas = credentialSchemasOf(PROVIDERS);
      if (!def.credentials) {
        expect(id).toBe('sandbox');
        expect(schemas).not.toHaveProperty(id);
        return;
      }
      expect(schemas[id]).toBe(def.credentials);
      const required = Object.entries(def.credentials.fields).find(([, f]) => f.required);
      expect(required).toBeDefined();
      expect(() => validateCredentialFields(id, schemas[id], {})).toThrow(
        new CredentialsError(`credentials.${required?.[0]}`, `credentials.${required?.[0]} is required`),
      );
      expect(() => validateCredentialFields(id, schemas[id], { nope: 'x' })).toThrow(
        `is not a ${id} credential`,
      );
    });

    it('is registered with an adapter of its id and methods, and routed by default only if ranked', () => {
      const adapter = new (def.adapter as new () => PaymentProvider)();
      expect(adapter.id).toBe(id);
      expect([...adapter.methods]).toEqual([...def.methods]);
      expect(DEFAULT_PRIORITY.includes(id)).toBe(def.defaultRoutingRank !== undefined);
    });

    it('produces only actions the checkout page renders', () => {
      expect(def.actions.length).toBeGreaterThan(0);
      for (const kind of def.actions) expect(ACTION_VIEWS).toHaveProperty(kind);
    });
  });

  it('derives the tables paymux had before the list (pinned)', () => {
    expect(PROVIDER_IDS).toEqual([
      'sandbox',
      'wechat',
      'alipay',
      'stripe',
      'paypal',
      'x402',
      'alchemy',
      'tokenpay',
    ]);
    expect(DEFAULT_PRIORITY).toEqual(['tokenpay', 'alchemy', 'x402', 'sandbox']);
    expect(PRODUCTION_BASE_URLS).toEqual({
      stripe: 'https://api.stripe.com',
      paypal: 'https://api-m.paypal.com',
      alipay: 'https://openapi.alipay.com/gateway.do',
      wechat: 'https://api.mch.weixin.qq.com',
      x402: 'https://x402.org/facilitator',
      alchemy: 'https://crypto-payment.alchemytech.cc',
      tokenpay: 'https://api.tokenpay.me',
    });
    expect(Object.fromEntries(payWayTable(PROVIDERS))).toEqual({
      wechatpay: { provider: 'wechat', method: 'wechat_native', display: 'WechatPay', name: 'wechat' },
      wechat: { provider: 'wechat', method: 'wechat_native', display: 'WechatPay', name: 'wechat' },
      weapp: { provider: 'wechat', method: 'wechat_jsapi', display: 'WechatPay', name: 'weapp' },
      alipay: { provider: 'alipay', method: 'alipay_page', display: 'AliPay', name: 'alipay' },
      alipay_qr: { provider: 'alipay', method: 'alipay_qr', display: 'AliPay', name: 'alipay_qr' },
      stripe: { provider: 'stripe', method: 'stripe_checkout', display: 'Stripe', name: 'stripe' },
      paypal: { provider: 'paypal', method: 'paypal_checkout', display: 'PayPal', name: 'paypal' },
      x402: { provider: 'x402', method: 'x402', display: 'X402', name: 'x402' },
      alchemy: { provider: 'alchemy', method: 'alchemy_checkout', display: 'Alchemy', name: 'alchemy' },
      tokenpay: { provider: 'tokenpay', method: 'tokenpay_checkout', display: 'TokenPay', name: 'tokenpay' },
      sandbox: { provider: 'sandbox', method: 'sandbox', display: 'Sandbox', name: 'sandbox' },
    });
    expect(Object.keys(credentialSchemasOf(PROVIDERS)).sort()).toEqual([
      'alchemy',
      'alipay',
      'paypal',
      'stripe',
      'tokenpay',
      'wechat',
      'x402',
    ]);
  });

  it('takes a new provider appended to the list into every table (test/fixtures/acme-provider)', () => {
    const before = derived(PROVIDERS);
    const after = derived([...PROVIDERS, acmeDefinition]);
    expect(after.payWays.get('acmepay')).toEqual({
      provider: 'acme',
      method: 'acme_checkout',
      display: 'AcmePay',
      name: 'acme',
    });
    expect(after.payWays.size).toBe(before.payWays.size + 2);
    expect(after.baseUrls).toEqual({ ...before.baseUrls, acme: 'https://api.acme-pay.example' });
    expect(after.routing).toEqual([...before.routing, 'acme']);
    expect(after.credentials.acme).toBe(acmeDefinition.credentials);
    expect(() => validateCredentialFields('acme', after.credentials.acme, { merchant_no: 'm1' })).toThrow(
      'credentials.api_key is required',
    );
    expect(
      validateCredentialFields('acme', after.credentials.acme, {
        merchant_no: 'm1',
        api_key: 'k',
        settle_to: '',
      }),
    ).toEqual({ merchant_no: 'm1', api_key: 'k' });
    const ids = [...PROVIDER_IDS, acmeDefinition.id];
    expect(checkEnv({ PAYMUX_ACME_BASE_URL: 'http://127.0.0.1:9/acme' }, ids).providerBaseUrls).toEqual({
      acme: 'http://127.0.0.1:9/acme',
    });
    expect(checkEnv({ PAYMUX_ACME_BASE_URL: 'nope' }, ids).problems).toEqual([
      expect.stringMatching(/^PAYMUX_ACME_BASE_URL="nope": PAYMUX_ACME_BASE_URL must be an http/),
    ]);
    expect(SECRET_MASK).toBe('••••');
  });
});
