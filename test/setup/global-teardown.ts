import { rmSync } from 'node:fs';
import { setupState } from './global-state';
import { closeRunScope } from './run-scope';

/**
 * Stop the embedded database (waiting until its process has exited) and remove its directory, then
 * close the run scope: the run fails if any temporary directory or process of it is left.
 */
export default async function globalTeardown(): Promise<void> {
  const { embedded, scope } = setupState();
  if (embedded) {
    await embedded.served.stop();
    rmSync(embedded.dir, { recursive: true, force: true });
  }
  if (scope) await closeRunScope(scope);
}
