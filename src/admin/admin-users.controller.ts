import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, PlatformAdminOnly } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { ApiErrorResponses } from '../common/api-docs';
import { UuidParam } from '../common/uuid-param';
import { AdminUserResponse, toAdminUserResponse } from './admin-user.response';
import { UserStatusService } from './user-status.service';

/** Platform-operator actions on user accounts; each change is audited. */
@ApiTags('Admin')
@ApiBearerAuth()
@ApiErrorResponses([400, 401, 403, 404])
@PlatformAdminOnly()
@Controller('api/v1/admin/users')
export class AdminUsersController {
  constructor(private readonly users: UserStatusService) {}

  /** Refuse the account's logins, JWTs and platform tokens (within AUTH_RECHECK_SECONDS everywhere). */
  @Post(':id/disable')
  @HttpCode(200)
  @ApiOkResponse({ type: AdminUserResponse })
  @ApiErrorResponses([409])
  async disable(@CurrentPrincipal() p: Principal, @UuidParam() id: string): Promise<AdminUserResponse> {
    return toAdminUserResponse(await this.users.setDisabled(p.userId, id, true));
  }

  @Post(':id/enable')
  @HttpCode(200)
  @ApiOkResponse({ type: AdminUserResponse })
  async enable(@CurrentPrincipal() p: Principal, @UuidParam() id: string): Promise<AdminUserResponse> {
    return toAdminUserResponse(await this.users.setDisabled(p.userId, id, false));
  }
}
