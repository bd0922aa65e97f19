import { IsEmail, IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { TENANT_ROLES, type TenantRole } from '../membership.entity';

/** PATCH /api/v1/members/:user_id. Only an owner may grant or take `owner`. */
export class ChangeMemberRoleDto {
  @IsIn(TENANT_ROLES)
  role!: TenantRole;
}

/** POST /api/v1/invitations. Only an owner may invite an owner. */
export class CreateInvitationDto {
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @IsIn(TENANT_ROLES)
  role!: TenantRole;
}

/** GET /api/v1/invitations/preview. */
export class InvitationPreviewQueryDto {
  /** The token from the invitation link. */
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  token!: string;
}

/** POST /api/v1/invitations/accept. */
export class AcceptInvitationDto {
  /** The token from the invitation link. */
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  token!: string;

  /**
   * A new account's password (the registration's rules: at least 8 characters, not digits only, one
   * repeated character, a common password or the email); for an existing account, its own password.
   */
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  password!: string;

  /** A new account's name (default: the part of the email before the @); ignored for an existing account. */
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name?: string;
}
