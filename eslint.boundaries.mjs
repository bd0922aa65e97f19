// @ts-check
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';

/**
 * The dependency direction (README, "Architecture"), checked on every import under src/ (specs excepted):
 *   app (admin, checkout, health, demo; the composition root src/*.ts is not checked)
 *     -> payments | notifications -> orders -> applications, packages, fx -> tenants, auth, audit -> ground
 *   providers -> provider contract -> ground        ground = common, config, database: knows no feature
 *   src/cli (the operator CLI) is a composition root too: it may import anything, nothing imports it.
 * A layer may import itself and anything below it, never above. Elements are matched first to last.
 */
const LAYERS = {
  /** src/cli: the operator CLI, a composition root like src/*.ts (wires everything, imported by nothing). */
  root: ['root', 'app', 'payments', 'notifications', 'providers', 'contract', 'orders', 'catalog', 'base', 'ground'],
  app: ['app', 'payments', 'notifications', 'providers', 'contract', 'orders', 'catalog', 'base', 'ground'],
  payments: ['payments', 'providers', 'contract', 'orders', 'catalog', 'base', 'ground'],
  notifications: ['notifications', 'orders', 'catalog', 'base', 'ground'],
  orders: ['orders', 'catalog', 'base', 'ground'],
  catalog: ['catalog', 'base', 'ground'],
  base: ['base', 'ground'],
  providers: ['providers', 'contract', 'ground'],
  contract: ['contract', 'ground'],
  ground: ['ground'],
};
export const boundaryRules = {
  languageOptions: { parser: tseslint.parser },
  files: ['src/**/*.ts'],
  ignores: ['src/**/*.spec.ts'],
  plugins: { boundaries },
  settings: {
    'import/resolver': { typescript: { project: './tsconfig.json' } },
    // src/*.ts (main, bootstrap, app.module, api-document) is the composition root: it wires everything.
    'boundaries/include': ['src/*/**/*.ts'],
    'boundaries/elements': [
      { type: 'contract', pattern: 'src/payments/contract' },
      { type: 'providers', pattern: 'src/payments/providers' },
      { type: 'payments', pattern: 'src/payments' },
      { type: 'notifications', pattern: 'src/notifications' },
      { type: 'orders', pattern: 'src/orders' },
      { type: 'catalog', pattern: 'src/(applications|packages|fx)' },
      { type: 'base', pattern: 'src/(tenants|auth|audit)' },
      { type: 'ground', pattern: 'src/(common|config|database)' },
      { type: 'app', pattern: 'src/(admin|checkout|health|demo)' },
      { type: 'root', pattern: 'src/cli' },
    ],
  },
  rules: {
    'boundaries/no-unknown-files': 'error',
    'boundaries/dependencies': [
      'error',
      {
        default: 'disallow',
        policies: Object.entries(LAYERS).map(([from, to]) => ({
          from: { element: { type: from } },
          allow: { to: { element: { types: { anyOf: to } } } },
        })),
      },
    ],
  },
};

export default [boundaryRules];
