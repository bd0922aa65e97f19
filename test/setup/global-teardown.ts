import type { ChildProcess } from 'node:child_process';

export default function globalTeardown(): void {
  const child = (globalThis as { __paymuxEmbedded?: ChildProcess }).__paymuxEmbedded;
  child?.kill('SIGTERM');
}
