import { Body, Controller, Delete, Get, HttpCode, Patch } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { ApiErrorResponses } from '../common/api-docs';
import { UuidParam } from '../common/uuid-param';
import { ChangeMemberRoleDto } from './dto/members.dto';
import { MemberListResponse, MemberResponse } from './members.response';
import { MembersService } from './members.service';

/** The caller's tenant's members. Changes are audited and take effect on the member's next request. */
@ApiTags('Members')
@ApiBearerAuth()
@ApiErrorResponses([401])
@Controller('api/v1/members')
export class MembersController {
  constructor(private readonly members: MembersService) {}

  /** Every member of the tenant, oldest first. Any role. */
  @Get()
  @ApiOkResponse({ type: MemberListResponse })
  async list(@CurrentPrincipal() p: Principal): Promise<MemberListResponse> {
    return { data: await this.members.list(p.tenantId) };
  }

  /**
   * Change a member's role. Owner or admin; only an owner may grant or take `owner`, and the last
   * owner cannot be demoted (409 last_owner).
   */
  @Patch(':user_id')
  @Roles('owner', 'admin')
  @ApiOkResponse({ type: MemberResponse })
  @ApiErrorResponses([400, 403, 404, 409])
  changeRole(
    @CurrentPrincipal() p: Principal,
    @UuidParam('user_id') userId: string,
    @Body() dto: ChangeMemberRoleDto,
  ): Promise<MemberResponse> {
    return this.members.changeRole(p, userId, dto.role);
  }

  /**
   * Remove a member, at once: their JWTs for this tenant are refused from the next request and their
   * platform tokens for it revoked. Owner or admin (only an owner removes an owner); not the last owner.
   */
  @Delete(':user_id')
  @Roles('owner', 'admin')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'removed' })
  @ApiErrorResponses([400, 403, 404, 409])
  async remove(@CurrentPrincipal() p: Principal, @UuidParam('user_id') userId: string): Promise<void> {
    await this.members.remove(p, userId);
  }
}
