import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses, ListOf } from '../../common/api-docs';
import {
  CREDENTIAL_KIND_DESCRIPTIONS,
  type CredentialField,
  type CredentialSchema,
} from '../../common/credential-schema';
import type { ProviderDefinition } from '../contract/payment-provider';
import { PROVIDERS } from './index';

const FIELD_KINDS = Object.keys(CREDENTIAL_KIND_DESCRIPTIONS) as CredentialField['kind'][];

/** One credential field of a provider account, as a form needs it. */
export class ProviderCatalogFieldResponse {
  @ApiProperty({ example: 'secret_key' })
  name!: string;

  @ApiProperty()
  required!: boolean;

  @ApiProperty({ description: 'write-only: never returned, shown masked' })
  secret!: boolean;

  @ApiProperty({
    enum: FIELD_KINDS,
    description:
      '`list` takes an array of names; `amount_unit` is `atomic` or `decimal`; every other kind a string',
  })
  kind!: CredentialField['kind'];

  @ApiProperty({ example: 'value' })
  description!: string;
}

/** A provider a tenant may set up an account at, with its credential fields. */
export class ProviderCatalogEntryResponse {
  @ApiProperty({ example: 'stripe' })
  provider!: string;

  @ApiProperty({ example: 'Stripe' })
  display_name!: string;

  @ApiProperty({ type: [String], example: ['stripe'], description: 'the pay_way spellings it serves' })
  pay_ways!: string[];

  @ApiProperty({ type: [ProviderCatalogFieldResponse] })
  fields!: ProviderCatalogFieldResponse[];
}

export class ProviderCatalogResponse extends ListOf(ProviderCatalogEntryResponse) {}

/** The catalog of providers that take an account (the Sandbox takes none), from their definitions. */
export function providerCatalog(providers: readonly ProviderDefinition[]): ProviderCatalogEntryResponse[] {
  return providers
    .filter((p): p is ProviderDefinition & { credentials: CredentialSchema } => !!p.credentials)
    .map((p) => ({
      provider: p.id,
      display_name: p.displayName,
      pay_ways: p.payWays.map((w) => w.name),
      fields: Object.entries(p.credentials.fields).map(([name, f]) => ({
        name,
        required: f.required,
        secret: f.secret,
        kind: f.kind,
        description: CREDENTIAL_KIND_DESCRIPTIONS[f.kind],
      })),
    }));
}

const CATALOG = providerCatalog(PROVIDERS);

/** What the console's provider-account forms are built from. Any signed-in role. */
@ApiTags('Provider accounts')
@ApiBearerAuth()
@ApiErrorResponses([401])
@Controller('api/v1/providers')
export class ProviderCatalogController {
  @Get('catalog')
  @ApiOkResponse({ type: ProviderCatalogResponse })
  catalog(): ProviderCatalogResponse {
    return { data: CATALOG };
  }
}
