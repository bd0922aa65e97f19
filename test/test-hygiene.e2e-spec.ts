import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp } from './helpers/app';
import { startServerProcess } from './helpers/server-process';
import { closeRunScope, openRunScope, RUN_MARKER } from './setup/run-scope';

/**
 * The test run cleans up after itself: every app a test starts removes its directory when it closes,
 * a server that dies while starting fails at once, and the run's scope (opened by the global setup,
 * closed by the global teardown) fails the run naming any temporary entry or process left behind.
 * The scopes here are nested inside the run's own, and restore it when they close. (Jest gives a test
 * a copy of process.env, which os.tmpdir() does not read: a nested scope's processes get it passed.)
 */
describe('test hygiene', () => {
  it('removes a test app’s DATA_DIR when the app closes', async () => {
    const app = await startTestApp();
    const dir = app.config.dataDir;
    expect(dir.startsWith(tmpdir())).toBe(true);
    expect(existsSync(dir)).toBe(true);
    await app.close();
    expect(existsSync(dir)).toBe(false);
  });

  it('closes a clean run scope quietly and restores TMPDIR and the marker', async () => {
    const outer = { tmp: process.env.TMPDIR, marker: process.env[RUN_MARKER] };
    const scope = openRunScope();
    expect(process.env.TMPDIR).toBe(scope.dir);
    await expect(closeRunScope(scope)).resolves.toBeUndefined();
    expect(existsSync(scope.dir)).toBe(false);
    expect({ tmp: process.env.TMPDIR, marker: process.env[RUN_MARKER] }).toEqual(outer);
  });

  it('fails a run that leaves a temporary directory behind, naming it, and removes it', async () => {
    const scope = openRunScope();
    const leaked = mkdtempSync(join(scope.dir, 'paymux-leak-'));
    await expect(closeRunScope(scope)).rejects.toThrow(`temporary entry left behind: ${leaked}`);
    expect(existsSync(leaked)).toBe(false);
  });

  it('fails a run that leaves a process running, naming it, and kills it', async () => {
    const scope = openRunScope();
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      stdio: 'ignore',
      env: { ...process.env },
    });
    const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    try {
      await expect(closeRunScope(scope)).rejects.toThrow(`process left running (killed now): ${child.pid}`);
      expect(await exited).toBe('SIGKILL');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('fails a server start at once, with its output, when the server exits', async () => {
    // An invalid configuration: the built server exits before it listens.
    await expect(startServerProcess({ DATABASE_URL: 'not-a-url', NODE_ENV: 'production' })).rejects.toThrow(
      /server exited with 1 before it was healthy:\n[\s\S]+/,
    );
  });
});
