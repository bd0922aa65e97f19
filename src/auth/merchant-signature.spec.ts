import { merchantSignature } from './merchant-signature';

describe('merchantSignature (the merchant API signature)', () => {
  // The README's vector. Computed independently with:
  //   printf '1700000000\nn-0001\nPOST\n/v1/payment\n<body>' | openssl dgst -sha256 -hmac 'msk_test_secret'
  const body =
    '{"order_no":"Pay1678886400000","currency":"USDT","amount":"0.1","chain_type":"BSC","notify_url":"https://merchant.example/notify"}';

  it('matches the documented known-answer vector', () => {
    expect(
      merchantSignature('msk_test_secret', {
        timestamp: '1700000000',
        nonce: 'n-0001',
        method: 'post',
        pathWithQuery: '/v1/payment',
        body,
      }),
    ).toBe('f2d520b5d34415ff1e5f84e21173a7187a2d87430870b109c94c17e3b58da1f8');
  });

  it('changes with every signed part', () => {
    const base = {
      timestamp: '1700000000',
      nonce: 'n-0001',
      method: 'POST',
      pathWithQuery: '/v1/payment',
      body,
    };
    const sig = merchantSignature('msk_test_secret', base);
    for (const change of [
      { timestamp: '1700000001' },
      { nonce: 'n-0002' },
      { method: 'GET' },
      { pathWithQuery: '/v1/payment?x=1' },
      { body: body.replace('0.1', '0.2') },
    ]) {
      expect(merchantSignature('msk_test_secret', { ...base, ...change })).not.toBe(sig);
    }
    expect(merchantSignature('msk_other', base)).not.toBe(sig);
  });
});
