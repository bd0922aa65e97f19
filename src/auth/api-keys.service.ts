import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { recordAudit } from '../audit/audit-log';
import { safeEqual } from '../common/crypto';
import { DomainError } from '../common/domain-error';
import { EntityColumns } from '../common/sql';
import { SecretBox } from '../common/secret-box';
import { AppConfig } from '../config/app-config';
import { ApiKey } from './api-key.entity';
import { ApiKeyCache } from './api-key-cache';
import { ApiKeyUsage } from './api-key-usage';
import { ApiNonceStore } from './api-nonce-store';
import { merchantSignature, SIGNATURE_WINDOW_SECONDS } from './merchant-signature';
import type { Principal } from './principal';
import { CommonErrors } from '../common/common.errors';
import { AuthErrors } from './auth.errors';
import { tenantSuspended } from './strategies/token-holder';

/** A signed merchant request, as the guard reads it. */
export interface SignedRequest {
  headers: Readonly<Record<string, string | string[] | undefined>>;
  method: string;
  /** Path with query, exactly as sent. */
  url: string;
  rawBody: Buffer;
}

/** 401 with merchant code 10001 (authentication) or 10002 (stale timestamp, reused nonce). */
const authFailed = (message: string): DomainError => CommonErrors.unauthenticated(message);
const stale = (message: string): DomainError => AuthErrors.stale_request(message);

/** A sealed API-key secret opens only for its own tenant and key (also used by the master-key rotation). */
export const apiKeyAad = (tenantId: string, keyId: string): string => `api-key:${tenantId}:${keyId}`;
const header = (h: SignedRequest['headers'], name: string): string | undefined => {
  const v = h[name];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
};

/** A key as the audit log stores it: never its secret. */
const apiKeyJson = (k: ApiKey): Record<string, unknown> => ({
  id: k.id,
  key_id: k.keyId,
  name: k.name,
  expires_at: k.expiresAt?.toISOString() ?? null,
  revoked_at: k.revokedAt?.toISOString() ?? null,
});

/** Merchant API keys: created, listed, revoked, rotated with an overlap, and checked per request. */
@Injectable()
export class ApiKeysService {
  private readonly box: SecretBox;

