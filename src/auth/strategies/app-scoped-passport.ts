import type { Strategy } from 'passport';
import passport from 'passport';
import { randomUUID } from 'node:crypto';

const names = new WeakMap<Strategy, string>();

/**
 * Passport keeps its strategies in one registry per process, but a strategy instance belongs to one
 * Nest app (its caches, its database, its JWT key), and one process may run several apps (the test
 * suites do). So a strategy is registered under a name of its own: its `getPassportInstance()` returns
 * this registry instead of passport, and its guard authenticates with `passportNameOf(strategy)`. The
 * name is dropped when the app closes (`forgetStrategy`).
 */
export const APP_SCOPED_PASSPORT = {
  use(name: string, strategy: Strategy): void {
    const scoped = `${name}#${randomUUID()}`;
    names.set(strategy, scoped);
    passport.use(scoped, strategy);
  },
};

/** The name this strategy instance is registered under in passport. */
export function passportNameOf(strategy: Strategy): string {
  const name = names.get(strategy);
  if (!name) throw new Error('strategy not registered through APP_SCOPED_PASSPORT');
  return name;
}

/** Remove the strategy from passport's registry (its app is closing). */
export function forgetStrategy(strategy: Strategy): void {
  const name = names.get(strategy);
  if (name) passport.unuse(name);
}
