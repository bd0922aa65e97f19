import { isoMicros } from './time';

describe('isoMicros', () => {
  it('writes UTC with six fractional digits, the milliseconds then three zeros', () => {
    expect(isoMicros(new Date('2024-08-01T10:00:00.123Z'))).toBe('2024-08-01T10:00:00.123000Z');
    expect(isoMicros(new Date('2024-08-01T12:00:00+02:00'))).toBe('2024-08-01T10:00:00.000000Z');
    expect(isoMicros(new Date(0))).toBe('1970-01-01T00:00:00.000000Z');
    expect(isoMicros(new Date('9999-12-31T23:59:59.999Z'))).toBe('9999-12-31T23:59:59.999000Z');
  });

  it('answers null for no date', () => {
    expect(isoMicros(null)).toBeNull();
    expect(isoMicros(undefined)).toBeNull();
  });
});
