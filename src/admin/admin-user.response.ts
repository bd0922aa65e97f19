import { ApiProperty } from '@nestjs/swagger';
import { CurrentUser } from '../auth/auth.response';
import type { User } from '../auth/user.entity';
import { ApiDateTime, PageOf } from '../common/api-docs';
import { isoMicros } from '../common/time';
import { TENANT_ROLES, type TenantRole } from '../tenants/membership.entity';

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

/** One of the user's tenant memberships. */
export class AdminUserMembershipResponse {
  @ApiProperty({ format: 'uuid' })
  tenant_id!: string;

  @ApiProperty({ example: 'Acme' })
  tenant_name!: string;

  @ApiProperty({ enum: TENANT_ROLES, example: 'owner' })
  role!: TenantRole;
}

/** A user account in the operators' list and detail: its memberships, never a password hash. */
export class AdminUserDetailResponse extends AdminUserResponse {
  @ApiDateTime()
  created_at!: string;

  @ApiProperty({ type: [AdminUserMembershipResponse], description: 'oldest membership first' })
  memberships!: AdminUserMembershipResponse[];
}

export class AdminUserPageResponse extends PageOf(AdminUserDetailResponse) {}

/** A one-time password-reset link for the account (1 hour): hand it to its holder. */
export class PasswordResetLinkResponse {
  @ApiProperty({ example: 'https://pay.example.com/admin/reset-password?token=3q2-7w…' })
  reset_url!: string;

  @ApiDateTime()
  expires_at!: string;
}
