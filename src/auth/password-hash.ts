import * as argon2 from 'argon2';
import type { AppConfig } from '../config/app-config';

/** argon2id with OWASP's recommended memory cost: every deployment hashes passwords with these. */
export const ARGON2_PRODUCTION = {
  type: argon2.argon2id,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;

/**
 * The test suite's parameters (1 MiB, one pass), with PASSWORD_HASH_TEST_CHEAP=true, which
 * production refuses: hundreds of test merchants register and log in, and on a loaded machine
 * the production cost made up a good part of the suite's time.
 */
export const ARGON2_TEST_ONLY = {
  type: argon2.argon2id,
  memoryCost: 1024,
  timeCost: 1,
  parallelism: 1,
} as const;

/** The argon2 parameters new password hashes are made with (verification reads them from the hash). */
export const passwordHashOptions = (
  config: Pick<AppConfig, 'passwordHashTestCheap'>,
): typeof ARGON2_PRODUCTION | typeof ARGON2_TEST_ONLY =>
  config.passwordHashTestCheap ? ARGON2_TEST_ONLY : ARGON2_PRODUCTION;
