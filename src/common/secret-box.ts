import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** GCM tag length, pinned: without it Node accepts a truncated tag (as short as 4 bytes). */
const TAG_BYTES = 16;

/** An encrypted secret as stored: which master key sealed it, and `iv.tag.ciphertext` in base64url. */
export interface Sealed {
  keyId: string;
  ciphertext: string;
}

/** Identifies a master key without revealing it: the first 16 hex digits of its SHA-256. */
export const keyIdOf = (key: Buffer): string => createHash('sha256').update(key).digest('hex').slice(0, 16);

/**
 * AES-256-GCM under the master key (PAYMUX_MASTER_KEY). Each sealed value names its key, so the master
 * key can be rotated: older keys (PAYMUX_MASTER_KEY_PREVIOUS) still open old values until
 * `npm run keys:rotate` has re-sealed them under the current one.
 */
export class SecretBox {
  private readonly keys: Map<string, Buffer>;
  readonly currentKeyId: string;

  constructor(
    private readonly current: Buffer,
    previous: readonly Buffer[] = [],
  ) {
    this.currentKeyId = keyIdOf(current);
    this.keys = new Map([...previous, current].map((k) => [keyIdOf(k), k]));
  }

  /** Whether a value sealed under this key id can be opened here. */
  knows(keyId: string): boolean {
    return this.keys.has(keyId);
  }

  seal(plaintext: string, aad: string): Sealed {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return {
      keyId: this.currentKeyId,
      ciphertext: [iv, tag, body].map((b) => b.toString('base64url')).join('.'),
    };
  }

  /** Throws when the key is unknown or the value was tampered with (the tag does not match or is short). */
  open(sealed: Sealed, aad: string): string {
    const key = this.keys.get(sealed.keyId);
    if (!key) throw new Error(`no master key with id ${sealed.keyId} is configured`);
    const [iv, tag, body] = sealed.ciphertext.split('.').map((p) => Buffer.from(p, 'base64url'));
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  }
}
