import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temporary directory `<tmpdir>/<prefix>XXXXXX`. */
export const newTempDir = (prefix: string): string => mkdtempSync(join(tmpdir(), prefix));

/**
 * The started thing (a test app), whose `close` also removes `dir`; `dir` is removed at once when the
 * start fails. A test run leaves no directory behind (test/setup/run-scope.ts checks that).
 */
export async function removedOnClose<T extends { close(): Promise<void> }>(
  starting: Promise<T>,
  dir: string,
): Promise<T> {
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  let started: T;
  try {
    started = await starting;
  } catch (err) {
    remove();
    throw err;
  }
  const close = started.close.bind(started);
  started.close = async () => {
    try {
      await close();
    } finally {
      remove();
    }
  };
  return started;
}
