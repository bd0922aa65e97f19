import { Injectable } from '@nestjs/common';
import { Coalescer, Settled } from '../common/coalescer';
import { PreparedStatements } from '../database/prepared-statements';

interface NonceUse {
  apiKeyId: string;
  nonce: string;
}

/**
 * What the database says of a signed request's nonce: recorded now (first use), a replay, or not
 * recorded because the key is no longer usable (revoked, expired) or its tenant is suspended.
 */
export type NonceOutcome = 'recorded' | 'replayed' | 'key_unusable' | 'tenant_suspended';

/**
 * Bounds of the group commit: two array parameters whatever the batch, so MAX_BATCH only keeps one
 * statement short; up to MAX_IN_FLIGHT statements at once leaves the pool to the rest of the traffic
 * (as PendingOrderWriter).
 */
const MAX_BATCH = 256;
const MAX_IN_FLIGHT = 4;

/**
 * The nonces of signed merchant requests (api_nonces), each usable once per key in every process: the
 * primary key (api_key_id, nonce) in the database decides, never memory. The nonces of concurrent
 * requests are written by group commit, one `INSERT ... ON CONFLICT DO NOTHING RETURNING` for the
 * batch, and each request is answered once that statement has committed (durable, as one insert per
 * request was). The same (key, nonce) twice in one batch is sent once and only its first request can
 * win; a row already there (an earlier request, another process) wins over all of them.
 *
 * The same statement reads the key's revocation and expiry and its tenant's suspension as they are now
 * and writes the nonce only when the key is usable: the key itself may come from ApiKeyCache (up to
 * AUTH_RECHECK_SECONDS old), yet a revocation, expiry or suspension made anywhere refuses the next
 * request at once, at no extra statement.
 */
@Injectable()
export class ApiNonceStore {
  private readonly coalescer = new Coalescer<NonceUse, NonceOutcome>((uses) => this.write(uses), {
    maxBatch: MAX_BATCH,
    maxInFlight: MAX_IN_FLIGHT,
  });

  constructor(private readonly statements: PreparedStatements) {}

  use(apiKeyId: string, nonce: string): Promise<NonceOutcome> {
    return this.coalescer.submit({ apiKeyId, nonce });
  }

  private async write(uses: readonly NonceUse[]): Promise<Settled<NonceOutcome>[]> {
    // JSON.stringify: an unambiguous key for the pair (a nonce may contain any separator).
    const pair = (u: NonceUse): string => JSON.stringify([u.apiKeyId, u.nonce]);
    const distinct = new Map<string, NonceUse>();
    for (const u of uses) if (!distinct.has(pair(u))) distinct.set(pair(u), u);
    const sent = [...distinct.values()];
    // Two kinds of rows: each key's state (nonce null), then each nonce recorded now.
    const rows = await this.statements.query<
      { api_key_id: string; nonce: string | null; usable: boolean | null; suspended: boolean | null }[]
    >(
      `WITH req AS (SELECT * FROM unnest($1::uuid[], $2::text[]) AS r(api_key_id, nonce)),
            keys AS (
              SELECT k.id, k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now()) AS usable,
                     t.suspended_at IS NOT NULL AS suspended
                FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
               WHERE k.id = ANY($1::uuid[])),
            recorded AS (
              INSERT INTO api_nonces (api_key_id, nonce)
              SELECT req.api_key_id, req.nonce FROM req
                JOIN keys ON keys.id = req.api_key_id AND keys.usable AND NOT keys.suspended
              ON CONFLICT DO NOTHING RETURNING api_key_id, nonce)
       SELECT id AS api_key_id, NULL::text AS nonce, usable, suspended FROM keys
       UNION ALL
       SELECT api_key_id, nonce, NULL, NULL FROM recorded`,
      [sent.map((u) => u.apiKeyId), sent.map((u) => u.nonce)],
    );
    const keys = new Map<string, { usable: boolean; suspended: boolean }>();
    const recorded = new Set<string>();
    for (const r of rows) {
      if (r.nonce === null)
        keys.set(r.api_key_id, { usable: r.usable === true, suspended: r.suspended === true });
      else recorded.add(pair({ apiKeyId: r.api_key_id, nonce: r.nonce }));
    }
    return uses.map((u): Settled<NonceOutcome> => {
      const key = keys.get(u.apiKeyId);
      if (!key?.usable) return { ok: true, value: 'key_unusable' };
      if (key.suspended) return { ok: true, value: 'tenant_suspended' };
      // A recorded pair goes to the first request that sent it; every other one is a replay.
      return { ok: true, value: recorded.delete(pair(u)) ? 'recorded' : 'replayed' };
    });
  }
}
