import { Injectable, Logger } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { InjectDataSource } from '@nestjs/typeorm';
import * as argon2 from 'argon2';
import { randomUUID } from 'node:crypto';
import { DataSource, IsNull } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { randomToken, sha256Hex } from '../common/crypto';
import { conflict, DomainError, notFound } from '../common/domain-error';
import { isUniqueViolation } from '../common/pg-errors';
import { TenantRole, TENANT_ROLES } from '../tenants/membership.entity';
import { Tenant } from '../tenants/tenant.entity';
import { TenantsService } from '../tenants/tenants.service';
import { PlatformToken } from './platform-token.entity';
import type { Principal } from './principal';
import { passwordHashOptions } from './password-hash';
import { User } from './user.entity';

const PLATFORM_TOKEN_PREFIX = 'pmx_';

interface JwtClaims {
  sub: string;
  tid: string;
  role: TenantRole;
  pa: boolean;
}

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
  ) {}

  async register(input: {
    email: string;
    password: string;
    name: string;
    tenant_name?: string;
  }): Promise<{ user: User; tenant: Tenant }> {
    if (!this.config.registrationEnabled) {
      throw new DomainError('registration_disabled', 403, 'registration is switched off on this platform');
    }
    const email = input.email.trim().toLowerCase();
    const passwordHash = await argon2.hash(input.password, passwordHashOptions(this.config));
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
      if (isUniqueViolation(err)) throw conflict('email_taken', 'an account with this email already exists');
      throw err;
    }
  }

  async login(
    emailRaw: string,
    password: string,
  ): Promise<{ access_token: string; token_type: 'Bearer'; expires_in: number }> {
    const email = emailRaw.trim().toLowerCase();
    const user = await this.db.getRepository(User).findOne({ where: { email } });
    const hash = user?.passwordHash ?? (await this.getDummyHash());
    const ok = await argon2.verify(hash, password).catch(() => false);
    if (!user || !ok) throw new DomainError('invalid_credentials', 401, 'email or password is wrong');
    const membership = await this.tenants.primaryMembership(this.db.manager, user.id);
    if (!membership) throw new DomainError('no_tenant', 403, 'this account belongs to no tenant');
    const claims: JwtClaims = {
      sub: user.id,
      tid: membership.tenantId,
      role: membership.role,
      pa: user.isPlatformAdmin,
    };
    const access_token = await this.jwt.signAsync(claims, { expiresIn: this.config.jwtExpiresIn });
    return { access_token, token_type: 'Bearer', expires_in: this.config.jwtExpiresIn };
  }

  /** Resolve a Bearer token (JWT or platform token) to a principal, or null. */
  async authenticate(token: string): Promise<Principal | null> {
    if (token.startsWith(PLATFORM_TOKEN_PREFIX)) return this.authenticatePlatformToken(token);
    try {
      const c = await this.jwt.verifyAsync<JwtClaims>(token, { algorithms: ['HS256'] });
      if (typeof c.sub !== 'string' || typeof c.tid !== 'string' || !TENANT_ROLES.includes(c.role))
        return null;
      return { userId: c.sub, tenantId: c.tid, role: c.role, platformAdmin: c.pa === true, via: 'jwt' };
    } catch {
      return null;
    }
  }

  private async authenticatePlatformToken(token: string): Promise<Principal | null> {
    const rows = await this.db.query<
      { tenant_id: string; user_id: string; role: TenantRole; is_platform_admin: boolean }[]
    >(
      `SELECT t.tenant_id, t.user_id, m.role, u.is_platform_admin
         FROM platform_tokens t
         JOIN memberships m ON m.tenant_id = t.tenant_id AND m.user_id = t.user_id
         JOIN users u ON u.id = t.user_id
        WHERE t.token_hash = $1 AND t.revoked_at IS NULL`,
      [sha256Hex(token)],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      userId: row.user_id,
      tenantId: row.tenant_id,
      role: row.role,
      platformAdmin: row.is_platform_admin,
      via: 'platform_token',
    };
  }

  async me(p: Principal): Promise<{ user: User; tenant: Tenant; role: TenantRole }> {
    const user = await this.db.getRepository(User).findOneOrFail({ where: { id: p.userId } });
    const tenant = await this.db.getRepository(Tenant).findOneOrFail({ where: { id: p.tenantId } });
    return { user, tenant, role: p.role };
  }

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
    await this.db.getRepository(PlatformToken).insert(token);
    return { token, secret };
  }

  async listPlatformTokens(p: Principal): Promise<PlatformToken[]> {
    return this.db.getRepository(PlatformToken).find({
      where: { tenantId: p.tenantId, userId: p.userId, revokedAt: IsNull() },
      order: { createdAt: 'DESC' },
    });
  }

  /** Revoke one of the caller's tokens; another user's or tenant's token answers 404. */
  async revokePlatformToken(p: Principal, id: string): Promise<void> {
    const res = await this.db
      .getRepository(PlatformToken)
      .update({ id, tenantId: p.tenantId, userId: p.userId, revokedAt: IsNull() }, { revokedAt: new Date() });
    if (!res.affected) throw notFound('token');
  }

  /** Create or promote the platform admin named by ADMIN_EMAIL / ADMIN_PASSWORD. */
  async bootstrapAdmin(): Promise<void> {
    const { adminEmail, adminPassword } = this.config;
    if (!adminEmail || !adminPassword) return;
    const email = adminEmail.toLowerCase();
    await this.db.transaction(async (m) => {
      const existing = await m.findOne(User, { where: { email } });
      if (existing) {
        if (!existing.isPlatformAdmin) await m.update(User, { id: existing.id }, { isPlatformAdmin: true });
        return;
      }
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
