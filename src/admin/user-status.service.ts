import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ConsoleSessionsService } from '../auth/console-sessions.service';
import { PrincipalCache } from '../auth/principal-cache';
import { User } from '../auth/user.entity';
import { recordAudit } from '../audit/audit-log';
import type { Principal } from '../auth/principal';
import { AdminErrors } from './admin.errors';
import { AuthErrors } from '../auth/auth.errors';

/**
 * Disabling and enabling accounts (platform admins only). A disabled account cannot log in and its
 * JWTs, platform tokens and console sessions are refused: at once in this process, within
 * AUTH_RECHECK_SECONDS in the others (its console sessions end for good). Every change is audited in the same transaction.
 */
@Injectable()
export class UserStatusService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly access: PrincipalCache,
    private readonly sessions: ConsoleSessionsService,
  ) {}

  async setDisabled(actor: Principal, userId: string, disabled: boolean): Promise<User> {
    if (disabled && actor.userId === userId)
      throw AdminErrors.cannot_disable_self('a platform admin cannot disable their own account');
    const user = await this.db.transaction(async (m) => {
      const before = await m.findOne(User, { where: { id: userId }, lock: { mode: 'pessimistic_write' } });
      if (!before) throw AuthErrors.user_not_found('user not found');
      const wasDisabled = before.disabledAt !== null;
      if (wasDisabled !== disabled) {
        await m.query(`UPDATE users SET disabled_at = ${disabled ? 'now()' : 'NULL'} WHERE id = $1`, [
          userId,
        ]);
        // A disabled account's console sessions end for good (enabling it again does not revive them).
        if (disabled) await this.sessions.revokeForUser(m, userId);
        await recordAudit(m, actor, {
          tenantId: null,
          action: disabled ? 'user.disable' : 'user.enable',
          target: `user:${userId}`,
          data: { from: wasDisabled ? 'disabled' : 'enabled', to: disabled ? 'disabled' : 'enabled' },
        });
      }
      return m.findOneOrFail(User, { where: { id: userId } });
    });
    this.access.invalidateUser(userId);
    return user;
  }
}
