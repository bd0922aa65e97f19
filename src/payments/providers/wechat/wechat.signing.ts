/**
 * WeChat Pay v3 signatures and resource encryption (docs/providers.md "WeChat Pay v3"), as pure functions:
 * - requests: RSA-SHA256 with the merchant key over `METHOD\nPATH?QUERY\ntimestamp\nnonce\nbody\n`,
 *   sent as `Authorization: WECHATPAY2-SHA256-RSA2048 mchid=..,nonce_str=..,signature=..,timestamp=..,serial_no=..`;
 * - responses and callbacks: RSA-SHA256 with the platform key over `timestamp\nnonce\nbody\n`;
 * - mini-program payment: `paySign` = RSA-SHA256 with the merchant key over `appId\ntimeStamp\nnonceStr\npackage\n`;
 * - callback resources: AEAD_AES_256_GCM, key = the APIv3 key (32 UTF-8 bytes), IV = the nonce (UTF-8),
 *   AAD = associated_data, tag = the last 16 bytes of the base64-decoded ciphertext.
 */
import {
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  KeyObject,
  randomInt,
  sign,
  verify,
} from 'node:crypto';

export const AUTH_SCHEME = 'WECHATPAY2-SHA256-RSA2048';
const NONCE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const GCM_TAG_BYTES = 16;

/** The string a request signature covers; every line ends with `\n` (an empty body line for GET). */
export function requestMessage(
  method: string,
  pathAndQuery: string,
  timestamp: string,
  nonce: string,
  body: string,
): string {
  return `${method.toUpperCase()}\n${pathAndQuery}\n${timestamp}\n${nonce}\n${body}\n`;
}

/** The bytes a response or callback signature covers: `timestamp\nnonce\nbody\n`, body byte for byte. */
export function responseMessage(timestamp: string, nonce: string, body: Buffer | string): Buffer {
  return Buffer.concat([
    Buffer.from(`${timestamp}\n${nonce}\n`, 'utf8'),
    typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
    Buffer.from('\n', 'utf8'),
  ]);
}

/** The string `paySign` covers for a JSAPI / mini-program payment. */
export function paySignMessage(appId: string, timeStamp: string, nonceStr: string, pkg: string): string {
  return `${appId}\n${timeStamp}\n${nonceStr}\n${pkg}\n`;
}

/** base64 RSA-SHA256 (PKCS#1 v1.5) signature of `message`. */
export function rsaSign(privateKey: KeyObject, message: string | Buffer): string {
  return sign(
    'sha256',
    typeof message === 'string' ? Buffer.from(message, 'utf8') : message,
    privateKey,
  ).toString('base64');
}

/** Whether `signature` (base64) is an RSA-SHA256 signature of `message`; false on anything malformed. */
export function rsaVerify(publicKey: KeyObject, message: Buffer, signature: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) return false;
  try {
    return verify('sha256', message, publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

/** A 32-character nonce of upper-case letters and digits (WeChat's own examples' alphabet). */
export function newNonce(length = 32): string {
  let out = '';
  for (let i = 0; i < length; i++) out += NONCE_ALPHABET[randomInt(NONCE_ALPHABET.length)];
  return out;
}

export interface AuthorizationParts {
  mchid: string;
  serialNo: string;
  timestamp: string;
  nonce: string;
  signature: string;
}

export function authorizationHeader(p: AuthorizationParts): string {
  return (
    `${AUTH_SCHEME} mchid="${p.mchid}",nonce_str="${p.nonce}",signature="${p.signature}",` +
    `timestamp="${p.timestamp}",serial_no="${p.serialNo}"`
  );
}

/** The merchant's private key (PEM, PKCS#8 or PKCS#1); null when it does not parse. */
export function merchantKey(pem: string | undefined): KeyObject | null {
  if (!pem) return null;
  try {
    return createPrivateKey(pem);
  } catch {
    return null;
  }
}

/** The platform public key, given as PEM or as base64 DER (SPKI), as WeChat's console shows it; null when unusable. */
export function platformKey(text: string | undefined): KeyObject | null {
  if (!text) return null;
  try {
    return createPublicKey(text);
  } catch {
    try {
      return createPublicKey({
        key: Buffer.from(text.replace(/\s+/g, ''), 'base64'),
        format: 'der',
        type: 'spki',
      });
    } catch {
      return null;
    }
  }
}

export interface EncryptedResource {
  algorithm?: unknown;
  ciphertext?: unknown;
  associated_data?: unknown;
  nonce?: unknown;
  original_type?: unknown;
}

/** Decrypt a callback resource with the APIv3 key; null when it does not authenticate or is malformed. */
export function decryptResource(apiv3Key: string, resource: EncryptedResource): string | null {
  const key = Buffer.from(apiv3Key, 'utf8');
  if (key.length !== 32) return null;
  if (typeof resource.ciphertext !== 'string' || typeof resource.nonce !== 'string') return null;
  const aad = resource.associated_data ?? '';
  if (typeof aad !== 'string') return null;
  const sealed = Buffer.from(resource.ciphertext, 'base64');
  const iv = Buffer.from(resource.nonce, 'utf8');
  if (sealed.length <= GCM_TAG_BYTES || iv.length === 0) return null;
  try {
    const d = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: GCM_TAG_BYTES });
    d.setAAD(Buffer.from(aad, 'utf8'));
    d.setAuthTag(sealed.subarray(sealed.length - GCM_TAG_BYTES));
    return Buffer.concat([d.update(sealed.subarray(0, sealed.length - GCM_TAG_BYTES)), d.final()]).toString(
      'utf8',
    );
  } catch {
    return null;
  }
}
