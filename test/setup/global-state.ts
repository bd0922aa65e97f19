import type { ServedEmbedded } from '../helpers/embedded-server';
import type { RunScope } from './run-scope';

/** The embedded database process of a run without DATABASE_URL, and its data directory. */
export interface EmbeddedChild {
  served: ServedEmbedded;
  dir: string;
}

/** What the global setup hands to the global teardown (both run in Jest's main process). */
export function setupState(): { scope?: RunScope; embedded?: EmbeddedChild } {
  const g = globalThis as { __paymuxTestRun?: { scope?: RunScope; embedded?: EmbeddedChild } };
  return (g.__paymuxTestRun ??= {});
}
