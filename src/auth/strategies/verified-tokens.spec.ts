import { VerifiedTokens } from './verified-tokens';

describe('VerifiedTokens', () => {
  let now = 1_000;
  const tokens = (max?: number) => new VerifiedTokens<{ exp?: number; sub: string }>(max, () => now);
  beforeEach(() => (now = 1_000));

  it('answers the claims of the exact token remembered, and nothing for any other string', () => {
    const t = tokens();
    t.remember('aaa.bbb.ccc', { sub: 'u1', exp: 2_000 });
    expect(t.get('aaa.bbb.ccc')).toEqual({ sub: 'u1', exp: 2_000 });
    expect(t.get('aaa.bbb.ccd')).toBeUndefined();
    expect(t.get('aaa.bbb.cc')).toBeUndefined();
  });

  it('forgets a token once it expires, as jsonwebtoken does (expired when now >= exp)', () => {
    const t = tokens();
    t.remember('tok', { sub: 'u1', exp: 1_010 });
    now = 1_009;
    expect(t.get('tok')).toBeDefined();
    now = 1_010;
    expect(t.get('tok')).toBeUndefined();
    expect(t.size).toBe(0);
    now = 1_000;
    expect(t.get('tok')).toBeUndefined();
  });

  it('never remembers claims without an exp', () => {
    const t = tokens();
    t.remember('tok', { sub: 'u1' });
    expect(t.get('tok')).toBeUndefined();
  });

  it('keeps at most max tokens, the oldest first out', () => {
    const t = tokens(2);
    t.remember('a', { sub: 'a', exp: 5_000 });
    t.remember('b', { sub: 'b', exp: 5_000 });
    t.remember('c', { sub: 'c', exp: 5_000 });
    expect(t.size).toBe(2);
    expect(t.get('a')).toBeUndefined();
    expect(t.get('b')?.sub).toBe('b');
    expect(t.get('c')?.sub).toBe('c');
  });
});
