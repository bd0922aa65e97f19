import { ApiProperty } from '@nestjs/swagger';
import { ApiDateTime, ListOf } from '../common/api-docs';
import { isoMicros } from '../common/time';
import type { ApiKey } from './api-key.entity';

/** A merchant API key: never its secret. */
export class ApiKeyResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ description: 'sent as X-API-Key', example: 'mk_3f1c0b8e9d1a4c7f2e6a9b05' })
  key_id!: string;

  @ApiProperty({ example: 'shop backend' })
  name!: string;

  @ApiDateTime()
  created_at!: string;

  @ApiDateTime({ nullable: true, description: 'set on the old key when it is rotated' })
  expires_at!: string | null;

  @ApiDateTime({ nullable: true })
  revoked_at!: string | null;

  @ApiDateTime({ nullable: true })
  last_used_at!: string | null;

  @ApiProperty({ description: 'neither revoked nor expired' })
  active!: boolean;
}

export class ApiKeyListResponse extends ListOf(ApiKeyResponse) {}

/** A new key with its secret, shown this once. */
export class ApiKeyCreatedResponse extends ApiKeyResponse {
  @ApiProperty({ description: 'the HMAC secret for X-Signature; shown only now' })
  secret!: string;
}

/** The new key with its secret, and the old key, which keeps working until its `expires_at`. */
export class ApiKeyRotatedResponse extends ApiKeyCreatedResponse {
  @ApiProperty({ type: ApiKeyResponse })
  previous!: ApiKeyResponse;
}

/** The public view of a key: never the secret. */
export const toApiKeyResponse = (k: ApiKey): ApiKeyResponse => ({
  id: k.id,
  key_id: k.keyId,
  name: k.name,
  created_at: isoMicros(k.createdAt),
  expires_at: isoMicros(k.expiresAt),
  revoked_at: isoMicros(k.revokedAt),
  last_used_at: isoMicros(k.lastUsedAt),
  active: !k.revokedAt && !(k.expiresAt && k.expiresAt.getTime() <= Date.now()),
});
