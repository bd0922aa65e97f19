import { createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import {
  authorizationHeader,
  decryptResource,
  merchantKey,
  paySignMessage,
  platformKey,
  requestMessage,
  responseMessage,
  rsaSign,
  rsaVerify,
} from './wechat.signing';
import {
  beijingTime,
  collected,
  notificationOutcome,
  outRefundNoOf,
  outTradeNoOf,
  queryStatus,
  refundStatus,
  toFen,
  truncateChars,
} from './wechat.wire';

/**
 * A test-only RSA-2048 key, generated once with `openssl genpkey -algorithm RSA -pkeyopt
 * rsa_keygen_bits:2048` and committed here; it signs nothing real. The expected signatures below
 * were computed independently with the openssl CLI over the exact message bytes, e.g.
 *   printf 'POST\n/v3/pay/transactions/native\n1700000000\n0123...UV\n{"appid":...}\n' \
 *     | openssl dgst -sha256 -sign key.pem | base64 -w0
 */
const TEST_KEY_PEM = `-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDNCUswHihGtyk5
9V5H1cLthweIw05EDJovTXigIxU4tqzhog4EBO4H6hxsJJ3+dDoiasyWZWpi7rA/
gDogK3fE5e/EoG57dwfJJv6hoyhLzYI0MNoAwpGT2J2fMFj6pfNqJo9aQlMGjNZc
3jD5J59mPkUrbmZfqCMjRCc2voIOjrlvHT93Kel3RYmV9uU9kubLZa+/+IpCgPZA
2NBGNO7vq4HmLn2ek/gP73bGYOhvXKFRKHUnCd76dUSSV2Jet1v40fVWGkc69CvU
axe600MvqC6ysbXpIDLIbXhGl6ypV20frmvgeh69csupLe39kJk51nlWkBkkYa6P
0i9gSV11AgMBAAECggEAL4GhgOzf3qCmJfZu6ZyC/XeNnJfKDNTRrbeYxRvT2S/k
RyQ99JryzvUksD7ct54U8TAHJqqpV3Jf9lqevSDtL3sqTofwiV1XObl2ApwT5Fph
und+L3JlehjUzpNMbojgaR41lU9sPsaHjX1y4evXEEDJ1IoQIMZLm+p43oOODVKE
W8YMbhiIhW+TbjEy5qL/2IArX0guMHkGQl0Cl4a7mqFmmPNPezmA6qlbepo6nMbF
gv2EMtadhyCvp12fe+RVmt0Tjz2E2ZdFPK3HuX4VERrPbO2eiJAN/ZPNUhqfLYBV
xCnjOseosLt/Q2243eEiBD4i2diPl70GvFCc6kYGcQKBgQD6FDhbF9NyWQCiXNqO
zzaVBF4cCRhEJ6JLyd1WKsXcpJZaOOxk+EMT+2I/BFBXbuRy1LhJeGBSa0uyFAYH
80v2C6nUjAwZOmxzxw4ZpPXj7/sGrwUIENI2ENuU3toM+RANRytRv/4h3UiKADn9
JhXqzrJON6XY5L7aRxoR1Ml65QKBgQDR5A+HgZvJoYpPUZz0GXOsd2IUEBn+0ouS
gXsgNLEPRx/5gbRXs6oTtVxprJDincMI9Sxun5sqll2zJgKBj9Emm+fmliuhgW2P
lT4Q95XBAtNpwrDQfLZaH0tVxAlQ54EojFYU89sttJXmweRPzGYNRg+/ElTOIzFg
fIEVbMzfUQKBgQC6XqFVOd9qA2xWlA6JiWGrEpM0H48HE+Z+xtT952iHs90dJfj+
kooi9SBVyFg7oLf94AvrLRvTsIS8FPIdsLK2jiCl9yz5DDJQ4lLex7I8idcxNvPv
++E9S7jpLF+idWcCDjz5crTo9emedubAg0aoNBxr8ErX5jlZoM2L5mG1BQKBgEH3
wgG+9K3cvdHMPt5hmX+dThAsN19l4UQ8uewXY4b/vcb3wyzFZTEokVENUcRH/WK1
XC+wrl4mQHDsA2GhSAUwfyR0EmaCfWLhb0554nF1Z+kXreb5K38L0uuz35G0EV4j
LXMMadjlpy+NxSpnfbOyT4SoSEs5uG0w9Ik9Vu7hAoGBALelaRwiZzWv1BxBUmvs
Nw742ivOcS6N8Ng+fhOANAa9U4KjkFAUQZRTM9fBfueTc0J85uCtMtEZr+RkmdVX
QlhpkYpszzTdoYQmJwBS1VZADMOP/YhAaosxBS9umIf44npHzdQXWd/Q1gANEUor
gU81bWOR8pW+9hwB0gheJ2bf
-----END PRIVATE KEY-----
`;
/** Its public half (`openssl pkey -in key.pem -pubout`), in the base64 DER form WeChat's console shows. */
const TEST_PUBLIC_DER =
  'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAzQlLMB4oRrcpOfVeR9XC' +
  '7YcHiMNORAyaL014oCMVOLas4aIOBATuB+ocbCSd/nQ6ImrMlmVqYu6wP4A6ICt3' +
  'xOXvxKBue3cHySb+oaMoS82CNDDaAMKRk9idnzBY+qXzaiaPWkJTBozWXN4w+Sef' +
  'Zj5FK25mX6gjI0QnNr6CDo65bx0/dynpd0WJlfblPZLmy2Wvv/iKQoD2QNjQRjTu' +
  '76uB5i59npP4D+92xmDob1yhUSh1Jwne+nVEkldiXrdb+NH1VhpHOvQr1GsXutND' +
  'L6gusrG16SAyyG14RpesqVdtH65r4HoevXLLqS3t/ZCZOdZ5VpAZJGGuj9IvYEld' +
  'dQIDAQAB';

const NONCE = '0123456789ABCDEFGHIJKLMNOPQRSTUV';
const NATIVE_BODY = '{"appid":"wxd678efh567hg6787","amount":{"total":4999,"currency":"CNY"}}';
const NATIVE_SIGNATURE =
  'H4rR+MUl436onSJVvAZcMxS2dC9eL1bEJTcRGMmf7BIvCbWONdmAH+i5J9Y5FZiMRawCh5bx2XEQOZXdPeGFegh5GoXxNFssoxQ0sU9x2PK0UYlLgKB1MT/2ojNjpzV4h2+azKLFraDmP24nqLIixBaNJFYspD/4fVMfmeKpNl29m5qiTHAuKgulQJITRDFuoLXn4nXMwqPtqigXoxg9ZsHPypOzxvq5UhDlynzBcvBBP24nv+qIg0op8sY5aewZb0UEaCIbGOdjY6zGj3qq5dIOIQSAAjSpD6AM6I7SED9yDhRfKza5+19RwNl823OOGk+znuI8yuK9rzrAOcY9Xg==';
const QUERY_PATH = '/v3/pay/transactions/out-trade-no/1217752501201407033233368018?mchid=1230000109';
const QUERY_SIGNATURE =
  'zAVmROPLRg9cRCSn4U791VV0Ny7ppAwh7AQh3YtLupY49k1RSH/P+9J5kows//u3HMiBJsdruAg6UoP1PnWVvruXpY7NfHNuG2vZyux3ZEATIsYUIg+VIuJT57nCLhf0rTPzbGnm2ai0fDSO8XC+tiFt/s1iW89jDXJzwux3lMzHZ0qzoWD7Hg8Q1LagAjT8j+64Ng8uDjADc0FaT0vlYEXMUx2d/BOO9wO3X83NGSJMTkNXShTIXmTl8pvk8UHuPFBAhLjy8IvWTTnBdtORUnnqKk2X5uu3xgOrFrQh68ikeq4JZshZNs2zrszRZVbnRiXjlsOthd+w0Nv4VBlHBA==';
// printf 'wxd678efh567hg6787\n1700000000\n5K8264ILTKCH16CQ2502SI8ZNMTM67VS\nprepay_id=wx2014...5100\n' | openssl dgst ...
const PAY_SIGN =
  'bAF1evdH+HVlqnoZTHbeEgzDh91DrGWOwAG4J7JCLYbA6XHVhBbJ1WnJuqjsp2GHtGRlvf+eEQa0n17o0D2OuXE2yW9ikOQuFHFMzAuCmtHhJwo8pNz4KvB5lN2nDN8PRilBwKYIwJE2aN8A6p0Lry/hC2vypSra8ZxSESiq/aM98Y1crR7mZryjjN8OucRFuDhuPktXdcj0/Ze2NrOpC6W2hjjGczrFHsxUH/QjL5jMZ+5bTK205aqx6STXE3pxakJ7l4TyqtAsxJq4EGNm4duaj6DVULdzTaq2TsgTo4aa65C8czMwnKgTxSf7EyResFpAKLdA5G2+0mxTFHD2Og==';
// printf '1700000000\nfdasfjihihihlkja484w\n{"code_url":"weixin://wxpay/bizpayurl?pr=p4lpSuKzz"}\n' | openssl dgst ...
const RESPONSE_BODY = '{"code_url":"weixin://wxpay/bizpayurl?pr=p4lpSuKzz"}';
const RESPONSE_SIGNATURE =
  'eE9TNwsXWBMyB/Xw7tFJtuVLnXDqdHhpaJ63vzIi5dBAsA0F5cQyBHhDe1WvmbUrxmkjxU4J97uoLGEgzgfkOkUzeuqqf/2lJk+1NfEZxBRctVybZv/8Nb6FKpvHoTSIwrqW/x46X8+19MkiLadWud2NCl+CgMHSi9ryqbvw8TzuD1lhkHoxwxp4BxkGxTP9EeaP/VG2/sNrVlmed/D1bMIxHRwZUv7+gRI6EzWTfhUBx2hrR3gH1c0Ug1x/IE6tOreEnzn9Z/aHTD/o4bP+vS1Jn1HoVi4WgQXPEHBq+fR7D3FM/W7AtU8yFwVn67IQ40dAycSc199ioxoB9o9AdQ==';

describe('WeChat Pay v3 signatures (known answers)', () => {
  const key = merchantKey(TEST_KEY_PEM)!;
  const pub = platformKey(TEST_PUBLIC_DER)!;

  it('builds the request message with a trailing newline on every line', () => {
    expect(requestMessage('post', '/v3/pay/transactions/native', '1700000000', NONCE, NATIVE_BODY)).toBe(
      `POST\n/v3/pay/transactions/native\n1700000000\n${NONCE}\n${NATIVE_BODY}\n`,
    );
    // GET: the body line is empty, still followed by its newline.
    expect(requestMessage('GET', QUERY_PATH, '1700000000', NONCE, '')).toBe(
      `GET\n${QUERY_PATH}\n1700000000\n${NONCE}\n\n`,
    );
  });

  it('signs a POST and a GET exactly as openssl does with the committed key', () => {
    expect(
      rsaSign(key, requestMessage('POST', '/v3/pay/transactions/native', '1700000000', NONCE, NATIVE_BODY)),
    ).toBe(NATIVE_SIGNATURE);
    expect(rsaSign(key, requestMessage('GET', QUERY_PATH, '1700000000', NONCE, ''))).toBe(QUERY_SIGNATURE);
  });

  it('writes the Authorization header in WeChat format', () => {
    expect(
      authorizationHeader({
        mchid: '1230000109',
        serialNo: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1',
        timestamp: '1700000000',
        nonce: NONCE,
        signature: NATIVE_SIGNATURE,
      }),
    ).toBe(
      `WECHATPAY2-SHA256-RSA2048 mchid="1230000109",nonce_str="${NONCE}",signature="${NATIVE_SIGNATURE}",` +
        'timestamp="1700000000",serial_no="5157F09EFDC096DE15EBE81A47057A7232F1B8E1"',
    );
  });

  it('signs the mini-program paySign over appId, timeStamp, nonceStr and package', () => {
    const message = paySignMessage(
      'wxd678efh567hg6787',
      '1700000000',
      '5K8264ILTKCH16CQ2502SI8ZNMTM67VS',
      'prepay_id=wx201410272009395522657a690389285100',
    );
    expect(message).toBe(
      'wxd678efh567hg6787\n1700000000\n5K8264ILTKCH16CQ2502SI8ZNMTM67VS\nprepay_id=wx201410272009395522657a690389285100\n',
    );
    expect(rsaSign(key, message)).toBe(PAY_SIGN);
  });

  it('verifies an answer signature over timestamp, nonce and body, and nothing else', () => {
    const msg = (ts: string, body: string) => responseMessage(ts, 'fdasfjihihihlkja484w', body);
    expect(rsaVerify(pub, msg('1700000000', RESPONSE_BODY), RESPONSE_SIGNATURE)).toBe(true);
    expect(
      rsaVerify(
        pub,
        responseMessage('1700000000', 'fdasfjihihihlkja484w', Buffer.from(RESPONSE_BODY)),
        RESPONSE_SIGNATURE,
      ),
    ).toBe(true);
    expect(rsaVerify(pub, msg('1700000001', RESPONSE_BODY), RESPONSE_SIGNATURE)).toBe(false);
    expect(rsaVerify(pub, msg('1700000000', RESPONSE_BODY.replace('p4l', 'p5l')), RESPONSE_SIGNATURE)).toBe(
      false,
    );
    expect(rsaVerify(pub, msg('1700000000', RESPONSE_BODY), 'WECHATPAY/SIGNTEST/' + RESPONSE_SIGNATURE)).toBe(
      false,
    );
    expect(rsaVerify(pub, msg('1700000000', RESPONSE_BODY), '')).toBe(false);
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    expect(rsaVerify(other, msg('1700000000', RESPONSE_BODY), RESPONSE_SIGNATURE)).toBe(false);
  });

  it('reads the platform key as PEM or base64 DER, and refuses garbage', () => {
    const pem = createPublicKey({ key: Buffer.from(TEST_PUBLIC_DER, 'base64'), format: 'der', type: 'spki' })
      .export({ type: 'spki', format: 'pem' })
      .toString();
    const fromPem = platformKey(pem) as KeyObject;
    expect(fromPem.equals(pub)).toBe(true);
    expect(platformKey('not a key')).toBeNull();
    expect(platformKey(undefined)).toBeNull();
    expect(merchantKey('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----')).toBeNull();
  });
});

describe('WeChat Pay v3 resource decryption (known answer)', () => {
  // Computed independently with python3's `cryptography` (AESGCM(key).encrypt(nonce, plaintext, aad),
  // which appends the 16-byte tag), key b'0123456789abcdefghijABCDEFGHIJ01', nonce b'fdasflkja484',
  // aad b'transaction', plaintext PLAINTEXT below UTF-8 encoded; the script is in the report.
  const APIV3_KEY = '0123456789abcdefghijABCDEFGHIJ01';
  const PLAINTEXT =
    '{"mchid":"1230000109","appid":"wxd678efh567hg6787","out_trade_no":"1217752501201407033233368018",' +
    '"transaction_id":"1217752501201407033233368018","trade_state":"SUCCESS","amount":{"total":4999,' +
    '"payer_total":4999,"currency":"CNY","payer_currency":"CNY"},"attach":"微信支付"}';
  const CIPHERTEXT =
    'vW8lnTfrX9F7VKfusSslo+TrTsdTJSXo6x4OoLxfTCgo/961+kD2kKcm2DEm6AGtPFESnuOe+5unxsshILVqt6JzyLLInKkz5bdu6YdW48xys2iJIBSlUsOF+vSjq1umDAXAkskKCWWH9vM7CaHNap0/N6BocivUUHNN0EbhY+0crJW5h0TdIpDO/3HfoZSKkmPbTsy8AaSaNQ+elkMpsU7fHDSxwNBzStgMsyjHgYbuMeuufW/6O4YQ1/blvs4ILN7VXsFZQwAjC4E2BLnVgKmnuKkahplKGgkElZ7SzsEnPvY4d0SrGVbvRfR3V8Gw07ItF0LK5ipvpCDqEOPaOKCh/x173UdgO9RW6BH0JTH4/fns1oHibTbl5IV5Xg5rbWvuMA==';
  const resource = {
    algorithm: 'AEAD_AES_256_GCM',
    ciphertext: CIPHERTEXT,
    associated_data: 'transaction',
    nonce: 'fdasflkja484',
  };

  it('decrypts the fixed ciphertext', () => {
    expect(decryptResource(APIV3_KEY, resource)).toBe(PLAINTEXT);
  });

  it('refuses a wrong key, a changed tag, ciphertext, nonce or associated data', () => {
    expect(decryptResource('1123456789abcdefghijABCDEFGHIJ01', resource)).toBeNull();
    expect(decryptResource('short', resource)).toBeNull();
    const bytes = Buffer.from(CIPHERTEXT, 'base64');
    const flip = (i: number) => {
      const b = Buffer.from(bytes);
      b[i] ^= 1;
      return b.toString('base64');
    };
    expect(decryptResource(APIV3_KEY, { ...resource, ciphertext: flip(0) })).toBeNull();
    expect(decryptResource(APIV3_KEY, { ...resource, ciphertext: flip(bytes.length - 1) })).toBeNull();
    expect(decryptResource(APIV3_KEY, { ...resource, nonce: 'fdasflkja485' })).toBeNull();
    expect(decryptResource(APIV3_KEY, { ...resource, associated_data: 'refund' })).toBeNull();
    expect(decryptResource(APIV3_KEY, { ...resource, ciphertext: 'AAAA' })).toBeNull();
    expect(decryptResource(APIV3_KEY, { ...resource, ciphertext: 42 })).toBeNull();
  });
});

describe('WeChat Pay v3 wire values', () => {
  it('derives out_trade_no and out_refund_no from uuids', () => {
    expect(outTradeNoOf('0b9f3b0e-6c1e-4c4f-9d39-8d7f0e5e2a11')).toBe('0b9f3b0e6c1e4c4f9d398d7f0e5e2a11');
    expect(outRefundNoOf('0b9f3b0e-6c1e-4c4f-9d39-8d7f0e5e2a11')).toBe('0b9f3b0e6c1e4c4f9d398d7f0e5e2a11');
    expect(() => outTradeNoOf('abc')).toThrow();
  });

  it('writes time_expire as RFC 3339 in Beijing time', () => {
    expect(beijingTime(new Date('2024-08-01T10:00:00.999Z'))).toBe('2024-08-01T18:00:00+08:00');
    expect(beijingTime(new Date('2024-12-31T20:30:05Z'))).toBe('2025-01-01T04:30:05+08:00');
  });

  it('truncates by characters, never inside a surrogate pair', () => {
    expect(truncateChars('😀'.repeat(130), 127)).toBe('😀'.repeat(127));
    expect(truncateChars('会员充值', 127)).toBe('会员充值');
    expect(truncateChars('abcdef', 3)).toBe('abc');
  });

  it('converts yuan to integer fen exactly, refusing sub-fen and other currencies', () => {
    expect(toFen('49.99', 'CNY')).toBe(4999);
    expect(toFen('72', 'CNY')).toBe(7200);
    expect(toFen('0.01', 'cny')).toBe(1);
    expect(() => toFen('0.001', 'CNY')).toThrow(/more decimals/);
    expect(() => toFen('10.00', 'USD')).toThrow(/charges CNY/);
    expect(() => toFen('0', 'CNY')).toThrow();
    expect(collected({ total: 4999, currency: 'CNY' })).toEqual({ amount: '49.99', currency: 'CNY' });
    expect(collected({ total: 1, currency: 'usd' })).toEqual({ amount: '0.01', currency: 'USD' });
    expect(collected({ total: '4999' })).toBeUndefined();
    expect(collected({ total: 49.5 })).toBeUndefined();
  });

  it('maps states: only explicit outcomes are final', () => {
    expect(notificationOutcome('SUCCESS')).toBe('succeeded');
    expect(notificationOutcome('CLOSED')).toBe('expired');
    expect(notificationOutcome('PAYERROR')).toBe('failed');
    expect(notificationOutcome('REVOKED')).toBe('failed');
    expect(notificationOutcome('USERPAYING')).toBe('pending');
    expect(notificationOutcome('SOMETHING_NEW')).toBe('pending');
    expect(queryStatus('SUCCESS')).toBe('succeeded');
    expect(queryStatus('REFUND')).toBe('succeeded');
    expect(queryStatus('CLOSED')).toBe('expired');
    expect(queryStatus('REVOKED')).toBe('expired');
    expect(queryStatus('PAYERROR')).toBe('failed');
    expect(queryStatus('NOTPAY')).toBe('pending');
    expect(queryStatus('USERPAYING')).toBe('pending');
    expect(queryStatus('')).toBe('pending');
    expect(refundStatus('SUCCESS')).toBe('succeeded');
    expect(refundStatus('PROCESSING')).toBe('pending');
    expect(refundStatus('CLOSED')).toBe('failed');
    expect(refundStatus('ABNORMAL')).toBe('pending');
    expect(refundStatus('WHATEVER')).toBe('pending');
  });
});
