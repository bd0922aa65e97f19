import { AlipaySdk } from 'alipay-sdk';
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { NotificationRejected, ProviderContext, ProviderError } from '../../contract/payment-provider';
import { AlipayGateway } from './alipay.client';
import { AlipayProvider, outTradeNoOf } from './alipay.provider';
import {
  alipayPublicKey,
  alipayTimestamp,
  parseForm,
  rsa2Sign,
  rsa2Verify,
  signContent,
  topLevelMembers,
  verifyNotifyFields,
} from './alipay.signing';
import { errorOf, outcomeOfTradeStatus } from './alipay.wire';

/**
 * Known answers for the three Alipay RSA2 schemes (docs/providers.md "Alipay (OpenAPI gateway)").
 * TEST-ONLY key, generated once with `openssl genrsa -traditional 2048`; it signs nothing real.
 * Every expected signature below was computed independently with the openssl CLI:
 *   printf '%s' "<signed text>" | openssl dgst -sha256 -sign key.pem | base64 -w0
 */
const TEST_KEY = [
  '-----BEGIN RSA PRIVATE KEY-----',
  'MIIEowIBAAKCAQEAo64PECAQ6fbr1JijkvDNQRzjcZdSE91sTybPQyre+sLFS24H',
  'jr1rCKFJx+6JF6wa46ZKliB+Wj6ahkX0oVa5C8Iu6v0lVM8LmwrH7dvWcLCmZyvR',
  '4zOe48ITwBOAYBq6nT48UHRPV/KiZsYrKKuPYtbIj3M/P2TizMuu3ad8Owed8uUp',
  'COQ2o5/Md4Df4q/gcMj8dvEJf01+FgXrEc0+uf2DTB+G9IeL/jN8osF06Mfehn8m',
  'krQNUmW4TMHjRsnfhLvNdDZgOyhs0bMS+qWbE2Q8+SOI8lkt0TGNXUczR7aySiT2',
  'LwmZL/hsbEIqd+Npnu1KPjOIskrDJVm3Hc+MLQIDAQABAoIBACYEu4X01MjrbDq8',
  '2525ZgueQKw1SEDJ+SrnalQBJLrdO8N6ArJih/aAtCkG3HwNo09GZGO7l22xxeWz',
  'YQ+Km7/B8nDtrNqmntz745V5rzUMqxIiyQU7i8f+X+UJApQQEVGNz6emZHmap6M0',
  'm3i+ZLdCCWLck4/PiKimFO9yRDZXfksy/opgnMvetLQoO4cky+dPFZyIJKVD8ZI9',
  'dp88wxftXW6YoF8NYJqe4U//if2y2/n3DzkggP5qOSNryhKqqtVwrnu0myc7Z7kf',
  '4VpVslDNIwN4JuJ7O11me/c5Co3rJZPY8M+BxJdran9jMvrKNoz2NhyJYG7i3BHT',
  'iXJdp7ECgYEA5w8CeByFft5FCZwvxlX6a3UDMuq4Peey/S/mll70TQxz0L/V0KT9',
  'Es4eTv+n21N5sntcDnX5puy6qp+Axycmqx8uTNsf/gAbdHa+ZFJXIl9rMDaO07LY',
  'HuyofuVq5vhAZWPXaLS898XhWsI/7hwG07NJt0Ayom3/olSu8bHZwDUCgYEAtVkh',
  'WRbUtFlSG4LM6/xJGlZCACSStsP/3RRRlT+EVuoQUC0m6NOcVsvx5ZpGAYbC0DMC',
  'lVakjWoYin3fgLu48N+v/ufS+WuM7tyKAK4GB2FZxvM2ptvTmYGgovGiRADdDbnS',
  'NENoGYuFyVhQ2Z3kJcwTuhixUAJMPSYjhcdTixkCgYEAoekerdQup6xRbF6KC82L',
  '4WjpiPB5ksed4VWDm7OGNceYEJuc1MwImvjcvDbiBQsFqFBRPcDl5FbWp2GF+Agz',
  'TI5Y/3o9fNvOYVokKGCatnduwSY6B5a3Y1Qq7mEM/DTRyzqfY7vi/y0msVaVPeFd',
  '11M3QLY3xSKXk8ULokoicFECgYA1yuqJcqxFkvk4D+SZW4yTs2KAiFi8vgb3nT9V',
  '9jFbVrLgFYSlK6AEXxqx8MEzUrYW7AqoIbtN91qwOgZCOWzyhme+RSXftndnoyOM',
  'cBJ5vfbTfPGJLUvnDPyJWQO5CEiJ+cTQm+4VJb3Zq8jPxHYYgCCZ4xk1knjq6pU+',
  '6ZFugQKBgEfnwERcMVCmVfuaFmfjizfRu6EGapS+E9Wjp9V0IVZ+eBiQEo6YMfjI',
  '8LYy6q4r5QQAf8QpSJoiclZiaQN/tiHo3bkHHG8zChFrvfZayoVWQMjU511uQ+29',
  'vne3n/ty84AXvtLn3goCVgSwLP6P7Px4U3d32Sm6BRPZ9UY2Wo7K',
  '-----END RSA PRIVATE KEY-----',
].join('\n');
/** The same key's public half as bare base64 DER (`openssl rsa -pubout -outform DER | base64 -w0`). */
const TEST_PUBLIC_DER_B64 =
  'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAo64PECAQ6fbr1JijkvDNQRzjcZdSE91sTybPQyre+sLFS24Hjr1rCKFJx+6JF6wa46ZKliB+Wj6ahkX0oVa5C8Iu6v0lVM8LmwrH7dvWcLCmZyvR4zOe48ITwBOAYBq6nT48UHRPV/KiZsYrKKuPYtbIj3M/P2TizMuu3ad8Owed8uUpCOQ2o5/Md4Df4q/gcMj8dvEJf01+FgXrEc0+uf2DTB+G9IeL/jN8osF06Mfehn8mkrQNUmW4TMHjRsnfhLvNdDZgOyhs0bMS+qWbE2Q8+SOI8lkt0TGNXUczR7aySiT2LwmZL/hsbEIqd+Npnu1KPjOIskrDJVm3Hc+MLQIDAQAB';

