import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { RecheckCache } from './recheck-cache';

/** A merchant API key as a signed request needs it: who it is, whether it may be used, its secret. */
export interface KnownApiKey {
  /** The row's id (api_keys.id), not the public key id. */
  id: string;
  tenantId: string;
  createdBy: string | null;
  revoked: boolean;
  /**
   * Epoch ms; null: no expiry (as loaded: a rotation elsewhere only brings it closer, which the nonce
   * write sees at once).
   */
  expiresAt: number | null;
  masterKeyId: string;
  secretSealed: string;
}

/**
 * Merchant API keys by their public key id (`X-API-Key`), looked up at most once every
 * AUTH_RECHECK_SECONDS per process (the bound of PlatformTokenCache): whose key it is and its sealed
 * secret. A revocation or rotation (the old key's new expiry) made by this process drops the entry at
 * once; one made by another process is seen at the latest after that bound here, but a request is never
 * let through on this cache's word alone: ApiNonceStore writes its nonce only if the key is usable and
 * its tenant not suspended as the database says at that moment. Unknown key ids are not remembered
 * (random guesses must not fill the map): each costs its lookup. Concurrent misses for one key share a
 * query.
 */
@Injectable()
export class ApiKeyCache {
  private readonly cache: RecheckCache<KnownApiKey>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    config: AppConfig,
  ) {
    this.cache = new RecheckCache(
      (keyId) => this.load(keyId),
      (key) => key.id,
      () => config.authRecheckSeconds * 1000,
    );
  }

  get(keyId: string): Promise<KnownApiKey | null> {
    return this.cache.get(keyId);
  }

  /** Forget a key this process has just revoked or rotated (and any lookup still under way). */
  invalidateKey(id: string): void {
    this.cache.invalidate(id);
  }

  private async load(keyId: string): Promise<KnownApiKey | null> {
    const rows = await this.db.query<
      {
        id: string;
        tenant_id: string;
        created_by: string | null;
        revoked: boolean;
        expires_at: Date | null;
        master_key_id: string;
        secret_sealed: string;
      }[]
    >(
      `SELECT id, tenant_id, created_by, revoked_at IS NOT NULL AS revoked, expires_at, master_key_id,
              secret_sealed
         FROM api_keys WHERE key_id = $1`,
      [keyId],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      id: r.id,
      tenantId: r.tenant_id,
      createdBy: r.created_by,
      revoked: r.revoked,
      expiresAt: r.expires_at ? new Date(r.expires_at).getTime() : null,
      masterKeyId: r.master_key_id,
      secretSealed: r.secret_sealed,
    };
  }
}
