import { ApiProperty } from '@nestjs/swagger';
import { CurrentUser } from '../auth/auth.response';
import type { User } from '../auth/user.entity';
import { ApiDateTime } from '../common/api-docs';
import { isoMicros } from '../common/time';

/** A user account as a platform operator sees it. */
export class AdminUserResponse extends CurrentUser {
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
