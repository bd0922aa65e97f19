/**
 * `npm run test:reliability`: the reliability suite (test/reliability/*.rel-spec.ts). Each scenario
 * starts real paymux processes from the built server (RELIABILITY_SERVER, default dist/src/main.js)
 * on a fresh PostgreSQL database, and the run writes RELIABILITY.md (RELIABILITY_OUTPUT).
 */
/** @type {import('jest').Config} */
module.exports = {
  displayName: 'reliability',
  rootDir: '.',
  moduleFileExtensions: ['js', 'json', 'ts'],
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  testMatch: ['<rootDir>/test/reliability/**/*.rel-spec.ts'],
  globalSetup: '<rootDir>/test/reliability/global-setup.ts',
  globalTeardown: '<rootDir>/test/reliability/global-teardown.ts',
  testTimeout: 600000,
  maxWorkers: 1,
};
