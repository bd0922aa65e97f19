import { Injectable, Logger } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { InjectDataSource } from '@nestjs/typeorm';
import * as argon2 from 'argon2';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { recordAudit } from '../audit/audit-log';
import { AppConfig } from '../config/app-config';
import { randomToken, sha256Hex } from '../common/crypto';
import { isUniqueViolation } from '../common/pg-errors';
import type { TenantRole } from '../tenants/membership.entity';
import { Tenant } from '../tenants/tenant.entity';
import { TenantsService } from '../tenants/tenants.service';
import { HashSlots } from './hash-slots';
import { PlatformToken } from './platform-token.entity';
import { PlatformTokenCache } from './platform-token-cache';
import { PrincipalCache } from './principal-cache';
import type { Principal } from './principal';
import { passwordHashOptions } from './password-hash';
import { PLATFORM_TOKEN_PREFIX } from './strategies/bearer-token';
import type { JwtClaims } from './strategies/jwt.strategy';
import { accountDisabled } from './strategies/token-holder';
import { User } from './user.entity';
import { AuthErrors } from './auth.errors';

/**
 * Registrations hash at most two passwords at once: libuv's pool has four threads (UV_THREADPOOL_SIZE),
 * so a burst of sign-ups leaves the other two to logins' argon2 verifications.
 */
const REGISTRATION_HASHING = new HashSlots(2);

