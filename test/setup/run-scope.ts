import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

/**
 * What one test run leaves behind: nothing. The global setup opens a run scope: a private temporary
 * directory that becomes TMPDIR for the whole run (Jest's workers, the servers the tests start, the
 * embedded database, Chromium), and a marker in the environment those processes inherit. The global
 * teardown closes it: whatever is still in the directory, or still running with the marker, is a
 * leak, and the run fails naming it (then it is removed, so a failed run does not litter either).
 * Other processes on the machine (another checkout's run) have their own scope and are never counted.
 */
export const RUN_MARKER = 'PAYMUX_TEST_RUN';

export interface RunScope {
  dir: string;
  id: string;
  previousTmpdir: string | undefined;
  previousMarker: string | undefined;
}

export function openRunScope(): RunScope {
  const previousTmpdir = process.env.TMPDIR;
  const previousMarker = process.env[RUN_MARKER];
  const dir = mkdtempSync(join(tmpdir(), 'paymux-test-run-'));
  const id = basename(dir);
  process.env.TMPDIR = dir;
  process.env[RUN_MARKER] = id;
  return { dir, id, previousTmpdir, previousMarker };
}

/** The run's processes still alive (Linux: read from /proc; elsewhere none are found). */
export function processesOfRun(id: string): { pid: number; command: string }[] {
  if (!existsSync('/proc')) return [];
  const found: { pid: number; command: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      if (!environ.includes(`${RUN_MARKER}=${id}`)) continue;
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      const state = /\)\s+(\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
      // Jest's own workers carry the marker too and are on their way out; a zombie is already gone.
      if (command.includes('jest-worker') || state === 'Z' || command === '') continue;
      found.push({ pid, command });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/**
 * Close the run scope: fail, listing them, when a temporary file or directory or a process of the run
 * is left; remove them either way.
 */
export async function closeRunScope(scope: RunScope): Promise<void> {
  // A process that is exiting gets a moment to finish; one that is still there after that is a leak.
  let processes = processesOfRun(scope.id);
  for (let i = 0; i < 50 && processes.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    processes = processesOfRun(scope.id);
  }
  for (const p of processes) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const leftovers = existsSync(scope.dir) ? readdirSync(scope.dir) : [];
  rmSync(scope.dir, { recursive: true, force: true });
  restore('TMPDIR', scope.previousTmpdir);
  restore(RUN_MARKER, scope.previousMarker);
  const problems = [
    ...leftovers.map((name) => `temporary entry left behind: ${join(scope.dir, name)}`),
    ...processes.map((p) => `process left running (killed now): ${p.pid} ${p.command}`),
  ];
  if (problems.length > 0) {
    throw new Error(`the test run left ${problems.length} thing(s) behind:\n  ${problems.join('\n  ')}`);
  }
}

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
