import type { CurrentAccess } from '../principal-cache';
import { issuedBeforePasswordChange, JwtClaims } from './jwt.strategy';

describe('issuedBeforePasswordChange', () => {
  const access = (passwordChangedAt: number | null): CurrentAccess => ({
    exists: true,
    disabled: false,
    platformAdmin: false,
    role: 'owner',
    tenantSuspended: false,
    passwordChangedAt,
  });
  const claims = (iat: number, ims?: number): JwtClaims => ({
    sub: 'u',
    tid: 't',
    role: 'owner',
    pa: false,
    iat,
    exp: iat + 3600,
    ...(ims === undefined ? {} : { ims }),
  });
  const reset = 1_800_000_010_500; // a reset half-way through second 1_800_000_010

  it('accepts every token of an account whose password was never reset', () => {
    expect(issuedBeforePasswordChange(claims(1), access(null))).toBe(false);
  });

  it('compares the millisecond issue time: before the reset refused, after it (same second) accepted', () => {
    expect(issuedBeforePasswordChange(claims(1_800_000_010, reset - 1), access(reset))).toBe(true);
    expect(issuedBeforePasswordChange(claims(1_800_000_010, reset), access(reset))).toBe(false);
    expect(issuedBeforePasswordChange(claims(1_800_000_010, reset + 200), access(reset))).toBe(false);
  });

  it('without ims, a token from the reset second counts as before it (refused)', () => {
    expect(issuedBeforePasswordChange(claims(1_800_000_010), access(reset))).toBe(true);
    expect(issuedBeforePasswordChange(claims(1_800_000_011), access(reset))).toBe(false);
  });
});