@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);
  /** A real hash to verify against when the email is unknown, so timing does not reveal accounts. */
  private dummyHash: Promise<string> | undefined;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
    private readonly tenants: TenantsService,
    private readonly access: PrincipalCache,
    private readonly platformTokens: PlatformTokenCache,
  ) {}

  async register(input: {
    email: string;
    password: string;
    name: string;
    tenant_name?: string;
  }): Promise<{ user: User; tenant: Tenant }> {
    if (!this.config.registrationEnabled) {
      throw AuthErrors.registration_disabled('registration is switched off on this platform');
    }
    const email = input.email.trim().toLowerCase();
    const passwordHash = await this.hashNewPassword(input.password);
    try {
      return await this.db.transaction(async (m) => {
        const user = m.create(User, {
          id: randomUUID(),
          email,
          name: input.name,
          passwordHash,
          isPlatformAdmin: false,
        });
        await m.insert(User, user);
        const tenant = await this.tenants.createWithOwner(
          m,
          input.tenant_name ?? `${input.name}'s workspace`,
          user.id,
        );
        return { user, tenant };
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw AuthErrors.email_taken('an account with this email already exists');
      throw err;
    }
  }

  /**
   * The account of this email and password (401 invalid_credentials, 401 account_disabled), with its
   * cached access dropped: a fresh sign-in sees the account as it is now. Used by login and the
   * console's session sign-in.
   */
  async authenticate(emailRaw: string, password: string): Promise<User> {
    const email = emailRaw.trim().toLowerCase();
    const user = await this.db.getRepository(User).findOne({ where: { email } });
    if (!(await this.passwordMatches(user, password)) || !user)
      throw AuthErrors.invalid_credentials('email or password is wrong');
    // After the password check, so a disabled account is only revealed to whoever knows its password.
    if (user.disabledAt) throw accountDisabled();
    // A fresh login sees the account as it is now: its next requests re-read role and flags.
    this.access.invalidateUser(user.id);
    return user;
  }

  /** The user's membership of `tenantId` (403 no_tenant when none), or their primary one. */
  async membershipFor(userId: string, tenantId?: string): Promise<{ tenantId: string; role: TenantRole }> {
    if (tenantId) {
      const role = await this.tenants.roleOf(this.db.manager, tenantId, userId);
      if (!role) throw AuthErrors.no_tenant('this account is no member of that tenant');
      return { tenantId, role };
    }
    const membership = await this.tenants.primaryMembership(this.db.manager, userId);
    if (!membership) throw AuthErrors.no_tenant('this account belongs to no tenant');
    return { tenantId: membership.tenantId, role: membership.role };
  }

  /**
   * Sign in to the tenant `tenantId` names (one of the account's memberships), or without it to the
   * primary membership (the oldest owned tenant, else the oldest membership).
   */
  async login(
    emailRaw: string,
    password: string,
    tenantId?: string,
  ): Promise<{ access_token: string; token_type: 'Bearer'; expires_in: number }> {
    const user = await this.authenticate(emailRaw, password);
    const membership = await this.membershipFor(user.id, tenantId);
    const claims: JwtClaims = {
      sub: user.id,
      tid: membership.tenantId,
      role: membership.role,
      pa: user.isPlatformAdmin,
      ims: Date.now(),
    };
    const access_token = await this.jwt.signAsync(claims, { expiresIn: this.config.jwtExpiresIn });
    return { access_token, token_type: 'Bearer', expires_in: this.config.jwtExpiresIn };
  }

  /** A new password's hash (the registration's parameters and concurrency bound). */
  hashNewPassword(password: string): Promise<string> {
    return REGISTRATION_HASHING.run(() => argon2.hash(password, passwordHashOptions(this.config)));
  }

  /** Whether `password` is the account's; an unknown account (null) costs the same as a known one. */
  async passwordMatches(user: User | null, password: string): Promise<boolean> {
    const hash = user?.passwordHash ?? (await this.getDummyHash());
    const ok = await argon2.verify(hash, password).catch(() => false);
    return !!user && ok;
  }

  async me(p: Principal): Promise<{ user: User; tenant: Tenant; role: TenantRole }> {
    const user = await this.db.getRepository(User).findOneOrFail({ where: { id: p.userId } });
    const tenant = await this.db.getRepository(Tenant).findOneOrFail({ where: { id: p.tenantId } });
    return { user, tenant, role: p.role };
  }

  /** A new platform token for the caller; audited (`platform_token.create`, never the token itself). */
  async createPlatformToken(p: Principal, name: string): Promise<{ token: PlatformToken; secret: string }> {
    const secret = PLATFORM_TOKEN_PREFIX + randomToken(32);
    const token = this.db.getRepository(PlatformToken).create({
      id: randomUUID(),
      tenantId: p.tenantId,
      userId: p.userId,
      name,
      tokenHash: sha256Hex(secret),
      revokedAt: null,
    });
    await this.db.transaction(async (m) => {
      await m.insert(PlatformToken, token);
      await recordAudit(m, p, {
        tenantId: p.tenantId,
        action: 'platform_token.create',
        target: `platform_token:${token.id}`,
        after: { id: token.id, name, user_id: p.userId },
      });
    });
    return { token, secret };
  }

  async listPlatformTokens(p: Principal): Promise<PlatformToken[]> {
    return this.db.getRepository(PlatformToken).find({
      where: { tenantId: p.tenantId, userId: p.userId, revokedAt: IsNull() },
      order: { createdAt: 'DESC' },
    });
  }

  /** Revoke one of the caller's tokens (audited); another user's or tenant's token answers 404. */
  async revokePlatformToken(p: Principal, id: string): Promise<void> {
    await this.db.transaction(async (m) => {
      const res = await m.update(
        PlatformToken,
        { id, tenantId: p.tenantId, userId: p.userId, revokedAt: IsNull() },
        { revokedAt: new Date() },
      );
      if (!res.affected) throw AuthErrors.token_not_found('token not found');
      await recordAudit(m, p, {
        tenantId: p.tenantId,
        action: 'platform_token.revoke',
        target: `platform_token:${id}`,
        before: { revoked: false },
        after: { revoked: true },
      });
    });
    this.platformTokens.invalidateToken(id);
  }

  /**
   * Revoke every live platform token of the user in this tenant (removed from it), in the caller's
   * transaction; their ids, for forgetPlatformTokens once it has committed.
   */
  async revokePlatformTokensIn(m: EntityManager, tenantId: string, userId: string): Promise<string[]> {
    const rows = await m.query<{ id: string }[]>(
      `WITH revoked AS (
         UPDATE platform_tokens SET revoked_at = now()
          WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING id)
       SELECT id FROM revoked`,
      [tenantId, userId],
    );
    return rows.map((r) => r.id);
  }

  /** Forget revoked platform tokens in this process's cache (after the revoking transaction committed). */
  forgetPlatformTokens(ids: readonly string[]): void {
    for (const id of ids) this.platformTokens.invalidateToken(id);
  }

  /**
   * Create the platform admin named by ADMIN_EMAIL / ADMIN_PASSWORD when no account has that email.
   * An existing platform admin is left as it is (its password is its own). An existing account that
   * is no platform admin is never promoted implicitly (whoever registered the address first would
   * become admin, keeping their password): the start stops, naming the command that promotes it.
   */
  async bootstrapAdmin(): Promise<void> {
    const { adminEmail, adminPassword } = this.config;
    if (!adminEmail || !adminPassword) return;
    const email = adminEmail.toLowerCase();
    await this.db.transaction(async (m) => {
      const existing = await m.findOne(User, { where: { email } });
      if (existing?.isPlatformAdmin) {
        // Never reset here: the admin may have changed its password since. But say so, rather than
        // ignore ADMIN_PASSWORD silently.
        if (!(await argon2.verify(existing.passwordHash, adminPassword).catch(() => false)))
          this.logger.warn(
            `ADMIN_PASSWORD is not the password of the existing platform admin ${email}; it was left unchanged ` +
              '(ADMIN_PASSWORD is only used to create the admin)',
          );
        return;
      }
      if (existing) throw new Error(adminEmailTakenMessage(email));
      const passwordHash = await argon2.hash(adminPassword, passwordHashOptions(this.config));
      const user = m.create(User, {
        id: randomUUID(),
        email,
        name: 'Platform admin',
        passwordHash,
        isPlatformAdmin: true,
      });
      await m.insert(User, user);
      await this.tenants.createWithOwner(m, 'Platform', user.id);
      this.logger.log(`platform admin ${email} created`);
    });
  }

  private getDummyHash(): Promise<string> {
    this.dummyHash ??= argon2.hash(randomToken(16), passwordHashOptions(this.config));
    return this.dummyHash;
  }
}

/** Why the start stops when ADMIN_EMAIL names an account that is no platform admin. */
export function adminEmailTakenMessage(email: string): string {
  return (
    `ADMIN_EMAIL=${email} belongs to an existing account that is not a platform admin; paymux does not ` +
    'promote it implicitly (whoever registered the address would become admin, keeping their own password ' +
    `and ignoring ADMIN_PASSWORD). To make that account the platform admin, run \`npm run admin:promote -- ${email}\` ` +
    `(built: \`npm run paymux:prod -- admin promote ${email}\`); otherwise set ADMIN_EMAIL to another address.`
  );
}
