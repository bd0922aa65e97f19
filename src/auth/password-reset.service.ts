import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, IsNull } from 'typeorm';
import { recordAudit } from '../audit/audit-log';
import { CommonErrors } from '../common/common.errors';
import { randomToken, sha256Hex } from '../common/crypto';
import { passwordProblem } from '../common/password-policy';
import type { RequestOrigin } from '../common/request-origin';
import { isoMicros } from '../common/time';
import { AppConfig } from '../config/app-config';
import { AuthErrors } from './auth.errors';
import { AuthService } from './auth.service';
import { PasswordResetToken } from './password-reset-token.entity';
import type { Principal } from './principal';
import { PrincipalCache } from './principal-cache';
import { ConsoleSessionsService } from './console-sessions.service';
import { User } from './user.entity';

/** How long a password-reset link stays valid. */
export const PASSWORD_RESET_TTL_MS = 3600 * 1000;

const notFound = (): Error =>
  AuthErrors.reset_token_not_found('reset link not found, expired or already used; ask for a new one');

/**
 * Password resets: a platform operator makes a one-time link (1 hour; the token is 32 random bytes,
 * stored only as its SHA-256; shown to the operator and logged, there is no mail transport); whoever
 * holds it sets a new password once. The reset ends the account's signed-in state: JWTs issued before
 * it are refused (users.password_changed_at against the token's issue time, JwtStrategy), from the
 * very next request in this process. Platform tokens are left alone (revocable one by one).
 */
@Injectable()
export class PasswordResetService {
  private readonly logger = new Logger(PasswordResetService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: AppConfig,
    private readonly auth: AuthService,
    private readonly access: PrincipalCache,
    private readonly sessions: ConsoleSessionsService,
  ) {}

  /** A new reset link for the account (an operator's action, audited). */
  async createLink(p: Principal, userId: string): Promise<{ reset_url: string; expires_at: string }> {
    const token = randomToken(32);
    const { email, expiresAt } = await this.db.transaction(async (m) => {
      const user = await m.findOne(User, { where: { id: userId } });
      if (!user) throw AuthErrors.user_not_found('user not found');
      const row = m.create(PasswordResetToken, {
        id: randomUUID(),
        userId,
        tokenHash: sha256Hex(token),
        expiresAt: new Date(Date.now() + PASSWORD_RESET_TTL_MS),
        usedAt: null,
        createdBy: p.userId,
      });
      await m.insert(PasswordResetToken, row);
      await recordAudit(m, p, {
        tenantId: null,
        action: 'user.password_reset_link',
        target: `user:${userId}`,
        data: { reset_id: row.id, expires_at: row.expiresAt },
      });
      return { email: user.email, expiresAt: row.expiresAt };
    });
    const url = `${this.config.baseUrl()}/admin/reset-password?token=${token}`;
    // No mail transport: the operator hands the link on (also from the log).
    this.logger.log(`password reset link for ${email}: ${url}`);
    return { reset_url: url, expires_at: isoMicros(expiresAt) };
  }

  /**
   * Set the password the link is for (the registration's rules), once. Every other unused link of the
   * account is used up too; JWTs issued before now are refused. The account itself is the audit actor.
   */
  async reset(token: string, password: string, origin: RequestOrigin): Promise<void> {
    const found = await this.db
      .getRepository(PasswordResetToken)
      .findOne({ where: { tokenHash: sha256Hex(token), usedAt: IsNull() } });
    if (!found || found.expiresAt.getTime() <= Date.now()) throw notFound();
    const user = await this.db.getRepository(User).findOne({ where: { id: found.userId } });
    if (!user) throw notFound();
    const problem = passwordProblem(password, user.email);
    if (problem)
      throw CommonErrors.validation_failed(problem, { fields: [{ field: 'password', problems: [problem] }] });
    const passwordHash = await this.auth.hashNewPassword(password);
    await this.db.transaction(async (m) => {
      // Again under the row lock: one link sets one password.
      const locked = await m.findOne(PasswordResetToken, {
        where: { id: found.id },
        lock: { mode: 'pessimistic_write' },
      });
      if (!locked || locked.usedAt || locked.expiresAt.getTime() <= Date.now()) throw notFound();
      // This process's clock, like the JWTs' issue times it is compared with.
      const now = new Date();
      await m.update(User, { id: user.id }, { passwordHash, passwordChangedAt: now });
      await m.update(PasswordResetToken, { userId: user.id, usedAt: IsNull() }, { usedAt: now });
      // Whoever was signed in to the console with the old password is signed out.
      await this.sessions.revokeForUser(m, user.id);
      await recordAudit(
        m,
        { userId: user.id, origin },
        {
          tenantId: null,
          action: 'user.password_reset',
          target: `user:${user.id}`,
          data: { reset_id: found.id, link_by: found.createdBy },
        },
      );
    });
    this.access.invalidateUser(user.id);
  }
}
