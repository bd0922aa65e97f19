import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { RecheckCache } from './recheck-cache';

/** Whose a live (unrevoked) platform token is. */
export interface TokenOwner {
  tokenId: string;
  userId: string;
  tenantId: string;
}

/**
 * Platform tokens by their sha256, looked up at most once every AUTH_RECHECK_SECONDS per process (the
 * same bound as PrincipalCache, which then supplies the owner's current role and flags): a revocation
 * made by another process takes effect within that bound, one made by this process at once. Unknown
 * hashes are not remembered (random guesses must not fill the map): each costs its lookup.
 */
@Injectable()
export class PlatformTokenCache {
  private readonly cache: RecheckCache<TokenOwner>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    config: AppConfig,
  ) {
    this.cache = new RecheckCache(
      (hash) => this.load(hash),
      (owner) => owner.tokenId,
      () => config.authRecheckSeconds * 1000,
    );
  }

  get(tokenHash: string): Promise<TokenOwner | null> {
    return this.cache.get(tokenHash);
  }

  /** Forget a token this process has just revoked (and any lookup still under way). */
  invalidateToken(tokenId: string): void {
    this.cache.invalidate(tokenId);
  }

  private async load(tokenHash: string): Promise<TokenOwner | null> {
    const rows = await this.db.query<{ id: string; tenant_id: string; user_id: string }[]>(
      `SELECT id, tenant_id, user_id FROM platform_tokens WHERE token_hash = $1 AND revoked_at IS NULL`,
      [tokenHash],
    );
    const row = rows[0];
    return row ? { tokenId: row.id, userId: row.user_id, tenantId: row.tenant_id } : null;
  }
}