const OUT_TRADE_NO = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';

// Request: app params sorted, `k=v` over the raw values.
const REQUEST_TEXT =
  'app_id=2021000000000001&biz_content={"out_trade_no":"0f1e2d3c4b5a69788796a5b4c3d2e1f0"}&charset=utf-8' +
  '&format=JSON&method=alipay.trade.query&sign_type=RSA2&timestamp=2024-01-02 03:04:05&version=1.0';
const REQUEST_SIG =
  'HsLzuH9eZ+ECYCsULhK2lxpxBoRYdgw2vEw2t+hctw+1Ywvo0uwBFgREY0l/wRx9aP58xMMFRrGUvfvN/+0OepTNZ2B+vO+WJYYEPPbdV377G2KBCH3o/6tKDN/6wvGBcoAKTJCWwy+SaMmcceoaBP6K+XNe9LRAhJtfnJtzyENndX+JXs9ksZvDE8Um8mLjXhwLDyUFhS6VhEAqqC2Q6I2QUN7taUXAXSdXsv+54Jo4xqpNXY2I+hoFCQHKDpF3LLK59Te+qsvrhAzq8pVmgFX+BY5v+9ZQj+43yzZ2WdSfyTVTlrrhnVuNj/aaV6yxxM1Nbnr5CReGRcfXG/fCNw==';

// Response: the exact text of the member, `\/` and `\u` escapes as sent (a `}` inside a string too).
const RESPONSE_TEXT =
  '{"code":"10000","msg":"Success","out_trade_no":"0f1e2d3c4b5a69788796a5b4c3d2e1f0",' +
  '"qr_code":"https:\\/\\/qr.alipay.com\\/bax01","total_amount":"71.23","subject":"\\u8ba2\\u5355 {x}"}';
