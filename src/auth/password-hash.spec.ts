import * as argon2 from 'argon2';
import { randomBytes } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { ARGON2_PRODUCTION, ARGON2_TEST_ONLY, passwordHashOptions } from './password-hash';

/** The production password-hash parameters are pinned; the tests' cheap ones never reach a deployment. */
describe('password hashing parameters', () => {
  const base = {
    DATA_DIR: '/nonexistent-paymux-data-dir',
    JWT_SECRET: randomBytes(32).toString('hex'),
    PAYMUX_MASTER_KEY: randomBytes(32).toString('base64'),
  };

  it('pins the production parameters: argon2id, 19 MiB, 2 passes, 1 lane (OWASP)', async () => {
    expect(ARGON2_PRODUCTION).toEqual({
      type: argon2.argon2id,
      memoryCost: 19456,
      timeCost: 2,
      parallelism: 1,
    });
    const hash = await argon2.hash('correct horse battery', ARGON2_PRODUCTION);
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
  });

  it('uses them unless the test-only switch is on', () => {
    for (const NODE_ENV of ['production', 'development', 'test']) {
      const config = AppConfig.fromEnv({
        ...base,
        NODE_ENV,
      });
      expect(passwordHashOptions(config)).toBe(ARGON2_PRODUCTION);
    }
    const tests = AppConfig.fromEnv({ ...base, NODE_ENV: 'test', PASSWORD_HASH_TEST_CHEAP: 'true' });
    expect(passwordHashOptions(tests)).toBe(ARGON2_TEST_ONLY);
  });

  it("refuses the test suites' switch in production", () => {
    expect(() =>
      AppConfig.fromEnv({
        ...base,
        NODE_ENV: 'production',
        PASSWORD_HASH_TEST_CHEAP: 'true',
      }),
    ).toThrow(/PASSWORD_HASH_TEST_CHEAP: not allowed in production/);
  });
});
