import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServerProcess, startServerProcess } from './helpers/server-process';
import { newTempDir } from './helpers/temp-dir';

/**
 * A copied and edited `.env` works: the built server (`npm start` runs `node dist/src/main.js`) reads
 * `.env` from its working directory through @nestjs/config before it validates its settings, and a
 * variable set in the environment wins over the file.
 */
describe('.env in the working directory', () => {
  let dir: string;
  let server: ServerProcess | undefined;

  beforeAll(() => {
    dir = newTempDir('paymux-env-file-');
    const lines = [
      '# paymux settings (a copy of .env.example, edited)',
      'NODE_ENV=test',
      'PAYMUX_DEMO=off',
      'LOG_LEVEL=warn',
      'EXPIRY_SWEEP_INTERVAL_MS=0',
      'RECONCILE_INTERVAL_MS=0',
      'NOTIFY_WORKER=false',
      // Relative to the working directory: inside `dir`, removed with it.
      'DATA_DIR=./data',
      'PUBLIC_BASE_URL=http://pay.from-env-file.test',
      'API_DOCS=off',
    ];
    writeFileSync(join(dir, '.env'), `${lines.join('\n')}\n`);
  });
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The built server in `dir`, reading `.env` as a deployment does (ENV_FILE unset). */
  const start = (env: Record<string, string | undefined> = {}): Promise<ServerProcess> =>
    startServerProcess({ DATABASE_URL: process.env.DATABASE_URL, ENV_FILE: undefined, ...env }, { cwd: dir });

  it('is read at start: its settings take effect', async () => {
    server = await start();
    expect(server.output()).toContain('links use http://pay.from-env-file.test');
    expect(server.output()).toContain(`settings read from ${join(dir, '.env')}`);
    expect((await fetch(`${server.url}/docs-json`)).status).toBe(404);
  });

  it('loses to a variable set in the environment', async () => {
    server = await start({ API_DOCS: 'on', PUBLIC_BASE_URL: 'http://pay.from-environment.test' });
    expect(server.output()).toContain('links use http://pay.from-environment.test');
    expect((await fetch(`${server.url}/docs-json`)).status).toBe(200);
  });

  it('is not read with ENV_FILE empty; a file ENV_FILE names must exist', async () => {
    server = await start({
      ENV_FILE: '',
      PAYMUX_DEMO: 'off',
      NOTIFY_WORKER: 'false',
      DATA_DIR: join(dir, 'data'),
    });
    expect(server.output()).not.toContain('settings read from');
    expect(server.output()).not.toContain('pay.from-env-file.test');
    expect((await fetch(`${server.url}/docs-json`)).status).toBe(200);
    await server.stop();
    server = undefined;
    await expect(start({ ENV_FILE: 'missing.env' })).rejects.toThrow(
      /ENV_FILE=missing\.env: there is no such file/,
    );
  });
});