const RESPONSE_SIG =
  'YY6lV16mLfqHizl8oYoOpmrNn95qoxpFQU1M0U+dtB4xZNnQ0hdZgVPRgV0aCXgsm4Hx6wjVJle7+TEe5pWvEf+dMBc4HwC0ZueSfnwpISgyuWKyRvi4fV1zKe7mMGI/f3o4CJZGsfSE+9GYG4Fn+ne25UDX85X8eboPmK/XtQEtnn7mN/To3V8rNLHjHmFSTDCqndOeWGKgz0ZAm0YFyhawXevGcVvkdwZS+r6uBTcAQ2AaWTQLmiAFUHdl+zz27B6lQBhjUFo9jJVgw1bsqru1JKxEJUYgN5fuHhXg4YgUpQSAC1RilOSTb8rTI4iKQSJ0M/tDh6iubPnmaKxTGw==';

// Notify: form-decoded fields but sign and sign_type (and the empty passback_params), sorted.
const NOTIFY_TEXT =
  'app_id=2021000000000001&gmt_payment=2024-01-02 03:05:06&notify_id=2024010200222030506000000001' +
  '&notify_time=2024-01-02 03:05:07&out_trade_no=0f1e2d3c4b5a69788796a5b4c3d2e1f0&subject=订单 a+b' +
  '&total_amount=71.23&trade_no=2024010222001400000000000001&trade_status=TRADE_SUCCESS';
const NOTIFY_SIG =
  'c1o7np12QQDRnrVvP3Co5hBt8QorIjdzAIYmC6G/tEIHZYqYudRXWTS9QHn9rUMybGET28I0d1Cn1gEmgSUVRmlJPAF6ozRlLCNnE2OWADHM495ze65UJ/RZh7qjzwdaKtfqvDbzKAh7LnsB3kY+o1JgZzrrJy2ze1DWQZb1LkliZoi/+MF4nrW2aE5kuRS4OOAHEdXtX2jkw561GwMrp3k0A/cdyj9LXZElVZ3rr0MHOvZA/EObcvY3xWw2VVleENs5cZEC+aWyE0xWjrdB8UQ2MFovXt2OKVq6MU0UTGVEp9mc2stqP3hhWYYCyNrDwJKoEKJrmEHR46NXu+BLPQ==';
const NOTIFY_BODY =
  'notify_time=2024-01-02+03%3A05%3A07&notify_id=2024010200222030506000000001&app_id=2021000000000001' +
  '&trade_no=2024010222001400000000000001&out_trade_no=0f1e2d3c4b5a69788796a5b4c3d2e1f0' +
  '&trade_status=TRADE_SUCCESS&total_amount=71.23&gmt_payment=2024-01-02+03%3A05%3A06' +
  '&subject=%E8%AE%A2%E5%8D%95%20a%2Bb&passback_params=&sign_type=RSA2&sign=' +
  encodeURIComponent(NOTIFY_SIG);

const ctx: ProviderContext = {
  tenantId: '00000000-0000-4000-8000-000000000000',
  mode: 'test',
  baseUrl: 'http://127.0.0.1:9/gateway.do',
  credentials: { app_id: '2021000000000001', private_key: TEST_KEY, alipay_public_key: TEST_PUBLIC_DER_B64 },
  notifyUrl: 'https://paymux.test/api/v1/webhooks/alipay/00000000-0000-4000-8000-000000000000',
  returnBaseUrl: 'https://paymux.test/api/v1/return/alipay/00000000-0000-4000-8000-000000000000',
  timeoutMs: 1000,
};
const publicKey = alipayPublicKey(TEST_PUBLIC_DER_B64);

