import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { RUN_MARKER } from '../setup/run-scope';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Children still running when the test file's process exits (a start that Jest timed out) are killed. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Start the built server (`node dist/src/main.js`) as a child process and wait until /health answers.
 * There is no start budget: a busy machine is slow, not broken (Jest's testTimeout is the ceiling);
 * a server that exits before it is healthy fails the start at once, with its output.
 */
export async function startServerProcess(
  env: Record<string, string | undefined>,
  opts: { cwd?: string } = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(__dirname, '../../dist/src/main.js')], {
    cwd: opts.cwd,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      // The run's temporary directory and marker (test/setup/run-scope.ts), so nothing escapes the run.
      TMPDIR: process.env.TMPDIR,
      [RUN_MARKER]: process.env[RUN_MARKER],
      PORT: String(port),
      // No env file: a developer's .env in the working directory must not reach the tests.
      ENV_FILE: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  let gone = false;
  void exited.then(() => (gone = true));
  for (;;) {
    if (gone)
      throw new Error(
        `server exited with ${child.exitCode ?? child.signalCode} before it was healthy:\n${out}`,
      );
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 100))]);
  }
  return {
    child,
    url,
    output: () => out,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (!gone) child.kill(signal);
      return exited;
    },
  };
}
