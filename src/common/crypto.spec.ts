import { randomToken } from './crypto';

describe('randomToken', () => {
  it('hands out each pooled byte once, across refills of the pool', () => {
    // 18 bytes each: about 230 tokens per 4 KiB pool, so 2,000 tokens refill it several times.
    const tokens = Array.from({ length: 2000 }, () => randomToken(18));
    expect(tokens.every((t) => /^[A-Za-z0-9_-]{24}$/.test(t))).toBe(true);
    expect(new Set(tokens).size).toBe(tokens.length);
    // Neighbours share no bytes: a pool offset that did not move on would repeat a token's tail.
    const bytes = tokens.map((t) => Buffer.from(t, 'base64url'));
    for (let i = 1; i < bytes.length; i++) expect(bytes[i].equals(bytes[i - 1])).toBe(false);
  });

  it('gives the length asked for, the default 32 bytes, and more than the pool holds', () => {
    expect(Buffer.from(randomToken(), 'base64url')).toHaveLength(32);
    expect(Buffer.from(randomToken(1), 'base64url')).toHaveLength(1);
    expect(Buffer.from(randomToken(5000), 'base64url')).toHaveLength(5000);
  });
});
