import { Inject, Injectable } from '@nestjs/common';
import {
  CREDENTIAL_SCHEMAS,
  CredentialSchemas,
  Credentials,
  maskCredentialFields,
  validateCredentialFields,
} from '../common/credential-schema';
import { AppConfig } from '../config/app-config';

export { CredentialsError, SECRET_MASK } from '../common/credential-schema';
export type { Credentials } from '../common/credential-schema';

/**
 * A provider account's credentials checked and masked by its provider's schema: each provider
 * declares its own in its definition (src/payments/providers/<id>/<id>.definition.ts); the schemas
 * arrive here through the CREDENTIAL_SCHEMAS token.
 */
@Injectable()
export class ProviderCredentials {
  private readonly allowPrivateUrls: boolean;

  constructor(
    @Inject(CREDENTIAL_SCHEMAS) private readonly schemas: CredentialSchemas,
    config: AppConfig,
  ) {
    this.allowPrivateUrls = config.x402AllowPrivateFacilitator;
  }

  /** Whether paymux has a provider of that id (one that takes an account). */
  knows(provider: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.schemas, provider);
  }

  /** Check a provider's credentials field by field; the CredentialsError names the first bad field. */
  validate(provider: string, raw: unknown): Credentials {
    return validateCredentialFields(provider, this.schemas[provider], raw, {
      allowPrivateUrls: this.allowPrivateUrls,
    });
  }

  /**
   * The view that may be returned: secrets as SECRET_MASK. Applied when an account is stored and
   * again when it is read, so views stored by older versions (which kept the last four characters)
   * show nothing either.
   */
  mask(provider: string, creds: Credentials): Credentials {
    return maskCredentialFields(this.knows(provider) ? this.schemas[provider] : undefined, creds);
  }
}
