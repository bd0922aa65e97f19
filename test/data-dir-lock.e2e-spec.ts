import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCK_FILE } from '../src/database/data-dir-lock';
import { ServerProcess, startServerProcess } from './helpers/server-process';

const ENV = {
  PAYMUX_DEMO: 'off',
  LOG_LEVEL: 'warn',
  EXPIRY_SWEEP_INTERVAL_MS: '0',
  RECONCILE_INTERVAL_MS: '0',
};

/** Run the built server to its exit (it is expected to refuse to start); its exit code and output. */
function runToExit(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(__dirname, '../dist/src/main.js')], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', ENV_FILE: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

/**
 * The embedded database is one process's: a second process on the same DATA_DIR refuses to start
 * with a clear message, and the first keeps serving; the lock goes when the first stops.
 */
describe('embedded database: one process per DATA_DIR', () => {
  jest.setTimeout(400_000);
  let dir: string;
  let first: ServerProcess | undefined;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'paymux-lock-e2e-'))));
  afterAll(async () => {
    await first?.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a second process on the same DATA_DIR; the first keeps serving', async () => {
    first = await startServerProcess({ ...ENV, DATA_DIR: dir });
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);

    const second = await runToExit({ ...ENV, DATA_DIR: dir });
    expect(second.code).not.toBe(0);
    expect(second.out).toContain(
      `DATA_DIR ${dir} is in use by another paymux process (pid ${first.child.pid})`,
    );
    expect(second.out).toContain('the embedded database serves one process only');

    // The first still answers, reads and writes.
    expect((await fetch(`${first.url}/health/ready`)).status).toBe(200);
    const reg = await fetch(`${first.url}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'lock@example.test', password: 'correct horse battery', name: 'Lock' }),
    });
    expect(reg.status).toBe(201);

    expect(await first.stop('SIGTERM')).toBe(0);
    first = undefined;
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });
});
