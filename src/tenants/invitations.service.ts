import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { recordAudit } from '../audit/audit-log';
import { AuthErrors } from '../auth/auth.errors';
import { AuthService } from '../auth/auth.service';
import type { Principal } from '../auth/principal';
import { PrincipalCache } from '../auth/principal-cache';
import { accountDisabled } from '../auth/strategies/token-holder';
import { User } from '../auth/user.entity';
import { CommonErrors } from '../common/common.errors';
import { randomToken, sha256Hex } from '../common/crypto';
import { passwordProblem } from '../common/password-policy';
import { isUniqueViolation } from '../common/pg-errors';
import type { RequestOrigin } from '../common/request-origin';
import { isoMicros } from '../common/time';
import { AppConfig } from '../config/app-config';
import { Invitation } from './invitation.entity';
import { Membership, TenantRole } from './membership.entity';
import { actsAsOwner } from './members.service';
import { MemberErrors } from './members.errors';
import type {
  InvitationAcceptedResponse,
  InvitationCreatedResponse,
  InvitationPreviewResponse,
  InvitationResponse,
  InvitationStatus,
} from './members.response';

/** How long an invitation link stays valid. */
export const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000;

interface InvitationRow {
  id: string;
  email: string;
  role: TenantRole;
  invited_by_email: string | null;
  expires_at: Date;
  accepted_at: Date | null;
  revoked_at: Date | null;
  created_at: Date;
}

const statusOf = (
  i: { acceptedAt: Date | null; revokedAt: Date | null; expiresAt: Date },
  now = Date.now(),
): InvitationStatus => {
  if (i.acceptedAt) return 'accepted';
  if (i.revokedAt) return 'revoked';
  return i.expiresAt.getTime() <= now ? 'expired' : 'pending';
};

const notFound = (): Error =>
  MemberErrors.invitation_not_found('invitation not found, expired or already used');

/**
 * Invitations to a tenant by email. There is no mail transport: the link (`accept_url`) is shown to
 * the inviter once and logged at info level. The token is 32 random bytes (base64url); only its
 * SHA-256 is stored and looked up. An invitation is single use, revocable, and valid for 7 days.
 */
@Injectable()
export class InvitationsService {
  private readonly logger = new Logger(InvitationsService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: AppConfig,
    private readonly auth: AuthService,
    private readonly access: PrincipalCache,
  ) {}

  /** The tenant's invitations, newest first. */
  async list(tenantId: string): Promise<InvitationResponse[]> {
    const rows = await this.db.query<InvitationRow[]>(
      `SELECT i.id, i.email, i.role, u.email AS invited_by_email, i.expires_at, i.accepted_at,
              i.revoked_at, i.created_at
         FROM invitations i LEFT JOIN users u ON u.id = i.invited_by
        WHERE i.tenant_id = $1 ORDER BY i.created_at DESC, i.id DESC`,
      [tenantId],
    );
    const now = Date.now();
    return rows.map((r) => ({
      id: r.id,
      email: r.email,
      role: r.role,
      status: statusOf({ acceptedAt: r.accepted_at, revokedAt: r.revoked_at, expiresAt: r.expires_at }, now),
      invited_by_email: r.invited_by_email,
      expires_at: isoMicros(r.expires_at),
      created_at: isoMicros(r.created_at),
      accepted_at: isoMicros(r.accepted_at),
    }));
  }

  async create(p: Principal, emailRaw: string, role: TenantRole): Promise<InvitationCreatedResponse> {
    if (role === 'owner' && !actsAsOwner(p))
      throw CommonErrors.forbidden('only an owner may invite an owner');
    const email = emailRaw.trim().toLowerCase();
    const token = randomToken(32);
    const invitation = await this.db.transaction(async (m) => {
      const [member] = await m.query<unknown[]>(
        `SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.tenant_id = $1 AND u.email = $2`,
        [p.tenantId, email],
      );
      if (member) throw MemberErrors.already_member('this email already belongs to a member of the tenant');
      const row = m.create(Invitation, {
        id: randomUUID(),
        tenantId: p.tenantId,
        email,
        role,
        tokenHash: sha256Hex(token),
        invitedBy: p.userId,
        expiresAt: new Date(Date.now() + INVITATION_TTL_MS),
        acceptedAt: null,
        revokedAt: null,
      });
      await m.insert(Invitation, row);
      const created = await m.findOneOrFail(Invitation, { where: { id: row.id } });
      await recordAudit(m, p, {
        tenantId: p.tenantId,
        action: 'invitation.create',
        target: `invitation:${row.id}`,
        after: { email, role, expires_at: created.expiresAt },
      });
      return created;
    });
    const acceptUrl = `${this.config.baseUrl()}/admin/accept-invite?token=${token}`;
    // No mail transport: whoever runs the platform can hand the link on from the log.
    this.logger.log(`invitation link for ${email}: ${acceptUrl}`);
    return {
      id: invitation.id,
      email,
      role,
      status: 'pending',
      expires_at: isoMicros(invitation.expiresAt),
      created_at: isoMicros(invitation.createdAt),
      accept_url: acceptUrl,
    };
  }

