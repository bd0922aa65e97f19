import { ApiProperty } from '@nestjs/swagger';
import { ApiDateTime, ListOf } from '../common/api-docs';
import { isoMicros } from '../common/time';
import type { ProviderAccount } from './provider-account.entity';
import type { ProviderCredentials } from './provider-credentials';

/** The tenant's account at a provider; secret credentials are masked. */
export class ProviderAccountResponse {
  @ApiProperty({ example: 'stripe' })
  provider!: string;

  @ApiProperty()
  enabled!: boolean;

  @ApiProperty({ enum: ['live', 'test'], example: 'test' })
  mode!: 'live' | 'test';

  @ApiProperty({
    type: 'object',
    additionalProperties: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    example: { secret_key: '••••', webhook_secret: '••••' },
    description: "the provider's credential fields; secret ones masked as ••••",
  })
  credentials!: Record<string, string | string[]>;

  @ApiProperty({ description: 'which master key seals the credentials' })
  key_id!: string;

  @ApiDateTime()
  created_at!: string;

  @ApiDateTime()
  updated_at!: string;
}

export class ProviderAccountListResponse extends ListOf(ProviderAccountResponse) {}

export const toProviderAccountResponse = (
  a: ProviderAccount,
  creds: ProviderCredentials,
): ProviderAccountResponse => ({
  provider: a.provider,
  enabled: a.enabled,
  mode: a.mode,
  credentials: creds.mask(a.provider, a.credentialsMasked),
  key_id: a.keyId,
  created_at: isoMicros(a.createdAt),
  updated_at: isoMicros(a.updatedAt),
});
