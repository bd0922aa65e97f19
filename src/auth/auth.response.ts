import { ApiProperty } from '@nestjs/swagger';
import { ApiDateTime, ListOf } from '../common/api-docs';
import { TENANT_ROLES, TenantRole } from '../tenants/membership.entity';
import type { Principal } from './principal';

export class UserSummary {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'jane@example.com' })
  email!: string;

  @ApiProperty({ example: 'Jane' })
  name!: string;
}

export class TenantSummary {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'Acme' })
  name!: string;
}

/** The new user and the tenant they own. */
export class RegisterResponse {
  @ApiProperty({ type: UserSummary })
  user!: UserSummary;

  @ApiProperty({ type: TenantSummary })
  tenant!: TenantSummary;
}

export class LoginResponse {
  @ApiProperty({ description: 'a JWT; send it as `Authorization: Bearer <access_token>`' })
  access_token!: string;

  @ApiProperty({ enum: ['Bearer'], example: 'Bearer' })
  token_type!: 'Bearer';

  @ApiProperty({ example: 3600, description: 'seconds until the token expires' })
  expires_in!: number;
}

export class CurrentUser extends UserSummary {
  @ApiProperty()
  is_platform_admin!: boolean;
}

/** Who is calling, in which tenant, with which role, authenticated how. */
export class MeResponse {
  @ApiProperty({ type: CurrentUser })
  user!: CurrentUser;

  @ApiProperty({ type: TenantSummary })
  tenant!: TenantSummary;

  @ApiProperty({ enum: TENANT_ROLES, example: 'owner' })
  role!: TenantRole;

  @ApiProperty({ enum: ['jwt', 'platform_token', 'api_key', 'session'], example: 'jwt' })
  auth!: Principal['via'];
}

/** A platform token (never its secret, which is shown once, at creation). */
export class PlatformTokenResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'CI' })
  name!: string;

  @ApiDateTime()
  created_at!: string;
}

export class PlatformTokenListResponse extends ListOf(PlatformTokenResponse) {}

/** A new platform token with its secret, shown this once. */
export class PlatformTokenCreatedResponse extends PlatformTokenResponse {
  @ApiProperty({ description: 'the token; send it as `Authorization: Bearer <token>`' })
  token!: string;
}
