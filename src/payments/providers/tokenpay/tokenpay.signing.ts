/**
 * TokenPay's two cipher schemes (docs/providers.md "TokenPay"), kept free of HTTP so the
 * known-answer tests can drive them directly:
 * - request and callback signatures: AES-256-ECB/PKCS7 over `PATH\ntimestamp\nnonce\nbody` (requests)
 *   or `timestamp\nnonce\nbody` (callbacks; no trailing newline), key = the 32-byte app secret, base64;
 * - callback resources: AEAD_AES_256_GCM like WeChat Pay v3 (key = app secret, IV = nonce as UTF-8,
 *   AAD = associated_data, tag = the last 16 bytes of the base64-decoded ciphertext).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { safeEqual } from '../../../common/crypto';

export const AUTH_SCHEME = 'TTPAY-AES-256-ECB';
const GCM_TAG_BYTES = 16;

/** The app secret as the AES-256 key: its UTF-8 bytes, which must be exactly 32. */
export function appKey(appSecret: string | undefined): Buffer | null {
  if (!appSecret) return null;
  const key = Buffer.from(appSecret, 'utf8');
  return key.length === 32 ? key : null;
}

/** base64(AES-256-ECB/PKCS7(key, plaintext)). */
export function encryptEcb(key: Buffer, plaintext: string | Buffer): string {
  const cipher = createCipheriv('aes-256-ecb', key, null);
  return Buffer.concat([cipher.update(plaintext), cipher.final()]).toString('base64');
}

/** The request signature: `PATH\ntimestamp\nnonce\nbody`, no trailing newline. */
export function requestSignature(
  key: Buffer,
  path: string,
  timestamp: string,
  nonce: string,
  body: string,
): string {
  return encryptEcb(key, `${path}\n${timestamp}\n${nonce}\n${body}`);
}

/** The callback (and reply) signature: `timestamp\nnonce\nbody` over the exact body bytes. */
export function callbackSignature(key: Buffer, timestamp: string, nonce: string, body: Buffer): string {
  return encryptEcb(key, Buffer.concat([Buffer.from(`${timestamp}\n${nonce}\n`, 'utf8'), body]));
}

/** Timing-safe check of a callback signature header. */
export function verifyCallbackSignature(
  key: Buffer,
  timestamp: string,
  nonce: string,
  body: Buffer,
  signature: string,
): boolean {
  return safeEqual(callbackSignature(key, timestamp, nonce, body), signature);
}

/** 32 random hex characters, the request nonce TokenPay asks for. */
export const newNonce = (): string => randomBytes(16).toString('hex');

/**
 * `Authorization: TTPAY-AES-256-ECB app_id=..,mch_id=..,nonce_str=..,timestamp=..,signature=..` for
 * one request; `path` is the request URL without scheme and host (with `?query` when there is one).
 */
export function authorizationHeader(
  creds: { appId: string; mchId: string; key: Buffer },
  path: string,
  body: string,
  now: { timestamp: string; nonce: string } = { timestamp: String(Date.now()), nonce: newNonce() },
): string {
  const signature = requestSignature(creds.key, path, now.timestamp, now.nonce, body);
  return (
    `${AUTH_SCHEME} app_id=${creds.appId},mch_id=${creds.mchId},` +
    `nonce_str=${now.nonce},timestamp=${now.timestamp},signature=${signature}`
  );
}

export interface EncryptedResource {
  algorithm?: unknown;
  ciphertext?: unknown;
  nonce?: unknown;
  associated_data?: unknown;
}

/**
 * Decrypt a callback's `resource`. Returns the plaintext, or null when it is not AEAD_AES_256_GCM or
 * does not authenticate (wrong key, tampered ciphertext, nonce or associated data).
 */
export function decryptResource(key: Buffer, resource: EncryptedResource): string | null {
  if (resource.algorithm !== 'AEAD_AES_256_GCM') return null;
  if (typeof resource.ciphertext !== 'string' || typeof resource.nonce !== 'string') return null;
  if (resource.nonce.length === 0) return null;
  const aad = typeof resource.associated_data === 'string' ? resource.associated_data : '';
  const raw = Buffer.from(resource.ciphertext, 'base64');
  if (raw.length <= GCM_TAG_BYTES) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(resource.nonce, 'utf8'), {
      authTagLength: GCM_TAG_BYTES,
    });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(raw.subarray(raw.length - GCM_TAG_BYTES));
    return Buffer.concat([
      decipher.update(raw.subarray(0, raw.length - GCM_TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  } catch {
    return null;
  }
}
