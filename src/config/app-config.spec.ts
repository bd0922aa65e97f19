import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppConfig } from './app-config';

const made: string[] = [];
const dataDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'paymux-config-'));
  made.push(dir);
  return dir;
};
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('configuration', () => {
  it('names every bad variable in one message', () => {
    const start = (): AppConfig =>
      AppConfig.fromEnv({
        PORT: 'abc',
        DATABASE_URL: 'mysql://x/y',
        LOG_LEVEL: 'loud',
        REGISTRATION_ENABLED: 'maybe',
        DATA_DIR: dataDir(),
      });
    expect(start).toThrow(/4 bad settings/);
    try {
      start();
    } catch (e) {
      const message = (e as Error).message;
      for (const name of ['PORT', 'DATABASE_URL', 'LOG_LEVEL', 'REGISTRATION_ENABLED'])
        expect(message).toContain(`${name}=`);
    }
  });

  it('applies the documented defaults', () => {
    const c = AppConfig.fromEnv({ DATA_DIR: dataDir() });
    expect(c).toMatchObject({
      port: 3000,
      sandboxEnabled: true,
      demoEnabled: true,
      registrationEnabled: true,
      orderTtlSeconds: 1800,
      logLevel: 'info',
    });
    expect(c.databaseUrl).toBeUndefined();
  });

  it('outside production generates missing secrets once and keeps them in DATA_DIR', () => {
    const dir = dataDir();
    const first = AppConfig.fromEnv({ DATA_DIR: dir });
    const second = AppConfig.fromEnv({ DATA_DIR: dir });
    expect(first.jwtSecret).toBe(second.jwtSecret);
    expect(first.masterKey.equals(second.masterKey)).toBe(true);
    expect(first.masterKey).toHaveLength(32);
    expect(first.warnings.join('\n')).toMatch(/JWT_SECRET is not set/);
    expect(JSON.parse(readFileSync(join(dir, 'secrets.json'), 'utf8'))).toHaveProperty(
      'jwtSecret',
      first.jwtSecret,
    );
  });

  it('in production refuses missing or placeholder secrets, and defaults the sandbox off', () => {
    expect(() => AppConfig.fromEnv({ NODE_ENV: 'production', DATA_DIR: dataDir() })).toThrow(
      /JWT_SECRET[\s\S]*PAYMUX_MASTER_KEY/,
    );
    expect(() =>
      AppConfig.fromEnv({
        NODE_ENV: 'production',
        JWT_SECRET: 'change-me-change-me-change-me-change-me',
        PAYMUX_MASTER_KEY: Buffer.alloc(32, 1).toString('base64'),
      }),
    ).toThrow(/JWT_SECRET/);
    const c = AppConfig.fromEnv({
      NODE_ENV: 'production',
      JWT_SECRET: 'x'.repeat(40),
      PAYMUX_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
    });
    expect(c.sandboxEnabled).toBe(false);
    expect(c.demoEnabled).toBe(false);
  });

  it('reads provider base URLs (operator settings) and previous master keys', () => {
    const c = AppConfig.fromEnv({
      DATA_DIR: dataDir(),
      PAYMUX_STRIPE_BASE_URL: 'http://127.0.0.1:4010/',
      PAYMUX_MASTER_KEY_PREVIOUS: `${Buffer.alloc(32, 1).toString('base64')}, ${Buffer.alloc(32, 2).toString('base64')}`,
    });
    expect(c.providerBaseUrls).toEqual({ stripe: 'http://127.0.0.1:4010' });
    expect(c.previousMasterKeys.map((k) => k[0])).toEqual([1, 2]);
    expect(() => AppConfig.fromEnv({ DATA_DIR: dataDir(), PAYMUX_PAYPAL_BASE_URL: 'ftp://x' })).toThrow(
      /PAYMUX_PAYPAL_BASE_URL=/,
    );
    expect(() => AppConfig.fromEnv({ DATA_DIR: dataDir(), PAYMUX_MASTER_KEY_PREVIOUS: 'c2hvcnQ=' })).toThrow(
      /PAYMUX_MASTER_KEY_PREVIOUS/,
    );
  });

  it('reads the x402 facilitator from PAYMUX_X402_FACILITATOR_URL or PAYMUX_X402_BASE_URL, refusing two different ones', () => {
    const url = 'http://127.0.0.1:4020/facilitator';
    const either = [
      { PAYMUX_X402_FACILITATOR_URL: url },
      { PAYMUX_X402_BASE_URL: url },
      { PAYMUX_X402_FACILITATOR_URL: url, PAYMUX_X402_BASE_URL: `${url}/` },
    ];
    for (const env of either)
      expect(AppConfig.fromEnv({ DATA_DIR: dataDir(), ...env }).providerBaseUrls).toEqual({ x402: url });
    const both = (): AppConfig =>
      AppConfig.fromEnv({
        DATA_DIR: dataDir(),
        PAYMUX_X402_FACILITATOR_URL: 'https://facilitator.one.example',
        PAYMUX_X402_BASE_URL: 'https://facilitator.two.example',
      });
    expect(both).toThrow(/PAYMUX_X402_FACILITATOR_URL.*PAYMUX_X402_BASE_URL/);
    expect(() => AppConfig.fromEnv({ DATA_DIR: dataDir(), PAYMUX_X402_FACILITATOR_URL: 'ftp://x' })).toThrow(
      /PAYMUX_X402_FACILITATOR_URL=/,
    );
  });

  it('lets tenants name private facilitators only when PAYMUX_X402_ALLOW_PRIVATE_FACILITATOR is on, never in production', () => {
    expect(AppConfig.fromEnv({ DATA_DIR: dataDir() }).x402AllowPrivateFacilitator).toBe(false);
    expect(
      AppConfig.fromEnv({ DATA_DIR: dataDir(), PAYMUX_X402_ALLOW_PRIVATE_FACILITATOR: 'true' })
        .x402AllowPrivateFacilitator,
    ).toBe(true);
    expect(() =>
      AppConfig.fromEnv({
        NODE_ENV: 'production',
        JWT_SECRET: 'x'.repeat(40),
        PAYMUX_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
        PAYMUX_X402_ALLOW_PRIVATE_FACILITATOR: 'true',
      }),
    ).toThrow(/PAYMUX_X402_ALLOW_PRIVATE_FACILITATOR/);
  });

  it('rejects a master key that is not 32 bytes', () => {
    expect(() =>
      AppConfig.fromEnv({ PAYMUX_MASTER_KEY: Buffer.alloc(16).toString('base64'), DATA_DIR: dataDir() }),
    ).toThrow(/PAYMUX_MASTER_KEY: must be 32 bytes/);
  });
});
