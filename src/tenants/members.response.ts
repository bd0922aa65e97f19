import { ApiProperty } from '@nestjs/swagger';
import { ApiDateTime, ListOf } from '../common/api-docs';
import { TENANT_ROLES, type TenantRole } from './membership.entity';

/** A member of the caller's tenant. */
export class MemberResponse {
  @ApiProperty({ format: 'uuid' })
  user_id!: string;

  @ApiProperty({ example: 'ana@example.com' })
  email!: string;

  @ApiProperty({ example: 'Ana' })
  name!: string;

  @ApiProperty({ enum: TENANT_ROLES, example: 'member' })
  role!: TenantRole;

  @ApiDateTime({ description: 'when they joined the tenant' })
  created_at!: string;
}

export class MemberListResponse extends ListOf(MemberResponse) {}

export const INVITATION_STATUSES = ['pending', 'accepted', 'revoked', 'expired'] as const;
export type InvitationStatus = (typeof INVITATION_STATUSES)[number];

/** An invitation to the caller's tenant (never its token). */
export class InvitationResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'ana@example.com' })
  email!: string;

  @ApiProperty({ enum: TENANT_ROLES, example: 'member' })
  role!: TenantRole;

  @ApiProperty({ enum: INVITATION_STATUSES, example: 'pending' })
  status!: InvitationStatus;

  @ApiProperty({ example: 'owner@example.com', nullable: true, type: String })
  invited_by_email!: string | null;

  @ApiDateTime()
  expires_at!: string;

  @ApiDateTime()
  created_at!: string;

  @ApiDateTime({ nullable: true })
  accepted_at!: string | null;
}

export class InvitationListResponse extends ListOf(InvitationResponse) {}

/** A new invitation, with its link: shown once (only its hash is stored), and logged (no mail transport). */
export class InvitationCreatedResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'ana@example.com' })
  email!: string;

  @ApiProperty({ enum: TENANT_ROLES, example: 'member' })
  role!: TenantRole;

  @ApiProperty({ enum: INVITATION_STATUSES, example: 'pending' })
  status!: InvitationStatus;

  @ApiDateTime()
  expires_at!: string;

  @ApiDateTime()
  created_at!: string;

  @ApiProperty({
    example: 'https://pay.example.com/admin/accept-invite?token=3q2-7w…',
    description: 'the link to hand to the invitee; valid 7 days, single use',
  })
  accept_url!: string;
}

/** What an invitation link offers, for the page that accepts it. */
export class InvitationPreviewResponse {
  @ApiProperty({ example: 'Acme' })
  tenant_name!: string;

  @ApiProperty({ example: 'ana@example.com' })
  email!: string;

  @ApiProperty({ enum: TENANT_ROLES, example: 'member' })
  role!: TenantRole;

  @ApiDateTime()
  expires_at!: string;

  @ApiProperty({ description: 'an account with this email exists: accepting takes its password' })
  account_exists!: boolean;
}

/** The membership an accepted invitation made; the member then signs in normally. */
export class InvitationAcceptedResponse {
  @ApiProperty({ format: 'uuid' })
  tenant_id!: string;

  @ApiProperty({ example: 'Acme' })
  tenant_name!: string;

  @ApiProperty({ example: 'ana@example.com' })
  email!: string;

  @ApiProperty({ enum: TENANT_ROLES, example: 'member' })
  role!: TenantRole;
}
