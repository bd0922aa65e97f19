import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';

/** Whose a live (unrevoked) platform token is. */
export interface TokenOwner {
  tokenId: string;
  userId: string;
  tenantId: string;
}

interface Entry {
  owner: Promise<TokenOwner | null>;
  loadedAt: number;
  /** Set once the lookup has answered. */
  tokenId?: string;
}

const MAX_ENTRIES = 50_000;

/**
 * Platform tokens by their sha256, looked up at most once every AUTH_RECHECK_SECONDS per process (the
 * same bound as PrincipalCache, which then supplies the owner's current role and flags): a revocation
 * made by another process takes effect within that bound, one made by this process at once. Unknown
 * hashes are not remembered (random guesses must not fill the map): each costs its lookup.
 */
@Injectable()
export class PlatformTokenCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: AppConfig,
  ) {}

  get(tokenHash: string): Promise<TokenOwner | null> {
    const now = Date.now();
    const hit = this.entries.get(tokenHash);
    if (hit && now - hit.loadedAt < this.config.authRecheckSeconds * 1000) return hit.owner;
    const owner = this.load(tokenHash);
    const entry: Entry = { owner, loadedAt: now };
    const forget = (): void => {
      if (this.entries.get(tokenHash) === entry) this.entries.delete(tokenHash);
    };
    owner.then((o) => (o ? (entry.tokenId = o.tokenId) : forget()), forget);
    this.entries.delete(tokenHash);
    this.entries.set(tokenHash, entry);
    if (this.entries.size > MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return owner;
  }

  /** Forget a token this process has just revoked (and any lookup still under way). */
  invalidateToken(tokenId: string): void {
    for (const [hash, e] of this.entries) {
      if (e.tokenId === tokenId || e.tokenId === undefined) this.entries.delete(hash);
    }
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
