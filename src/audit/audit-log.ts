import type { EntityManager } from 'typeorm';
import type { RequestOrigin } from '../common/request-origin';
import { AuditEntry } from './audit-entry.entity';

/** Who did it: a signed-in user (a Principal fits), with the request it came in on when there was one. */
export interface AuditActor {
  userId: string;
  /** Absent for the operator CLI and start-up: no request. */
  origin?: RequestOrigin;
}

/** What was done: `action` like `package.update`, `target` as `<type>:<id>`. */
export interface AuditRecord {
  tenantId: string | null;
  action: string;
  target: string;
  /** The object before and after the change; secrets are redacted before they are stored. */
  before?: unknown;
  after?: unknown;
  /** Anything else worth keeping (reason, outcome, via). */
  data?: Record<string, unknown>;
}

/** Keys whose values are never stored in the audit log, at any depth. */
const SECRET_KEY = /secret|password|private[_-]?key|api[_-]?key$|token|credential|signature|cert/i;
export const REDACTED = '[redacted]';

/** A copy of `value` with every secret-looking key's value replaced by `[redacted]`. */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value instanceof Date) return value.toISOString();
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? REDACTED : redactSecrets(v);
  return out;
}

/**
 * Write one audit row with `m`, which must be the manager of the transaction that makes the change:
 * the row then exists exactly when the change does. The one way anything writes to audit_log.
 */
export async function recordAudit(m: EntityManager, actor: AuditActor, rec: AuditRecord): Promise<void> {
  const data: Record<string, unknown> = { ...(rec.data ?? {}) };
  if (rec.before !== undefined) data.before = rec.before;
  if (rec.after !== undefined) data.after = rec.after;
  await m.insert(AuditEntry, {
    tenantId: rec.tenantId,
    actorId: actor.userId,
    action: rec.action,
    target: rec.target,
    data: redactSecrets(data) as object,
    requestId: actor.origin?.requestId || null,
    ip: actor.origin?.ip || null,
  });
}
