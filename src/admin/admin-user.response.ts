import { ApiProperty } from '@nestjs/swagger';
import type { User } from '../auth/user.entity';
import { ApiDateTime } from '../common/api-docs';
import { isoMicros } from '../common/time';

/** A user account as a platform operator sees it. */
export class AdminUserResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'jane@example.com' })
  email!: string;

  @ApiProperty({ example: 'Jane' })
  name!: string;

  @ApiProperty()
  is_platform_admin!: boolean;

  @ApiProperty({ description: 'logins, JWTs and platform tokens are refused' })
  disabled!: boolean;

  @ApiDateTime({ nullable: true })
  disabled_at!: string | null;
}

export const toAdminUserResponse = (u: User): AdminUserResponse => ({
  id: u.id,
  email: u.email,
  name: u.name,
  is_platform_admin: u.isPlatformAdmin,
  disabled: u.disabledAt !== null,
  disabled_at: isoMicros(u.disabledAt),
});
