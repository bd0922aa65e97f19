import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AuditActor, recordAudit } from '../audit/audit-log';
import { SecretBox } from '../common/secret-box';
import { AppConfig } from '../config/app-config';
import { ProviderAccount } from './provider-account.entity';
import { Credentials, CredentialsError, ProviderCredentials } from './provider-credentials';
import { TenantErrors } from './tenants.errors';

export interface ProviderAccountInput {
  enabled?: boolean;
  mode?: 'live' | 'test';
  credentials: Record<string, unknown>;
}

/** What a provider adapter gets for one call: the tenant's decrypted credentials. */
export interface UnsealedAccount {
  provider: string;
  enabled: boolean;
  mode: 'live' | 'test';
  credentials: Credentials;
}

/** An account row as read (sealed), by this service or by a query that joins it to something else. */
export type SealedAccount = Pick<
  ProviderAccount,
  'tenantId' | 'provider' | 'enabled' | 'mode' | 'keyId' | 'credentialsSealed'
>;

/** Per-tenant provider accounts; credentials sealed with AES-256-GCM under the master key. */
@Injectable()
export class ProviderAccountsService {
  private readonly box: SecretBox;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    config: AppConfig,
    readonly credentials: ProviderCredentials,
  ) {
    this.box = new SecretBox(config.masterKey, config.previousMasterKeys);
  }

  /**
   * Set up or replace the account, audited in the same transaction (`provider_account.create` or
   * `.update`): enabled and mode before/after, and only the names of the credential fields that
   * changed, never a credential (nor its masked form).
   */
  async put(
    actor: AuditActor,
    tenantId: string,
    provider: string,
    input: ProviderAccountInput,
  ): Promise<ProviderAccount> {
    if (!this.credentials.knows(provider)) throw TenantErrors.provider_not_found('provider not found');
    let creds: Credentials;
    try {
      creds = this.credentials.validate(provider, input.credentials);
    } catch (e) {
      if (e instanceof CredentialsError)
        throw TenantErrors.invalid_provider_credentials(e.message, { field: e.field });
      throw e;
    }
    const sealed = this.box.seal(JSON.stringify(creds), providerAccountAad(tenantId, provider));
    return this.db.transaction(async (m) => {
      const old = await m.findOne(ProviderAccount, {
        where: { tenantId, provider },
        lock: { mode: 'pessimistic_write' },
      });
      // Replacing credentials sealed under a key no longer configured must still work: all changed.
      let oldCreds: Credentials = {};
      try {
        if (old) oldCreds = this.open(old);
      } catch {
        oldCreds = {};
      }
      await this.upsert(m, tenantId, provider, input, creds, sealed);
      const now = await m.findOneOrFail(ProviderAccount, { where: { tenantId, provider } });
      const fields = [...new Set([...Object.keys(oldCreds), ...Object.keys(creds)])].sort();
      await recordAudit(m, actor, {
        tenantId,
        action: old ? 'provider_account.update' : 'provider_account.create',
        target: `provider_account:${now.id}`,
        before: old ? { provider, enabled: old.enabled, mode: old.mode } : null,
        after: { provider, enabled: now.enabled, mode: now.mode },
        data: {
          changed_fields: fields.filter((f) => JSON.stringify(oldCreds[f]) !== JSON.stringify(creds[f])),
        },
      });
      return now;
    });
  }

  private async upsert(
    m: EntityManager,
    tenantId: string,
    provider: string,
    input: ProviderAccountInput,
    creds: Credentials,
    sealed: { keyId: string; ciphertext: string },
  ): Promise<void> {
    await m.query(
      `INSERT INTO provider_accounts (id, tenant_id, provider, enabled, mode, key_id, credentials_sealed, credentials_masked)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (tenant_id, provider) DO UPDATE SET enabled = EXCLUDED.enabled, mode = EXCLUDED.mode,
         key_id = EXCLUDED.key_id, credentials_sealed = EXCLUDED.credentials_sealed,
         credentials_masked = EXCLUDED.credentials_masked, updated_at = now()`,
      [
        randomUUID(),
        tenantId,
        provider,
        input.enabled ?? true,
        input.mode ?? 'test',
        sealed.keyId,
        sealed.ciphertext,
        JSON.stringify(this.credentials.mask(provider, creds)),
      ],
    );
  }

  /** The account's credentials, opened. */
  private open(row: SealedAccount): Credentials {
    return JSON.parse(
      this.box.open(
        { keyId: row.keyId, ciphertext: row.credentialsSealed },
        providerAccountAad(row.tenantId, row.provider),
      ),
    ) as Credentials;
  }

  async list(tenantId: string): Promise<ProviderAccount[]> {
    return this.db.getRepository(ProviderAccount).find({ where: { tenantId }, order: { provider: 'ASC' } });
  }

  /** The tenant's account with its credentials opened, or null when there is none. */
  async unsealed(tenantId: string, provider: string): Promise<UnsealedAccount | null> {
    const row = await this.db.getRepository(ProviderAccount).findOne({ where: { tenantId, provider } });
    return row ? this.unseal(row) : null;
  }

  /** An account read elsewhere (routing reads the tenant's accounts with its priority), opened. */
  unseal(row: SealedAccount): UnsealedAccount {
    return { provider: row.provider, enabled: row.enabled, mode: row.mode, credentials: this.open(row) };
  }
}

/** A sealed value opens only for its own tenant and provider (also used by the master-key rotation). */
export const providerAccountAad = (tenantId: string, provider: string): string =>
  `provider_account:${tenantId}:${provider}`;