  private keyColumns?: EntityColumns<ApiKey>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    config: AppConfig,
    private readonly known: ApiKeyCache,
    private readonly nonces: ApiNonceStore,
    private readonly usage: ApiKeyUsage,
  ) {
    this.box = new SecretBox(config.masterKey, config.previousMasterKeys);
  }

  /** A new key; the secret is returned this once and stored sealed. Audited (`api_key.create`). */
  async create(p: Principal, name: string): Promise<{ key: ApiKey; secret: string }> {
    return this.db.transaction(async (m) => {
      const { key, secret } = await this.insertKey(m, p, name);
      await recordAudit(m, p, {
        tenantId: p.tenantId,
        action: 'api_key.create',
        target: `api_key:${key.id}`,
        after: apiKeyJson(key),
      });
      return { key, secret };
    });
  }

  /** Insert a new key in `m`'s transaction; the key as stored and its secret. */
  private async insertKey(
    m: EntityManager,
    p: Principal,
    name: string,
    expiresAt: Date | null = null,
  ): Promise<{ key: ApiKey; secret: string }> {
    const keyId = `mk_${randomBytes(12).toString('hex')}`;
    const secret = `msk_${randomBytes(32).toString('base64url')}`;
    const sealed = this.box.seal(secret, apiKeyAad(p.tenantId, keyId));
    const key = m.create(ApiKey, {
      id: randomUUID(),
      tenantId: p.tenantId,
      keyId,
      name,
      masterKeyId: sealed.keyId,
      secretSealed: sealed.ciphertext,
      createdBy: p.via === 'api_key' ? null : p.userId,
      expiresAt,
      revokedAt: null,
      lastUsedAt: null,
    });
    await m.insert(ApiKey, key);
    return { key: await this.get(p.tenantId, key.id, m), secret };
  }

  list(tenantId: string): Promise<ApiKey[]> {
    return this.db
      .getRepository(ApiKey)
      .find({ where: { tenantId }, order: { createdAt: 'DESC', id: 'ASC' } });
  }

  async get(tenantId: string, id: string, m: EntityManager = this.db.manager, lock = false): Promise<ApiKey> {
    const key = await m.findOne(ApiKey, {
      where: { tenantId, id },
      ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
    if (!key) throw AuthErrors.api_key_not_found('api key not found');
    return key;
  }

  /** Revoke the key (`api_key.revoke` audited); revoking a revoked key changes and writes nothing. */
  async revoke(p: Principal, id: string): Promise<ApiKey> {
    const revoked = await this.db.transaction(async (m) => {
      const before = await this.get(p.tenantId, id, m, true);
      if (before.revokedAt) return before;
      await m.update(ApiKey, { id, tenantId: p.tenantId }, { revokedAt: new Date() });
      const after = await this.get(p.tenantId, id, m);
      await recordAudit(m, p, {
        tenantId: p.tenantId,
        action: 'api_key.revoke',
        target: `api_key:${id}`,
        before: apiKeyJson(before),
        after: apiKeyJson(after),
      });
      return after;
    });
    // Refused at once in this process (within AUTH_RECHECK_SECONDS in the others).
    this.known.invalidateKey(id);
    return revoked;
  }

  /**
   * Rotate: a new key now, and the old one keeps working for `overlapSeconds` (default one day), so
   * a merchant can deploy the new secret without a failed request.
   */
  async rotate(
    p: Principal,
    id: string,
    overlapSeconds = 86400,
  ): Promise<{ key: ApiKey; secret: string; old: ApiKey }> {
    const rotated = await this.db.transaction(async (m) => {
      const old = await this.get(p.tenantId, id, m, true);
      if (old.revokedAt || (old.expiresAt && old.expiresAt.getTime() <= Date.now()))
        throw AuthErrors.api_key_inactive('this key is revoked or expired; create a new one');
      const until = new Date(Date.now() + overlapSeconds * 1000);
      const expires = old.expiresAt && old.expiresAt < until ? old.expiresAt : until;
      await m.update(ApiKey, { id, tenantId: p.tenantId }, { expiresAt: expires });
      const fresh = await this.insertKey(m, p, old.name);
      const after = await this.get(p.tenantId, id, m);
      // One row for the rotation: the old key (its new expiry) and the key that replaces it.
      await recordAudit(m, p, {
        tenantId: p.tenantId,
        action: 'api_key.rotate',
        target: `api_key:${id}`,
        before: apiKeyJson(old),
        after: apiKeyJson(after),
        data: { replacement: apiKeyJson(fresh.key) },
      });
      return { ...fresh, old: after };
    });
    // The old key's new expiry holds at once in this process (within AUTH_RECHECK_SECONDS in the others).
    this.known.invalidateKey(id);
    return rotated;
  }

  /**
   * The tenant's newest usable key, which signs outbound notifications, as part of a caller's
   * statement (a delivery reads its notification and this key at once): `join` is a LEFT JOIN LATERAL
   * on the newest usable key of the tenant in SQL expression `tenantColumn`, `select` its columns,
   * `from(row)` the key from the row (null when the tenant has none).
   */
  newestActiveJoin(tenantColumn: string): {
    join: string;
    select: string;
    from: (row: object) => ApiKey | null;
  } {
    const columns = (this.keyColumns ??= new EntityColumns(this.db, ApiKey, 'k', 'k_'));
    return {
      join: `LEFT JOIN LATERAL (
               SELECT * FROM api_keys k
                WHERE k.tenant_id = ${tenantColumn} AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())
                ORDER BY k.created_at DESC LIMIT 1) k ON true`,
      select: columns.select,
      from: (row) => ((row as { k_id: string | null }).k_id === null ? null : columns.from(row)),
    };
  }

  /** The secret of a key (public key id `keyId`): for signing outbound notifications, and checking requests. */
  secretOf(key: Pick<ApiKey, 'tenantId' | 'keyId' | 'masterKeyId' | 'secretSealed'>): string {
    return this.box.open(
      { keyId: key.masterKeyId, ciphertext: key.secretSealed },
      apiKeyAad(key.tenantId, key.keyId),
    );
  }

  /**
   * Check a signed merchant request: key, timestamp window, signature (timing-safe), then the nonce
   * (only after the signature, so nobody can burn a merchant's nonces). Returns the caller.
   */
  async authenticate(req: SignedRequest): Promise<Principal> {
    const keyId = header(req.headers, 'x-api-key');
    const timestamp = header(req.headers, 'x-timestamp');
    const nonce = header(req.headers, 'x-nonce');
    const signature = header(req.headers, 'x-signature');
    if (!keyId || !timestamp || !nonce || !signature)
      throw authFailed('X-API-Key, X-Timestamp, X-Nonce and X-Signature are required');
    if (keyId.length > 64 || nonce.length > 128 || signature.length > 128)
      throw authFailed('malformed authentication headers');
    // Who the key is and its secret, at most AUTH_RECHECK_SECONDS old (ApiKeyCache): a key seen revoked
    // or expired is refused here; a usable one is checked again, as it is now, by the nonce write.
    const key = await this.known.get(keyId);
    const now = Date.now();
    if (!key || key.revoked || (key.expiresAt !== null && key.expiresAt <= now))
      throw authFailed('unknown, revoked or expired API key');
    if (!/^\d{1,12}$/.test(timestamp) || Math.abs(now / 1000 - Number(timestamp)) > SIGNATURE_WINDOW_SECONDS)
      throw stale(`X-Timestamp must be unix seconds within ${SIGNATURE_WINDOW_SECONDS} s of now`);
    const expected = merchantSignature(this.secretOf({ ...key, keyId }), {
      timestamp,
      nonce,
      method: req.method,
      pathWithQuery: req.url,
      body: req.rawBody,
    });
    if (!safeEqual(expected, signature.toLowerCase())) throw authFailed('signature mismatch');
    // Only now (the signature holds): nobody can burn a merchant's nonces, nor learn of a suspension.
    const outcome = await this.nonces.use(key.id, nonce);
    if (outcome === 'key_unusable') throw authFailed('unknown, revoked or expired API key');
    if (outcome === 'tenant_suspended') throw tenantSuspended();
    if (outcome === 'replayed') throw stale('X-Nonce was already used with this key');
    this.usage.touch(key.id);
    return {
      userId: key.createdBy ?? key.id,
      tenantId: key.tenantId,
      role: 'admin',
      platformAdmin: false,
      via: 'api_key',
      apiKeyId: key.id,
    };
  }

  /**
   * Forget nonces older than twice the window (a timestamp that old is refused anyway); every minute
   * (AuthPruners).
   */
  async pruneNonces(): Promise<number> {
    const rows = await this.db.query<{ n: number }[]>(
      `WITH gone AS (DELETE FROM api_nonces WHERE created_at < now() - make_interval(secs => $1) RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [SIGNATURE_WINDOW_SECONDS * 2],
    );
    return rows[0].n;
  }
}
