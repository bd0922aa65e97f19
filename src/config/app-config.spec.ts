import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppConfig } from './app-config';

/** The provider ids the server passes (config knows no provider; see src/payments/providers). */
const PROVIDER_IDS = ['sandbox', 'wechat', 'alipay', 'stripe', 'paypal', 'x402', 'alchemy', 'tokenpay'];

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
      AppConfig.fromEnv(
        {
          PORT: 'abc',
          DATABASE_URL: 'mysql://x/y',
          LOG_LEVEL: 'loud',
          REGISTRATION_ENABLED: 'maybe',
          DATA_DIR: dataDir(),
        },
        PROVIDER_IDS,
      );
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
    const c = AppConfig.fromEnv({ DATA_DIR: dataDir() }, PROVIDER_IDS);
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
    const first = AppConfig.fromEnv({ DATA_DIR: dir }, PROVIDER_IDS);
    const second = AppConfig.fromEnv({ DATA_DIR: dir }, PROVIDER_IDS);
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
    expect(() => AppConfig.fromEnv({ NODE_ENV: 'production', DATA_DIR: dataDir() }, PROVIDER_IDS)).toThrow(
      /JWT_SECRET[\s\S]*PAYMUX_MASTER_KEY/,
    );
    expect(() =>
      AppConfig.fromEnv(
        {
          NODE_ENV: 'production',
          JWT_SECRET: 'change-me-change-me-change-me-change-me',
          PAYMUX_MASTER_KEY: Buffer.alloc(32, 1).toString('base64'),
        },
        PROVIDER_IDS,
      ),
    ).toThrow(/JWT_SECRET/);
    const c = AppConfig.fromEnv(
      {
        NODE_ENV: 'production',
        JWT_SECRET: 'x'.repeat(40),
        PAYMUX_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
      },
      PROVIDER_IDS,
    );
    expect(c.sandboxEnabled).toBe(false);
    expect(c.demoEnabled).toBe(false);
  });

  it('reads provider base URLs (operator settings) and previous master keys', () => {
    const c = AppConfig.fromEnv(
      {
        DATA_DIR: dataDir(),
        PAYMUX_STRIPE_BASE_URL: 'http://127.0.0.1:4010/',
        PAYMUX_MASTER_KEY_PREVIOUS: `${Buffer.alloc(32, 1).toString('base64')}, ${Buffer.alloc(32, 2).toString('base64')}`,
      },
      PROVIDER_IDS,
    );
    expect(c.providerBaseUrls).toEqual({ stripe: 'http://127.0.0.1:4010' });
    expect(c.previousMasterKeys.map((k) => k[0])).toEqual([1, 2]);
    expect(() =>
      AppConfig.fromEnv({ DATA_DIR: dataDir(), PAYMUX_PAYPAL_BASE_URL: 'ftp://x' }, PROVIDER_IDS),
    ).toThrow(/PAYMUX_PAYPAL_BASE_URL=/);
    expect(() =>
      AppConfig.fromEnv({ DATA_DIR: dataDir(), PAYMUX_MASTER_KEY_PREVIOUS: 'c2hvcnQ=' }, PROVIDER_IDS),
    ).toThrow(/PAYMUX_MASTER_KEY_PREVIOUS/);
  });

  it('reads the x402 facilitator from PAYMUX_X402_FACILITATOR_URL or PAYMUX_X402_BASE_URL, refusing two different ones', () => {
    const url = 'http://127.0.0.1:4020/facilitator';
    const either = [
      { PAYMUX_X402_FACILITATOR_URL: url },
      { PAYMUX_X402_BASE_URL: url },
      { PAYMUX_X402_FACILITATOR_URL: url, PAYMUX_X402_BASE_URL: `${url}/` },
    ];
    for (const env of either)
      expect(AppConfig.fromEnv({ DATA_DIR: dataDir(), ...env }, PROVIDER_IDS).providerBaseUrls).toEqual({
        x402: url,
      });
    const both = (): AppConfig =>
      AppConfig.fromEnv(
        {
          DATA_DIR: dataDir(),
          PAYMUX_X402_FACILITATOR_URL: 'https://facilitator.one.example',
          PAYMUX_X402_BASE_URL: 'https://facilitator.two.example',
        },
        PROVIDER_IDS,
      );
    expect(both).toThrow(/PAYMUX_X402_FACILITATOR_URL.*PAYMUX_X402_BASE_URL/);
    expect(() =>
      AppConfig.fromEnv({ DATA_DIR: dataDir(), PAYMUX_X402_FACILITATOR_URL: 'ftp://x' }, PROVIDER_IDS),
    ).toThrow(/PAYMUX_X402_FACILITATOR_URL=/);
  });

  it('lets tenants name private facilitators only when PAYMUX_X402_ALLOW_PRIVATE_FACILITATOR is on, never in production', () => {
    expect(AppConfig.fromEnv({ DATA_DIR: dataDir() }, PROVIDER_IDS).x402AllowPrivateFacilitator).toBe(false);
    expect(
      AppConfig.fromEnv({ DATA_DIR: dataDir(), PAYMUX_X402_ALLOW_PRIVATE_FACILITATOR: 'true' }, PROVIDER_IDS)
        .x402AllowPrivateFacilitator,
    ).toBe(true);
    expect(() =>
      AppConfig.fromEnv(
        {
          NODE_ENV: 'production',
          JWT_SECRET: 'x'.repeat(40),
          PAYMUX_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
          PAYMUX_X402_ALLOW_PRIVATE_FACILITATOR: 'true',
        },
        PROVIDER_IDS,
      ),
    ).toThrow(/PAYMUX_X402_ALLOW_PRIVATE_FACILITATOR/);
  });

  it('rejects a master key that is not 32 bytes', () => {
    expect(() =>
      AppConfig.fromEnv(
        { PAYMUX_MASTER_KEY: Buffer.alloc(16).toString('base64'), DATA_DIR: dataDir() },
        PROVIDER_IDS,
      ),
    ).toThrow(/PAYMUX_MASTER_KEY: must be 32 bytes/);
  });

  describe('errors', () => {
    const messageOf = (env: Record<string, string>): string => {
      try {
        AppConfig.fromEnv({ DATA_DIR: dataDir(), ...env }, PROVIDER_IDS);
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error('the configuration was accepted');
    };
    const PRODUCTION = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://paymux:pg-pass-9f3k@db.internal:5432/paymux',
      JWT_SECRET: 'j'.repeat(40),
      PAYMUX_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
    };

    it('never shows a secret: not a DATABASE_URL password, a JWT_SECRET, a master key or an admin password', () => {
      const message = messageOf({
        DATABASE_URL: 'mysql://paymux:db-pass-s3cr3t@db.internal/paymux',
        JWT_SECRET: 'jwt-too-short-s3cr3t',
        PAYMUX_MASTER_KEY: 'bWFzdGVyLWtleS1zM2NyM3Q=',
        PAYMUX_MASTER_KEY_PREVIOUS: 'cHJldmlvdXMta2V5LXMzY3IzdA==',
        ADMIN_PASSWORD: 'adm1n',
        PAYMUX_STRIPE_BASE_URL: 'ftp://user:url-pass-s3cr3t@stripe.internal',
      });
      for (const secret of [
        'db-pass-s3cr3t',
        'jwt-too-short-s3cr3t',
        'bWFzdGVyLWtleS1zM2NyM3Q=',
        'cHJldmlvdXMta2V5LXMzY3IzdA==',
        'adm1n',
        'url-pass-s3cr3t',
      ])
        expect(message).not.toContain(secret);
      // ...while still naming each of them.
      for (const name of [
        'DATABASE_URL',
        'JWT_SECRET',
        'PAYMUX_MASTER_KEY:',
        'PAYMUX_MASTER_KEY_PREVIOUS',
        'ADMIN_PASSWORD',
        'PAYMUX_STRIPE_BASE_URL',
      ])
        expect(message).toContain(name);
    });

    it('names every bad variable at once, the checks on secrets and sandbox included', () => {
      const message = messageOf({
        NODE_ENV: 'production',
        PORT: '99999',
        DATABASE_URL: 'mysql://db.internal/paymux',
        LOG_LEVEL: 'loud',
        PAYMUX_SANDBOX: 'on',
      });
      for (const name of [
        'PORT=',
        'DATABASE_URL=',
        'LOG_LEVEL=',
        'JWT_SECRET:',
        'PAYMUX_MASTER_KEY:',
        'PAYMUX_SANDBOX',
      ])
        expect(message).toContain(name);
      expect(message).toMatch(/6 bad settings/);
    });

    it('says what is accepted', () => {
      expect(messageOf({ DATABASE_URL: 'mysql://db.internal/paymux' })).toMatch(
        /DATABASE_URL=.*must be a PostgreSQL URL: postgres:\/\/user:password@host:5432\/database/,
      );
      expect(messageOf({ PUBLIC_BASE_URL: 'pay.example.com' })).toMatch(
        /PUBLIC_BASE_URL=.*http:\/\/ or https:\/\//,
      );
      expect(messageOf({ PORT: 'abc' })).toMatch(/PORT="abc": .*integer/);
      expect(messageOf({ LOG_LEVEL: 'loud' })).toMatch(/LOG_LEVEL="loud": .*fatal, error, warn, info/);
      expect(messageOf({ PAYMUX_MASTER_KEY: Buffer.alloc(16).toString('base64') })).toMatch(
        /PAYMUX_MASTER_KEY: must be 32 bytes, base64-encoded \(openssl rand -base64 32\); this one is 16 bytes/,
      );
    });

    it('reports a placeholder master key in development as such, not as a crash later', () => {
      const message = messageOf({ PAYMUX_MASTER_KEY: 'change-me' });
      expect(message).toMatch(/PAYMUX_MASTER_KEY: is a placeholder; set 32 random bytes, base64-encoded/);
      expect(message).not.toContain('ERR_INVALID_ARG_TYPE');
    });

    it('refuses PAYMUX_SANDBOX=on in production unless PAYMUX_SANDBOX_IN_PRODUCTION_ANYONE_CAN_PAY=true, then warns', () => {
      expect(messageOf({ ...PRODUCTION, PAYMUX_SANDBOX: 'on' })).toMatch(
        /PAYMUX_SANDBOX=on: refused in production[\s\S]*PAYMUX_SANDBOX_IN_PRODUCTION_ANYONE_CAN_PAY=true/,
      );
      const c = AppConfig.fromEnv(
        {
          ...PRODUCTION,
          PAYMUX_SANDBOX: 'on',
          PAYMUX_SANDBOX_IN_PRODUCTION_ANYONE_CAN_PAY: 'true',
        },
        PROVIDER_IDS,
      );
      expect(c.sandboxEnabled).toBe(true);
      expect(c.warnings.join('\n')).toMatch(/anyone can complete Sandbox payments/);
      expect(AppConfig.fromEnv(PRODUCTION, PROVIDER_IDS).sandboxEnabled).toBe(false);
      expect(
        AppConfig.fromEnv({ DATA_DIR: dataDir(), PAYMUX_SANDBOX: 'on' }, PROVIDER_IDS).sandboxEnabled,
      ).toBe(true);
    });

    it('warns loudly when production runs on the embedded database', () => {
      const embedded: Record<string, string> = { ...PRODUCTION };
      delete embedded.DATABASE_URL;
      expect(
        AppConfig.fromEnv({ ...embedded, DATA_DIR: dataDir() }, PROVIDER_IDS).warnings.join('\n'),
      ).toMatch(/PRODUCTION ON THE EMBEDDED DATABASE/);
      expect(AppConfig.fromEnv(PRODUCTION, PROVIDER_IDS).warnings).toEqual([]);
    });
  });
});
