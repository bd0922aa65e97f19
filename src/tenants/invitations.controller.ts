import { Body, Controller, Delete, Get, HttpCode, Post, Query, Req, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import { CurrentPrincipal, Public, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { ApiErrorResponses } from '../common/api-docs';
import { requestOriginOf } from '../common/request-origin';
import { UuidParam } from '../common/uuid-param';
import { AcceptInvitationDto, CreateInvitationDto, InvitationPreviewQueryDto } from './dto/members.dto';
import { InvitationsService } from './invitations.service';
import {
  InvitationAcceptedResponse,
  InvitationCreatedResponse,
  InvitationListResponse,
  InvitationPreviewResponse,
} from './members.response';

/**
 * Invitations to the caller's tenant (owner or admin), and the two public steps of a link: preview
 * and accept. The public ones are rate limited per client address like logins (LOGIN_RATE_LIMIT and
 * LOGIN_IP_RATE_LIMIT per LOGIN_RATE_WINDOW_SECONDS).
 */
@ApiTags('Members')
@Controller('api/v1/invitations')
export class InvitationsController {
  constructor(private readonly invitations: InvitationsService) {}

  /** The tenant's invitations, newest first, with their status. */
  @ApiBearerAuth()
  @Get()
  @Roles('owner', 'admin')
  @ApiOkResponse({ type: InvitationListResponse })
  @ApiErrorResponses([401, 403])
  async list(@CurrentPrincipal() p: Principal): Promise<InvitationListResponse> {
    return { data: await this.invitations.list(p.tenantId) };
  }

  /**
   * Invite an email with a role. There is no mail transport: `accept_url` is returned here (only
   * once: just its hash is stored) and logged. Valid 7 days, single use. Only an owner invites an owner.
   */
  @ApiBearerAuth()
  @Post()
  @Roles('owner', 'admin')
  @ApiCreatedResponse({ type: InvitationCreatedResponse })
  @ApiErrorResponses([400, 401, 403, 409])
  create(
    @CurrentPrincipal() p: Principal,
    @Body() dto: CreateInvitationDto,
  ): Promise<InvitationCreatedResponse> {
    return this.invitations.create(p, dto.email, dto.role);
  }

  /** What the link offers. Unknown, expired, revoked or used token: 404 invitation_not_found. */
  @Public()
  @UseGuards(ThrottlerGuard)
  @Get('preview')
  @ApiOkResponse({ type: InvitationPreviewResponse })
  @ApiErrorResponses([400, 404, 429])
  preview(@Query() q: InvitationPreviewQueryDto): Promise<InvitationPreviewResponse> {
    return this.invitations.preview(q.token);
  }

  /**
   * Accept the link: a new email gets an account with this password; an existing account gives its
   * own password (401 invalid_credentials otherwise). Then sign in normally (POST /api/v1/auth/login).
   */
  @Public()
  @UseGuards(ThrottlerGuard)
  @Post('accept')
  @HttpCode(200)
  @ApiOkResponse({ type: InvitationAcceptedResponse })
  @ApiErrorResponses([400, 401, 404, 409, 429])
  accept(
    @Body() dto: AcceptInvitationDto,
    @Req() req: { id?: string; ip?: string },
  ): Promise<InvitationAcceptedResponse> {
    return this.invitations.accept(dto, requestOriginOf(req));
  }

  /** Revoke a pending invitation: its link stops working. */
  @ApiBearerAuth()
  @Delete(':id')
  @Roles('owner', 'admin')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'revoked' })
  @ApiErrorResponses([400, 401, 403, 404])
  async revoke(@CurrentPrincipal() p: Principal, @UuidParam() id: string): Promise<void> {
    await this.invitations.revoke(p, id);
  }
}