describe('Alipay RSA2 request signatures (known answers)', () => {
  const params = {
    app_id: '2021000000000001',
    method: 'alipay.trade.query',
    format: 'JSON',
    charset: 'utf-8',
    sign_type: 'RSA2',
    timestamp: '2024-01-02 03:04:05',
    version: '1.0',
    biz_content: '{"out_trade_no":"0f1e2d3c4b5a69788796a5b4c3d2e1f0"}',
    notify_url: '',
  };

  it('joins the sorted non-empty params and signs them like openssl', () => {
    expect(signContent({ ...params, sign: 'ignored' })).toBe(REQUEST_TEXT);
    expect(rsa2Sign(REQUEST_TEXT, TEST_KEY)).toBe(REQUEST_SIG);
    expect(rsa2Verify(REQUEST_TEXT, REQUEST_SIG, publicKey)).toBe(true);
    expect(rsa2Verify(REQUEST_TEXT.replace('03:04:05', '03:04:06'), REQUEST_SIG, publicKey)).toBe(false);
  });

  it('is what alipay-sdk produces for the same call (PKCS#1 key as given, and as PKCS#8)', () => {
    const pkcs8 = createPrivateKey(TEST_KEY).export({ type: 'pkcs8', format: 'pem' }).toString();
    for (const [privateKey, keyType] of [
      [TEST_KEY, 'PKCS1'],
      [pkcs8.trim(), 'PKCS8'],
    ] as const) {
      const sdk = new AlipaySdk({ appId: '2021000000000001', privateKey, keyType, signType: 'RSA2' });
      const signed = new URLSearchParams(
        sdk.sdkExecute(
          'alipay.trade.query',
          { bizContent: { out_trade_no: OUT_TRADE_NO }, format: 'JSON', timestamp: '2024-01-02 03:04:05' },
          { bizContentAutoSnakeCase: false },
        ),
      );
      const fields = Object.fromEntries(signed);
      expect(signContent(fields)).toBe(REQUEST_TEXT);
      expect(fields.sign).toBe(REQUEST_SIG);
    }
  });

  it('stamps the timestamp in GMT+8 whatever the server zone', () => {
    expect(alipayTimestamp(new Date('2024-01-01T19:04:05.678Z'))).toBe('2024-01-02 03:04:05');
  });

  it('builds a page-pay URL on the gateway whose query verifies with the app public key', () => {
    const url = new URL(
      new AlipayGateway(ctx).pageUrl(
        'alipay.trade.page.pay',
        {
          out_trade_no: OUT_TRADE_NO,
          product_code: 'FAST_INSTANT_TRADE_PAY',
          total_amount: '71.23',
          subject: 'x',
        },
        { notify_url: ctx.notifyUrl, return_url: 'https://shop.test/back?a=1&b=2' },
      ),
    );
    expect(`${url.origin}${url.pathname}`).toBe(ctx.baseUrl);
    const fields = Object.fromEntries(url.searchParams);
    expect(url.searchParams.getAll('sign')).toHaveLength(1);
    expect(rsa2Verify(signContent(fields), fields.sign, publicKey)).toBe(true);
    expect(fields).toMatchObject({
      app_id: '2021000000000001',
      method: 'alipay.trade.page.pay',
      sign_type: 'RSA2',
      charset: 'utf-8',
      version: '1.0',
      format: 'JSON',
      notify_url: ctx.notifyUrl,
      return_url: 'https://shop.test/back?a=1&b=2',
    });
    expect(fields.timestamp).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(JSON.parse(fields.biz_content)).toEqual({
      out_trade_no: OUT_TRADE_NO,
      product_code: 'FAST_INSTANT_TRADE_PAY',
      total_amount: '71.23',
      subject: 'x',
    });
  });
});

