import {
  appKey,
  authorizationHeader,
  callbackSignature,
  decryptResource,
  requestSignature,
  verifyCallbackSignature,
} from './tokenpay.signing';
import {
  amountOf,
  fromTokenPayAmount,
  outcomeOf,
  parseJsonExact,
  toAtomic,
  wireChain,
} from './tokenpay.wire';

const KEY = appKey('0123456789abcdef0123456789abcdef')!;
const NONCE = 'abcdef0123456789abcdef0123456789';

describe('TokenPay signatures (known answers)', () => {
  it('signs a request like the docs/providers.md vector', () => {
    expect(requestSignature(KEY, '/v1/transaction/prepayment', '1700000000000', NONCE, '{"a":1}')).toBe(
      'iaLRpnPdJTtMpGwReviNxvm7KGS12NDaNrRiw9C+oV3V5YmBrVHl2zlQksjPxt2tvvCfEyhmydcHk5ZwSeVw8s+dAymvzS5KIu78Vv7gT4ypcmXGrLTcv1omcVznBB6I',
    );
  });

  it('builds the Authorization header around that signature', () => {
    expect(
      authorizationHeader(
        { appId: 'app1', mchId: '1234567890', key: KEY },
        '/v1/transaction/prepayment',
        '{"a":1}',
        {
          timestamp: '1700000000000',
          nonce: NONCE,
        },
      ),
    ).toBe(
      'TTPAY-AES-256-ECB app_id=app1,mch_id=1234567890,nonce_str=abcdef0123456789abcdef0123456789,' +
        'timestamp=1700000000000,signature=iaLRpnPdJTtMpGwReviNxvm7KGS12NDaNrRiw9C+oV3V5YmBrVHl2zlQksjPxt2tvvCfEyhmydcHk5ZwSeVw8s+dAymvzS5KIu78Vv7gT4ypcmXGrLTcv1omcVznBB6I',
    );
  });

  // Expected value computed independently with the openssl CLI:
  //   printf '1700000000000\nabcdef0123456789abcdef0123456789\n{"a":1}' \
  //     | openssl enc -aes-256-ecb -K $(printf 0123456789abcdef0123456789abcdef | xxd -p -c 64) -base64 -A
  const CALLBACK_SIG =
    'arApnT6gPl85oWTQxoVu2VwV53s53E1O7FbiR7hlY45hEBJh7ApHwH3oRFa/xEXHg+4Cf3fedmfwSor+cw20vQ==';

  it('signs and verifies a callback over timestamp, nonce and the raw body', () => {
    const body = Buffer.from('{"a":1}');
    expect(callbackSignature(KEY, '1700000000000', NONCE, body)).toBe(CALLBACK_SIG);
    expect(verifyCallbackSignature(KEY, '1700000000000', NONCE, body, CALLBACK_SIG)).toBe(true);
    expect(verifyCallbackSignature(KEY, '1700000000001', NONCE, body, CALLBACK_SIG)).toBe(false);
    expect(verifyCallbackSignature(KEY, '1700000000000', NONCE, Buffer.from('{"a":2}'), CALLBACK_SIG)).toBe(
      false,
    );
    const other = appKey('ffffffffffffffffffffffffffffffff')!;
    expect(verifyCallbackSignature(other, '1700000000000', NONCE, body, CALLBACK_SIG)).toBe(false);
  });

  it('needs a 32-byte app secret', () => {
    expect(appKey('short')).toBeNull();
    expect(appKey(undefined)).toBeNull();
    expect(appKey('0123456789abcdef0123456789abcdef0')).toBeNull();
  });

  // Ciphertext computed independently with Python `cryptography`:
  //   AESGCM(b'0123456789abcdef0123456789abcdef').encrypt(b'abcdef012345', PLAINTEXT, b'transaction')
  const PLAINTEXT =
    '{"out_trade_no":"2b1f0e6a-5b8e-4c2e-9a53-0f1c2d3e4f50","transaction_id":"e98b3029477f4bdcb971797a9d9e09ce",' +
    '"trade_state":"SUCCESS","amount":49990000,"decimals":6,"chain":"TRON","currency":"USDT","tx_id":"9fdf0ab5",' +
    '"pay_time":1700000000000,"attach":"2b1f0e6a-5b8e-4c2e-9a53-0f1c2d3e4f50"}';
  const RESOURCE = {
    algorithm: 'AEAD_AES_256_GCM',
    nonce: 'abcdef012345',
    associated_data: 'transaction',
    ciphertext:
      '+tSNe9jYMjLZPNCTpMy0myuW3UzGy93te+Zw0soGIB2jlaWBm9or4d5AqRqA2dOzKd/E4ee3JCkFJkgmqR6yl/5x3UUvxEMv4vsSm+IYBJuDXg/EWyY1j/6IA4N9X6XXqYghXckJpHIZ4x9PbP0nNX9N0eS6uGD+FTuN3qS7Q6ycFe4Y47099veRwvEJExjVAy1t3Xl7RlmgcRf/fyPc2RbWo2RVgVt1cuRgFQeZNphaptbJqJR5wpZvginGrraF2Dk7xvAby7vQjdCFPi0p7wYVkK14a+q6D82youup5bylFgYhQz9IVJhiuAuHDvpjIKC52Z3lYOKEK7wWhY+VU9U8h+eZ4ujaHBLYnkNjX2DJ57vJQxATLDZFMKHyV6MsCnviJ/Oyt5SQRDGgIwsf',
  };

  it('decrypts an AEAD_AES_256_GCM resource, and refuses anything altered', () => {
    expect(decryptResource(KEY, RESOURCE)).toBe(PLAINTEXT);
    expect(decryptResource(KEY, { ...RESOURCE, associated_data: 'other' })).toBeNull();
    expect(decryptResource(KEY, { ...RESOURCE, nonce: 'abcdef012346' })).toBeNull();
    expect(decryptResource(KEY, { ...RESOURCE, algorithm: 'AES_256_CBC' })).toBeNull();
    const raw = Buffer.from(RESOURCE.ciphertext, 'base64');
    raw[3] ^= 1;
    expect(decryptResource(KEY, { ...RESOURCE, ciphertext: raw.toString('base64') })).toBeNull();
    expect(decryptResource(appKey('ffffffffffffffffffffffffffffffff')!, RESOURCE)).toBeNull();
  });
});

