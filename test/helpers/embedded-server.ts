import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/** The embedded database of a data directory, served by the built server in a child process. */
export interface ServedEmbedded {
  child: ChildProcess;
  /** A PostgreSQL URL to it: every connection shares its one backend. */
  url: string;
  exited: Promise<void>;
  /** Stop it (SIGTERM) and wait until its process has exited. */
  stop(): Promise<void>;
}

/**
 * Serve the embedded database in `dir` (`dist/src/database/embedded-server.js`). Tests reach it the
 * way they reach PostgreSQL, through a URL: PGlite itself cannot load inside Jest's module sandbox
 * (it imports its WebAssembly dynamically, which Jest refuses without --experimental-vm-modules).
 * No time budget: it is ready when it prints its URL, and failed when it exits first.
 */
export async function serveEmbedded(dir: string): Promise<ServedEmbedded> {
  const child = spawn(
    process.execPath,
    [join(__dirname, '../../dist/src/database/embedded-server.js'), dir],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /DATABASE_URL=(\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`embedded database exited with ${code}:\n${out}`)));
  });
  return {
    child,
    url,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