describe('Alipay gateway response signatures (known answers)', () => {
  const raw = `{"alipay_trade_precreate_response":${RESPONSE_TEXT},"sign":"${RESPONSE_SIG}"}`;
  const gateway = new AlipayGateway(ctx);

  it('takes the exact text of each top-level member', () => {
    const members = topLevelMembers(` ${raw}\n`)!;
    expect(members.get('alipay_trade_precreate_response')).toBe(RESPONSE_TEXT);
    expect(members.get('sign')).toBe(`"${RESPONSE_SIG}"`);
    expect(topLevelMembers('{"a":1,"a":2}')).toBeNull();
    expect(topLevelMembers('{"a":{"b":"}"}')).toBeNull();
    expect(topLevelMembers('[1]')).toBeNull();
    expect(topLevelMembers('{"a":1} x')).toBeNull();
  });

  it('verifies the signature over that text (openssl known answer) and parses it', () => {
    expect(rsa2Verify(RESPONSE_TEXT, RESPONSE_SIG, publicKey)).toBe(true);
    expect(gateway.verified('alipay.trade.precreate', raw)).toMatchObject({
      code: '10000',
      qr_code: 'https://qr.alipay.com/bax01',
      subject: '订单 {x}',
    });
    // Whitespace between members does not matter; the signed text does.
    expect(
      gateway.verified(
        'alipay.trade.precreate',
        `{ "sign" : "${RESPONSE_SIG}" ,\n "alipay_trade_precreate_response" : ${RESPONSE_TEXT} }`,
      ),
    ).toMatchObject({ code: '10000' });
  });

  it('refuses a re-serialised, tampered, unsigned or wrongly keyed answer', () => {
    const cases = [
      // Same JSON value, other text (no `\/` escapes): not what Alipay signed.
      `{"alipay_trade_precreate_response":${JSON.stringify(JSON.parse(RESPONSE_TEXT))},"sign":"${RESPONSE_SIG}"}`,
      raw.replace('71.23', '71.24'),
      `{"alipay_trade_precreate_response":${RESPONSE_TEXT}}`,
      `{"alipay_trade_precreate_response":${RESPONSE_TEXT},"sign":"${rsa2Sign(RESPONSE_TEXT, otherKey())}"}`,
      // The answer to another method does not count.
      `{"alipay_trade_query_response":${RESPONSE_TEXT},"sign":"${RESPONSE_SIG}"}`,
    ];
    for (const body of cases) {
      expect(() => gateway.verified('alipay.trade.precreate', body)).toThrow(ProviderError);
      try {
        gateway.verified('alipay.trade.precreate', body);
      } catch (err) {
        expect((err as ProviderError).kind).toBe('unavailable');
      }
    }
  });

  it('maps an error_response (signed or not) to the gateway refusal it names', () => {
    const err = (body: string): ProviderError => {
      try {
        gateway.verified('alipay.trade.query', body);
      } catch (e) {
        return e as ProviderError;
      }
      throw new Error('no error');
    };
    const sig = err(
      '{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-signature","sub_msg":"验签出错"},"sign":"abc"}',
    );
    expect([sig.kind, sig.providerCode, sig.message]).toEqual([
      'credentials',
      'isv.invalid-signature',
      '验签出错 isv.invalid-signature',
    ]);
    const app = err(
      '{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-app-id"}}',
    );
    expect(app.kind).toBe('credentials');
  });
});

