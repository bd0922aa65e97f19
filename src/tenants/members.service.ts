import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { recordAudit } from '../audit/audit-log';
import { AuthService } from '../auth/auth.service';
import { ConsoleSessionsService } from '../auth/console-sessions.service';
import type { Principal } from '../auth/principal';
import { PrincipalCache } from '../auth/principal-cache';
import { CommonErrors } from '../common/common.errors';
import { isoMicros } from '../common/time';
import type { TenantRole } from './membership.entity';
import type { MemberResponse } from './members.response';
import { MemberErrors } from './members.errors';

interface MemberRow {
  user_id: string;
  email: string;
  name: string;
  role: TenantRole;
  created_at: Date;
}

const toMember = (r: MemberRow): MemberResponse => ({
  user_id: r.user_id,
  email: r.email,
  name: r.name,
  role: r.role,
  created_at: isoMicros(r.created_at),
});

/** Owners, and platform operators (who pass every role check), may grant and take the owner role. */
export const actsAsOwner = (p: Principal): boolean => p.role === 'owner' || p.platformAdmin;

/**
 * A tenant's members: list, change a role, remove. Changes lock the tenant's memberships (so two
 * concurrent demotions cannot leave it without an owner), are audited in their transaction, and take
 * effect at once: the member's cached access is dropped after the commit, so their very next request
 * (old JWT or platform token) gets the new role or a 401 (other processes within AUTH_RECHECK_SECONDS).
 */
@Injectable()
export class MembersService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly access: PrincipalCache,
    private readonly auth: AuthService,
    private readonly sessions: ConsoleSessionsService,
  ) {}

  async list(tenantId: string): Promise<MemberResponse[]> {
    const rows = await this.db.query<MemberRow[]>(
      `SELECT m.user_id, u.email, u.name, m.role, m.created_at
         FROM memberships m JOIN users u ON u.id = m.user_id
        WHERE m.tenant_id = $1 ORDER BY m.created_at, m.user_id`,
      [tenantId],
    );
    return rows.map(toMember);
  }

  async changeRole(p: Principal, userId: string, role: TenantRole): Promise<MemberResponse> {
    const member = await this.db.transaction(async (m) => {
      const { target, owners } = await this.lockMember(m, p.tenantId, userId);
      if (target.role === role) return target;
      if ((target.role === 'owner' || role === 'owner') && !actsAsOwner(p))
        throw CommonErrors.forbidden('only an owner may grant or take the owner role');
      if (target.role === 'owner' && owners === 1)
        throw MemberErrors.last_owner('the tenant must keep an owner: make another member owner first');
      await m.query(`UPDATE memberships SET role = $3 WHERE tenant_id = $1 AND user_id = $2`, [
        p.tenantId,
        userId,
        role,
      ]);
      await recordAudit(m, p, {
        tenantId: p.tenantId,
        action: 'member.role_change',
        target: `user:${userId}`,
        before: { role: target.role },
        after: { role },
      });
      return { ...target, role };
    });
    this.access.invalidateUser(userId);
    return toMember(member);
  }

  /**
   * Remove a member (they may remove themselves); their platform tokens and console sessions for this
   * tenant end with it.
   */
  async remove(p: Principal, userId: string): Promise<void> {
    const revoked = await this.db.transaction(async (m) => {
      const { target, owners } = await this.lockMember(m, p.tenantId, userId);
      if (target.role === 'owner' && !actsAsOwner(p))
        throw CommonErrors.forbidden('only an owner may remove an owner');
      if (target.role === 'owner' && owners === 1)
        throw MemberErrors.last_owner('the tenant must keep an owner: make another member owner first');
      await m.query(`DELETE FROM memberships WHERE tenant_id = $1 AND user_id = $2`, [p.tenantId, userId]);
      const tokens = await this.auth.revokePlatformTokensIn(m, p.tenantId, userId);
      const sessions = await this.sessions.revokeForUser(m, userId, p.tenantId);
      await recordAudit(m, p, {
        tenantId: p.tenantId,
        action: 'member.remove',
        target: `user:${userId}`,
        before: { email: target.email, role: target.role },
        data: { platform_tokens_revoked: tokens.length, console_sessions_ended: sessions },
      });
      return tokens;
    });
    this.access.invalidateUser(userId);
    this.auth.forgetPlatformTokens(revoked);
  }

  /** Lock the tenant's memberships; the member (404 when not of this tenant) and the number of owners. */
  private async lockMember(
    m: EntityManager,
    tenantId: string,
    userId: string,
  ): Promise<{ target: MemberRow; owners: number }> {
    const rows = await m.query<{ user_id: string; role: TenantRole }[]>(
      `SELECT user_id, role FROM memberships WHERE tenant_id = $1 ORDER BY user_id FOR UPDATE`,
      [tenantId],
    );
    if (!rows.some((r) => r.user_id === userId)) throw MemberErrors.member_not_found('member not found');
    const [target] = await m.query<MemberRow[]>(
      `SELECT m.user_id, u.email, u.name, m.role, m.created_at
         FROM memberships m JOIN users u ON u.id = m.user_id
        WHERE m.tenant_id = $1 AND m.user_id = $2`,
      [tenantId, userId],
    );
    return { target, owners: rows.filter((r) => r.role === 'owner').length };
  }
}
