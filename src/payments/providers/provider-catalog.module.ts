import { Global, Module } from '@nestjs/common';
import { CREDENTIAL_SCHEMAS, CredentialSchemas } from '../../common/credential-schema';
import type { ProviderDefinition } from '../contract/payment-provider';
import { ProviderCatalogController } from './provider-catalog.controller';
import { PROVIDERS } from './index';

/** Each provider's credential schema by id; a provider without one takes no account. */
export function credentialSchemasOf(providers: readonly ProviderDefinition[]): CredentialSchemas {
  const out: Record<string, ProviderDefinition['credentials'] & object> = {};
  for (const p of providers) if (p.credentials) out[p.id] = p.credentials;
  return out;
}

/**
 * Gives the layers below payments what they need to know about providers without importing them:
 * the credential schemas provider accounts (tenants) are checked against; and GET
 * /api/v1/providers/catalog, the same schemas for the console's forms.
 */
@Global()
@Module({
  controllers: [ProviderCatalogController],
  providers: [{ provide: CREDENTIAL_SCHEMAS, useValue: credentialSchemasOf(PROVIDERS) }],
  exports: [CREDENTIAL_SCHEMAS],
})
export class ProviderCatalogModule {}
