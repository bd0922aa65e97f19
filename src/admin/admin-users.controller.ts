import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, PlatformAdminOnly } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import type { User } from '../auth/user.entity';
import { isoMicros } from '../common/time';
import { UuidParam } from '../common/uuid-param';
import { UserStatusService } from './user-status.service';

const toResponse = (u: User): Record<string, unknown> => ({
  id: u.id,
  email: u.email,
  name: u.name,
  is_platform_admin: u.isPlatformAdmin,
  disabled: u.disabledAt !== null,
  disabled_at: isoMicros(u.disabledAt),
});

/** Platform-operator actions on user accounts; each change is audited. */
@ApiTags('admin')
@ApiBearerAuth()
@PlatformAdminOnly()
@Controller('api/v1/admin/users')
export class AdminUsersController {
  constructor(private readonly users: UserStatusService) {}

  /** Refuse the account's logins, JWTs and platform tokens (within AUTH_RECHECK_SECONDS everywhere). */
  @Post(':id/disable')
  @HttpCode(200)
  async disable(@CurrentPrincipal() p: Principal, @UuidParam() id: string): Promise<Record<string, unknown>> {
    return toResponse(await this.users.setDisabled(p.userId, id, true));
  }

  @Post(':id/enable')
  @HttpCode(200)
  async enable(@CurrentPrincipal() p: Principal, @UuidParam() id: string): Promise<Record<string, unknown>> {
    return toResponse(await this.users.setDisabled(p.userId, id, false));
  }
}
