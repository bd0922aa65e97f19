import { Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { PasswordResetService } from '../auth/password-reset.service';
import { CurrentPrincipal, PlatformAdminOnly } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { ApiErrorResponses } from '../common/api-docs';
import { UuidParam } from '../common/uuid-param';
import {
  AdminUserDetailResponse,
  AdminUserPageResponse,
  AdminUserResponse,
  PasswordResetLinkResponse,
  toAdminUserResponse,
} from './admin-user.response';
import { AdminUsersService } from './admin-users.service';
import { ListUsersQueryDto } from './dto/admin-users.dto';
import { UserStatusService } from './user-status.service';

/** Platform operators' view of user accounts (list, search, detail) and their actions on them; each change is audited. */
@ApiTags('Admin')
@ApiBearerAuth()
@ApiErrorResponses([400, 401, 403])
@PlatformAdminOnly()
@Controller('api/v1/admin/users')
export class AdminUsersController {
  constructor(
    private readonly users: UserStatusService,
    private readonly directory: AdminUsersService,
    private readonly passwordResets: PasswordResetService,
  ) {}

  /** Newest first; `q` searches the email and the name (case-insensitive substring) and the exact id. */
  @Get()
  @ApiOkResponse({ type: AdminUserPageResponse })
  list(@Query() q: ListUsersQueryDto): Promise<AdminUserPageResponse> {
    return this.directory.list({
      q: q.q,
      disabled: q.disabled === undefined ? undefined : q.disabled === 'true',
      limit: q.limit ?? 50,
      cursor: q.cursor,
    });
  }

  /** One account with its memberships (never its password hash). */
  @Get(':id')
  @ApiOkResponse({ type: AdminUserDetailResponse })
  @ApiErrorResponses([404])
  detail(@UuidParam() id: string): Promise<AdminUserDetailResponse> {
    return this.directory.detail(id);
  }

  /** Refuse the account's logins, JWTs and platform tokens (within AUTH_RECHECK_SECONDS everywhere). */
  @Post(':id/disable')
  @HttpCode(200)
  @ApiOkResponse({ type: AdminUserResponse })
  @ApiErrorResponses([404, 409])
  async disable(@CurrentPrincipal() p: Principal, @UuidParam() id: string): Promise<AdminUserResponse> {
    return toAdminUserResponse(await this.users.setDisabled(p, id, true));
  }

  @Post(':id/enable')
  @HttpCode(200)
  @ApiOkResponse({ type: AdminUserResponse })
  @ApiErrorResponses([404])
  async enable(@CurrentPrincipal() p: Principal, @UuidParam() id: string): Promise<AdminUserResponse> {
    return toAdminUserResponse(await this.users.setDisabled(p, id, false));
  }
  /**
   * A one-time password-reset link for the account (1 hour, single use; shown here and logged, there
   * is no mail transport). Audited.
   */
  @Post(':id/password-reset')
  @ApiCreatedResponse({ type: PasswordResetLinkResponse })
  @ApiErrorResponses([404])
  passwordReset(
    @CurrentPrincipal() p: Principal,
    @UuidParam() id: string,
  ): Promise<PasswordResetLinkResponse> {
    return this.passwordResets.createLink(p, id);
  }
}