describe('TokenPay amounts and states', () => {
  it('converts to and from atomic units exactly', () => {
    expect(toAtomic('49.990000', 6)).toBe('49990000');
    expect(toAtomic('49.990000', 18)).toBe('49990000000000000000');
    expect(() => toAtomic('0.0000001', 6)).toThrow();
    expect(fromTokenPayAmount('49990000', 6)).toBe('49.99');
    expect(fromTokenPayAmount(15000000, '6')).toBe('15');
    expect(fromTokenPayAmount('12345678901234567891', 18)).toBe('12.345678901234567891');
    // Already decimal: taken as is.
    expect(fromTokenPayAmount('49.99', 6)).toBe('49.99');
    // No decimals reported: the token's known decimals, else unreadable.
    expect(fromTokenPayAmount('1000000', undefined, 6)).toBe('1');
    expect(fromTokenPayAmount('1000000', undefined)).toBeUndefined();
    expect(fromTokenPayAmount('-1', 6)).toBeUndefined();
    expect(fromTokenPayAmount('1e6', 6)).toBeUndefined();
  });

  it('reads amounts of 18-decimal tokens without a float, and the currency of a query answer', () => {
    const t = parseJsonExact(
      '{"amount": 12345678901234567891,"service_amount":45000,"decimals":18,"chain":"BSC","currency":{"currency":"USDT","decimal":18}}',
    ) as Parameters<typeof amountOf>[0];
    expect(t.amount).toBe('12345678901234567891');
    expect(amountOf(t)).toBe('12.345678901234567891');
    expect(amountOf({ amount: 2000000, chain: 'TRON', currency: 'USDT' })).toBe('2');
    expect(amountOf({ amount: 2000000, chain: 'TRON', currency: { currency: 'USDT', decimal: 6 } })).toBe(
      '2',
    );
  });

  it('maps trade states; only explicit ones are final', () => {
    expect(outcomeOf('SUCCESS')).toBe('succeeded');
    expect(outcomeOf('CLOSED')).toBe('expired');
    expect(outcomeOf('EXPIRED')).toBe('expired');
    expect(outcomeOf('FAILED')).toBe('failed');
    expect(outcomeOf('NOTPAY')).toBe('pending');
    expect(outcomeOf('REFUND')).toBe('pending');
    expect(outcomeOf('SOMETHING_NEW')).toBe('pending');
    expect(outcomeOf(undefined)).toBe('pending');
  });

  it('names chains the way TokenPay does', () => {
    expect(wireChain('TRON')).toBe('TRON');
    expect(wireChain('trc20')).toBe('TRON');
    expect(wireChain('ETH')).toBe('ETHEREUM');
    expect(wireChain('BEP20')).toBe('BSC');
  });
});