describe('Alipay notify signatures (known answers)', () => {
  const provider = new AlipayProvider();

  it('form-decodes, drops sign, sign_type and empty values, sorts, and verifies like openssl', () => {
    const fields = parseForm(NOTIFY_BODY)!;
    expect(fields.subject).toBe('订单 a+b');
    expect(signContent(fields, ['sign', 'sign_type'])).toBe(NOTIFY_TEXT);
    expect(rsa2Sign(NOTIFY_TEXT, TEST_KEY)).toBe(NOTIFY_SIG);
    expect(verifyNotifyFields(fields, publicKey)).toBe(true);
    expect(verifyNotifyFields({ ...fields, total_amount: '0.01' }, publicKey)).toBe(false);
    expect(verifyNotifyFields({ ...fields, sign: '' }, publicKey)).toBe(false);
    expect(parseForm(`${NOTIFY_BODY}&trade_status=TRADE_CLOSED`)).toBeNull();
  });

  it('turns a verified notify into an event keyed by notify_id, whatever its notify_time', async () => {
    // notify_time is from 2024: Alipay re-sends for ~25 h with the same notify_id, so age is no reason.
    const event = await provider.verifyNotification(ctx, { headers: {}, body: Buffer.from(NOTIFY_BODY) });
    expect(event).toMatchObject({
      eventId: 'notify:2024010200222030506000000001',
      type: 'trade.TRADE_SUCCESS',
      outcome: 'succeeded',
      providerRef: OUT_TRADE_NO,
      amount: '71.23',
      currency: 'CNY',
    });
  });

  it('rejects a tampered notify, another app id, and another Alipay key', async () => {
    const reject = (c: ProviderContext, body: string) =>
      expect(provider.verifyNotification(c, { headers: {}, body: Buffer.from(body) })).rejects.toThrow(
        NotificationRejected,
      );
    await reject(ctx, NOTIFY_BODY.replace('total_amount=71.23', 'total_amount=0.01'));
    await reject(ctx, NOTIFY_BODY.replace('TRADE_SUCCESS', 'TRADE_FINISHED'));
    await reject(ctx, NOTIFY_BODY.replace('sign_type=RSA2', 'sign_type=RSA'));
    await reject(ctx, '');
    await reject({ ...ctx, credentials: { ...ctx.credentials, app_id: '2021000000000002' } }, NOTIFY_BODY);
    const other = createPublicKey(otherKey()).export({ type: 'spki', format: 'pem' }).toString();
    await reject({ ...ctx, credentials: { ...ctx.credentials, alipay_public_key: other } }, NOTIFY_BODY);
  });
});

describe('Alipay statuses and errors', () => {
  it('maps trade_status; only TRADE_SUCCESS / TRADE_FINISHED pay, TRADE_CLOSED expires', () => {
    expect(outcomeOfTradeStatus('TRADE_SUCCESS')).toBe('succeeded');
    expect(outcomeOfTradeStatus('TRADE_FINISHED')).toBe('succeeded');
    expect(outcomeOfTradeStatus('TRADE_CLOSED')).toBe('expired');
    expect(outcomeOfTradeStatus('WAIT_BUYER_PAY')).toBe('pending');
    expect(outcomeOfTradeStatus('SOMETHING_NEW')).toBe('pending');
  });

  it('maps gateway codes to ProviderError kinds with Alipay sub_msg', () => {
    const kind = (r: Record<string, string>) => errorOf({ code: '', msg: '', ...r }).kind;
    expect(kind({ code: '40002', sub_code: 'isv.invalid-signature' })).toBe('credentials');
    expect(kind({ code: '40002', sub_code: 'isv.invalid-app-id' })).toBe('credentials');
    expect(kind({ code: '40006', sub_code: 'isv.insufficient-isv-permissions' })).toBe('credentials');
    expect(kind({ code: '20000', sub_code: 'isp.unknow-error' })).toBe('unavailable');
    expect(kind({ code: '40004', sub_code: 'ACQ.SYSTEM_ERROR' })).toBe('unavailable');
    expect(kind({ code: '40004', sub_code: 'ACQ.TRADE_HAS_SUCCESS' })).toBe('rejected');
    expect(kind({ code: '40002', sub_code: 'isv.invalid-parameter' })).toBe('rejected');
    expect(
      errorOf({ code: '40004', msg: 'Business Failed', sub_code: 'ACQ.X', sub_msg: '余额不足' }).message,
    ).toBe('余额不足 ACQ.X');
  });

  it('derives out_trade_no from the payment id: 32 letters/digits', () => {
    expect(outTradeNoOf('0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0')).toBe(OUT_TRADE_NO);
  });
});

let other: string | undefined;
function otherKey(): string {
  other ??= generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
  return other;
}
