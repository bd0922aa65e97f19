import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { join } from 'node:path';
import { Client } from 'pg';
import { FreshDatabase, freshDatabase } from './helpers/fresh-database';

const MAIN = join(__dirname, '../dist/src/main.js');

function startMain(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'test',
      PAYMUX_DEMO: 'off',
      LOG_LEVEL: 'info',
      EXPIRY_SWEEP_INTERVAL_MS: '0',
      RECONCILE_INTERVAL_MS: '0',
      NOTIFY_WORKER: 'false',
      ENV_FILE: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  return { child, output: () => out };
}

const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((resolve) => child.once('exit', (code) => resolve(code)));

async function until<T>(what: string, fn: () => T | undefined | null, ms = 90_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Start-up of the built server: a port in use fails before the database is touched; the banner's port. */
describe('start-up', () => {
  let fresh: FreshDatabase;
  let occupier: Server;
  let port: number;
  beforeAll(async () => {
    fresh = await freshDatabase('startup');
    occupier = createServer();
    await new Promise<void>((resolve) => occupier.listen(0, '0.0.0.0', resolve));
    port = (occupier.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => occupier.close(() => resolve()));
    await fresh.drop();
  });

  it('reports a port in use before opening the database or running migrations', async () => {
    const run = startMain({ ...fresh.env, PORT: String(port) });
    expect(await exited(run.child)).not.toBe(0);
    expect(run.output()).toContain(`port ${port} is already in use`);
    if (fresh.env.DATABASE_URL) {
      const c = new Client({ connectionString: fresh.env.DATABASE_URL });
      await c.connect();
      try {
        const [row] = (await c.query<{ t: string | null }>(`SELECT to_regclass('public.migrations') AS t`))
          .rows;
        expect(row.t).toBeNull(); // not migrated: the database was never opened
      } finally {
        await c.end();
      }
    } else {
      expect(existsSync(join(fresh.env.DATA_DIR, 'pglite'))).toBe(false);
    }
  });

  it('prints the port it actually bound (PORT=0), even when links use PUBLIC_BASE_URL', async () => {
    const run = startMain({
      DATABASE_URL: process.env.DATABASE_URL ?? '',
      DATA_DIR: fresh.env.DATA_DIR,
      PORT: '0',
      PUBLIC_BASE_URL: 'https://pay.example.com',
    });
    try {
      const bound = await until('the banner', () => {
        if (run.child.exitCode !== null) throw new Error(`exited:\n${run.output()}`);
        return /listening on port (\d+)/.exec(run.output())?.[1];
      });
      expect(Number(bound)).toBeGreaterThan(0);
      expect(run.output()).toContain('links use https://pay.example.com');
      expect((await fetch(`http://127.0.0.1:${bound}/health`)).status).toBe(200);
    } finally {
      run.child.kill('SIGTERM');
      await exited(run.child);
    }
  });
});
