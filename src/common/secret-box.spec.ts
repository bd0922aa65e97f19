import { randomBytes } from 'node:crypto';
import { keyIdOf, SecretBox } from './secret-box';

describe('SecretBox (AES-256-GCM under the master key)', () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);

  it('round-trips and never stores the plaintext', () => {
    const box = new SecretBox(newKey);
    const sealed = box.seal('{"secret_key":"sk_live_abc"}', 'tenant-1:stripe');
    expect(sealed.keyId).toBe(keyIdOf(newKey));
    expect(sealed.ciphertext).not.toContain('sk_live_abc');
    expect(box.open(sealed, 'tenant-1:stripe')).toBe('{"secret_key":"sk_live_abc"}');
  });

  it('binds the value to its row: another tenant or provider cannot open it', () => {
    const box = new SecretBox(newKey);
    const sealed = box.seal('x', 'tenant-1:stripe');
    expect(() => box.open(sealed, 'tenant-2:stripe')).toThrow();
  });

  it('rejects a tampered ciphertext', () => {
    const box = new SecretBox(newKey);
    const sealed = box.seal('hello', 'a');
    const [iv, tag, body] = sealed.ciphertext.split('.');
    const flipped = Buffer.from(body, 'base64url');
    flipped[0] ^= 1;
    expect(() =>
      box.open({ ...sealed, ciphertext: [iv, tag, flipped.toString('base64url')].join('.') }, 'a'),
    ).toThrow();
  });

  it('refuses a truncated authentication tag (GCM tags are pinned to 16 bytes)', () => {
    const box = new SecretBox(newKey);
    const sealed = box.seal('hello', 'a');
    const [iv, tag, body] = sealed.ciphertext.split('.');
    expect(Buffer.from(tag, 'base64url')).toHaveLength(16);
    // A prefix of the right tag: Node would check only these bytes unless the length is pinned.
    for (const bytes of [12, 8, 4]) {
      const short = Buffer.from(tag, 'base64url').subarray(0, bytes).toString('base64url');
      expect(() => box.open({ ...sealed, ciphertext: [iv, short, body].join('.') }, 'a')).toThrow();
    }
  });

  it('opens values sealed under a previous key, and seals new ones under the current key', () => {
    const before = new SecretBox(oldKey).seal('v', 'a');
    const rotated = new SecretBox(newKey, [oldKey]);
    expect(rotated.open(before, 'a')).toBe('v');
    expect(rotated.seal('v', 'a').keyId).toBe(keyIdOf(newKey));
    expect(() => new SecretBox(newKey).open(before, 'a')).toThrow(/no master key/);
  });
});