  /** Revoke a pending (or expired) invitation of the caller's tenant; anything else answers 404. */
  async revoke(p: Principal, id: string): Promise<void> {
    await this.db.transaction(async (m) => {
      const inv = await m.findOne(Invitation, {
        where: { id, tenantId: p.tenantId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!inv || inv.acceptedAt || inv.revokedAt) throw notFound();
      await m.update(Invitation, { id }, { revokedAt: new Date() });
      await recordAudit(m, p, {
        tenantId: p.tenantId,
        action: 'invitation.revoke',
        target: `invitation:${id}`,
        before: { email: inv.email, role: inv.role, status: statusOf(inv) },
        after: { status: 'revoked' },
      });
    });
  }

  /** What a valid link offers (public: the token is the credential). */
  async preview(token: string): Promise<InvitationPreviewResponse> {
    const inv = await this.usable(token);
    const [tenant] = await this.db.query<{ name: string }[]>(`SELECT name FROM tenants WHERE id = $1`, [
      inv.tenantId,
    ]);
    const account = await this.db.getRepository(User).exists({ where: { email: inv.email } });
    return {
      tenant_name: tenant?.name ?? '',
      email: inv.email,
      role: inv.role,
      expires_at: isoMicros(inv.expiresAt),
      account_exists: account,
    };
  }

  /**
   * Accept a link: a new email gets an account with this password (the registration's rules), an
   * existing account must give its own password (401 otherwise). The membership is made, the
   * invitation used up, and the accepting user is the audit row's actor. Then they sign in normally.
   */
  async accept(
    input: { token: string; password: string; name?: string },
    origin: RequestOrigin,
  ): Promise<InvitationAcceptedResponse> {
    const inv = await this.usable(input.token);
    const existing = await this.db.getRepository(User).findOne({ where: { email: inv.email } });
    let newUser: User | null = null;
    if (existing) {
      if (!(await this.auth.passwordMatches(existing, input.password)))
        throw AuthErrors.invalid_credentials('the password is not the one of the account with this email');
      if (existing.disabledAt) throw accountDisabled();
    } else {
      const problem = passwordProblem(input.password, inv.email);
      if (problem)
        throw CommonErrors.validation_failed(problem, {
          fields: [{ field: 'password', problems: [problem] }],
        });
      newUser = this.db.getRepository(User).create({
        id: randomUUID(),
        email: inv.email,
        name: input.name?.trim() || inv.email.split('@')[0],
        passwordHash: await this.auth.hashNewPassword(input.password),
        isPlatformAdmin: false,
        disabledAt: null,
        passwordChangedAt: null,
      });
    }
    const userId = existing?.id ?? newUser!.id;
    const result = await this.db
      .transaction(async (m) => {
        // Again under the row lock: two acceptances of one link cannot both succeed.
        const locked = await m.findOne(Invitation, {
          where: { id: inv.id },
          lock: { mode: 'pessimistic_write' },
        });
        if (!locked || statusOf(locked) !== 'pending') throw notFound();
        if (newUser) await m.insert(User, newUser);
        const [member] = await m.query<unknown[]>(
          `SELECT 1 FROM memberships WHERE tenant_id = $1 AND user_id = $2`,
          [inv.tenantId, userId],
        );
        if (member) throw MemberErrors.already_member('this account is already a member of the tenant');
        await m.insert(Membership, { tenantId: inv.tenantId, userId, role: inv.role });
        await m.update(Invitation, { id: inv.id }, { acceptedAt: new Date() });
        await recordAudit(
          m,
          { userId, origin },
          {
            tenantId: inv.tenantId,
            action: 'invitation.accept',
            target: `invitation:${inv.id}`,
            after: { user_id: userId, email: inv.email, role: inv.role },
            data: { account_created: newUser !== null },
          },
        );
        const [tenant] = await m.query<{ name: string }[]>(`SELECT name FROM tenants WHERE id = $1`, [
          inv.tenantId,
        ]);
        return { tenant_id: inv.tenantId, tenant_name: tenant?.name ?? '', email: inv.email, role: inv.role };
      })
      .catch((err: unknown) => {
        // The email was registered, or the account joined, between the checks and the inserts.
        if (isUniqueViolation(err))
          throw newUser
            ? AuthErrors.email_taken('an account with this email was just created; accept with its password')
            : MemberErrors.already_member('this account is already a member of the tenant');
        throw err;
      });
    this.access.invalidateUser(userId);
    return result;
  }

  /** The pending invitation the token is for; unknown, used, revoked or expired: 404. */
  private async usable(token: string): Promise<Invitation> {
    const inv = await this.db.getRepository(Invitation).findOne({ where: { tokenHash: sha256Hex(token) } });
    if (!inv || statusOf(inv) !== 'pending') throw notFound();
    return inv;
  }
}
