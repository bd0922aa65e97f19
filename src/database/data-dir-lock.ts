import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** Data directories this process holds, so a lock naming our own pid is told apart from a stale one. */
const held = new Set<string>();

export const LOCK_FILE = 'paymux.lock';

/**
 * The embedded database is one process's: two processes on one DATA_DIR would each run their own
 * PGlite on the same files, and what one acknowledged could be gone after a restart. So the data
 * directory is locked with a file created exclusively (O_EXCL) that holds the owner's pid and host.
 * A lock whose process is gone (a crash, kill -9, a container restarted with the same pid) is taken
 * over. `release()` removes it.
 */
export function lockDataDir(dataDir: string): { release(): void } {
  const file = join(dataDir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n${hostname()}\n`);
      closeSync(fd);
      held.add(file);
      let released = false;
      return {
        release: () => {
          if (released) return;
          released = true;
          held.delete(file);
          try {
            unlinkSync(file);
          } catch {
            // already gone
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw err;
    }
    const owner = readOwner(file);
    if (owner && isAlive(owner, file))
      throw new Error(
        `DATA_DIR ${dataDir} is in use by another paymux process (pid ${owner.pid}${
          owner.host === hostname() ? '' : ` on ${owner.host}`
        }): the embedded database serves one process only. Stop that process, or run several processes ` +
          `on PostgreSQL (DATABASE_URL). If no such process runs, delete ${file}.`,
      );
    // Stale (or unreadable, e.g. half-written by a crash): take it over.
    try {
      unlinkSync(file);
    } catch {
      // another process took it over first: the next attempt finds its lock
    }
  }
}

function readOwner(file: string): { pid: number; host: string } | null {
  try {
    const [pid, host] = readFileSync(file, 'utf8').split('\n');
    const n = Number(pid);
    return Number.isInteger(n) && n > 0 ? { pid: n, host: host ?? '' } : null;
  } catch {
    return null;
  }
}

function isAlive(owner: { pid: number; host: string }, file: string): boolean {
  // On another host we cannot tell: assume it runs (the message says how to clear it).
  if (owner.host && owner.host !== hostname()) return true;
  if (owner.pid === process.pid) return held.has(file);
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
