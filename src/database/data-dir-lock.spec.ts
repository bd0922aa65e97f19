import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCK_FILE, lockDataDir } from './data-dir-lock';

describe('DATA_DIR lock (embedded database, one process)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'paymux-lock-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('holds the pid, refuses a second holder with a clear message, and is removed on release', () => {
    const lock = lockDataDir(dir);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(`${process.pid}\n${hostname()}\n`);
    expect(() => lockDataDir(dir)).toThrow(
      new RegExp(`DATA_DIR .* is in use by another paymux process \\(pid ${process.pid}\\)`),
    );
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    lockDataDir(dir).release();
  });

  it('refuses while the owning process runs', () => {
    // pid 1 always runs (and belongs to someone else).
    writeFileSync(join(dir, LOCK_FILE), `1\n${hostname()}\n`);
    expect(() => lockDataDir(dir)).toThrow(/in use by another paymux process \(pid 1\)/);
  });

  it('takes over a stale lock: its process is gone, or it is unreadable', () => {
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(join(dir, LOCK_FILE), `${gone}\n${hostname()}\n`);
    const lock = lockDataDir(dir);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(`${process.pid}\n${hostname()}\n`);
    lock.release();
    writeFileSync(join(dir, LOCK_FILE), '');
    lockDataDir(dir).release();
    // Our own pid, from an earlier life of this process's pid (a restarted container): stale too.
    writeFileSync(join(dir, LOCK_FILE), `${process.pid}\n${hostname()}\n`);
    lockDataDir(dir).release();
  });
});
