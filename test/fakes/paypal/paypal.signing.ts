import { createSign, createVerify, KeyObject } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * PayPal's webhook transmission signature, as its SDKs verify it locally: the signed text is
 * `<transmission id>|<transmission time>|<webhook id>|<CRC32 of the body, unsigned decimal>`,
 * signed SHA256withRSA with the key of the certificate at PAYPAL-CERT-URL, base64 in
 * PAYPAL-TRANSMISSION-SIG. paymux never checks it itself (it asks PayPal's verify API); the fake
 * signs and verifies with it so that only what the fake sent verifies.
 */
export const PAYPAL_AUTH_ALGO = 'SHA256withRSA';

export function transmissionText(id: string, time: string, webhookId: string, body: string | Buffer): string {
  return `${id}|${time}|${webhookId}|${crc32(body) >>> 0}`;
}

export function signTransmission(privateKey: KeyObject | string, text: string): string {
  return createSign('sha256').update(text).sign(privateKey, 'base64');
}

export function verifyTransmission(publicKey: KeyObject | string, text: string, sig: string): boolean {
  try {
    return createVerify('sha256').update(text).verify(publicKey, sig, 'base64');
  } catch {
    return false;
  }
}
