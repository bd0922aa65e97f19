import { createPrivateKey, createPublicKey } from 'node:crypto';
import {
  signTransmission,
  transmissionText,
  verifyTransmission,
} from '../../../../test/fakes/paypal/paypal.signing';

/**
 * Known answers for PayPal's webhook transmission signature (what the fake signs and its verify API
 * checks): `<transmission id>|<time>|<webhook id>|<unsigned decimal CRC32 of the body>`, SHA256withRSA.
 * TEST-ONLY key, generated once with `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`.
 * The CRC was computed independently with Python's `zlib.crc32`, the signature with the openssl CLI:
 *   printf '%s' '69cd13f0-...|2016-02-18T20:01:35Z|1JE4291016473214C|60267250' \
 *     | openssl dgst -sha256 -sign key.pem | base64 -w0
 */
const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQDixMkm4wmP4A/b
uEVkj+viwN5n0D5hD3vP3Dnsx12ROgMaPbyR06dzG9rCogD7xo0X1I1jpRtJ/dXf
/NwMQoshPHbSJOhbMddhdCJJ0x9pJ/c5lBTFOEqKg7Q8rl35yXYybAWJawFhgxC1
DOnvWhyfKb4p/M6MPo6+GRsR0v23K2KhmZ3GzC9L0QifxsuqiICdotLtPHlYRw2F
CsaMrvTv3AeUwbdFLsVWMIg3FKxDnxBDUlBvMa14Yze15JCkIN7gzQCNHudmmwNw
6foxJxP9d94ycz2tdJH+pabvTpMMhYVTT9vRMTxjHC5O/uIEToVwY7fO03LGd2vj
gP1QvMLlAgMBAAECggEAZCYzjiSD0xJJ/qgloXF8ZGL4dlG+UuBjNlwVCvDLbnl3
6E1uq9qVX91j4kRo+cjpBCa/oMvIvwdHPwpt5k43IuEQuuNI6QmcjPIcuIzwmODp
KvkuqSEgrobXAVuirk/ejwss8NEcxYN8S/FdmXMrI9HsJZ/8WmzAXs04qskLeypt
o6Ub5rSP+QCuY/wJC8D/2SDoNUQ0bH63BDinnzd7byP6180lPJ4DnT+dgOAbAxIH
dVK2LEW5asB0CD+QqeEF2sc23+yHKLO0Zf6GJARh3WrfHm6fuLSI/E3WFCfVnMSy
Q4W8pmpqRUasbgrkuf/RvOpDqJ4Sz0i3G/yGEOmpmwKBgQD1jRoVdEWKELB2oFDm
D60wmBpvxgjPz1GnCxxjncRelTydqBOfKrOxLN8Dwy9EaygqugLNSDFXlPDHvNeT
ljdTAjTqgapnw7ngjxuOhcMeGKnvUE5IBg9h9g5MD2nvbsy/3wDv6nM26DDmoXbP
iNaCoeAutcYD6zvrViX5WLX+ewKBgQDsaxPxmFRf1FugyzcASYPRmNmMfyfLlNO9
we0vWNUG2IHhjXl6/Hay0mTZlYy4Oupuiz3fEV4nvad9kwwItlny3D7D7sJImgyR
XqkUu8DQgQqoK7jmrTwoxNrR4tf4kdYFVYc/iV3wQVyliYM36z/LreYFncMy+UqU
P2+Y0H82HwKBgC9F1/SzasPWzLI50PlJoVUOo2BLZtzjE9wt5mxDLk/rOT0843Is
HWYJtnGZ/RqV6qi3INz2fhFXajd54qLWM5Z2gUt4ZR8O7lUOGAcLN3Iu22BoPHnf
OMzqOvxnp0RiN2bk/uAxabbzYp60DRSNSobhtTAo7JNKkUGQV0U2z+rLAoGAIsdp
yqu3FdXemNvsPm2SJ75Nmp6GEyvUrmCd7M4roHMvQCgYy9/h8lKDJYMbjWqVXCe9
tVgPutbqkc2VAp8YwmJmFVrFV/rZiHUdeIBaUBH7qFuuOrkXVYQIEMJHNTj2/Bfl
6pHhsNtcrrl5BTvlSahOY1sfARutPfvLBfb+D88CgYB8bgyWT67iDo5JgcUxF/In
e+Odg7YXBDP+OVPFVJzAZ63fpc+9Pt/wDhAHm19fP7tQB7LWqhztLhAaXaJvRXNy
UJlmDnXuWx9xvQgz1oBCyEgo41DKogYfY5Mpy6GqNAqet565L/CF67CB+kyFubPg
XQqQLV+ihKjAG7LE5Cl9tQ==
-----END PRIVATE KEY-----
`;

const ID = '69cd13f0-d67a-11e5-baa3-778b53f4ae55';
const TIME = '2016-02-18T20:01:35Z';
const WEBHOOK_ID = '1JE4291016473214C';
const BODY = '{"id":"WH-0G2756385H040842W-5Y612302CV158622M","event_type":"PAYMENT.CAPTURE.COMPLETED"}';
const TEXT = `${ID}|${TIME}|${WEBHOOK_ID}|60267250`;
const OPENSSL_SIG =
  'V1SxNf/X6lHmMAjCswhHg+Noq3L7G+ymoVXvIualsCM7ejLsoJMuGMpULNAUnuaQ3Agwb8BiLiQI09dLulkMoio+gvt1VibVeGHTHR4IyuC9HlWdAA6O8LWsl+QJTs3EdnwwcIaz7gzY2fi3Nl8MhU/dH9s2SejPEOjNOeQZ5MCAaW4bSnxdEfcGywdrufCEvWb/Wv0QOUDx1JdIRa5jZp83zDD3QZcoTfZe7t076Ne2ZPBeLO86yll3ahO/7sKxxhhuVnCvCyNhKm94iRFO7bI+ux1FYUKNhtPgbGpnLmvfMfqYsuQzm140hxYXYDRox4uFG6o7M4ohKAAlK7yU9g==';

describe('PayPal transmission signature (known answers)', () => {
  it('builds the signed text with the body CRC32 as an unsigned decimal', () => {
    expect(transmissionText(ID, TIME, WEBHOOK_ID, BODY)).toBe(TEXT);
    expect(transmissionText(ID, TIME, WEBHOOK_ID, Buffer.from(BODY))).toBe(TEXT);
    // The standard CRC-32 check value, and one above 2^31 (must not come out negative).
    expect(transmissionText('a', 'b', 'c', 'The quick brown fox jumps over the lazy dog')).toBe(
      'a|b|c|1095738169',
    );
    expect(transmissionText('a', 'b', 'c', '123456789')).toBe('a|b|c|3421780262');
  });

  it('signs exactly like openssl dgst -sha256 -sign', () => {
    expect(signTransmission(TEST_KEY, TEXT)).toBe(OPENSSL_SIG);
  });

  it('verifies the openssl signature and refuses any change', () => {
    const pub = createPublicKey(createPrivateKey(TEST_KEY));
    expect(verifyTransmission(pub, TEXT, OPENSSL_SIG)).toBe(true);
    expect(verifyTransmission(pub, TEXT.replace('60267250', '60267251'), OPENSSL_SIG)).toBe(false);
    expect(verifyTransmission(pub, transmissionText(ID, TIME, 'OTHERWEBHOOK', BODY), OPENSSL_SIG)).toBe(
      false,
    );
    expect(verifyTransmission(pub, TEXT, 'not base64 at all')).toBe(false);
  });
});
