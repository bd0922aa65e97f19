import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { hmacSha256Hex, randomToken, safeEqual, sha256Hex } from '../common/crypto';
import { AppConfig } from '../config/app-config';
import { ConsoleSession } from './console-session.entity';

/** The httpOnly cookie holding the session token (the credential). */
export const SESSION_COOKIE = 'paymux_session';
/** The readable cookie the console copies into X-CSRF-Token on every write (not a credential). */
export const CSRF_COOKIE = 'paymux_csrf';
export const CSRF_HEADER = 'x-csrf-token';
/** A console session lasts this long from sign-in (then: sign in again). */
export const SESSION_TTL_SECONDS = 12 * 60 * 60;

/** Whose a live session is. */
export interface SessionOwner {
  sessionId: string;
  userId: string;
  tenantId: string;
}

/**
 * Console sessions: a random token in an httpOnly cookie, only its SHA-256 stored. The CSRF token is
 * derived from the session token (HMAC with the JWT secret), so it needs no storage, is worthless
 * without the session cookie, and a page on another site can neither read nor forge it.
 */
@Injectable()
export class ConsoleSessionsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: AppConfig,
  ) {}

  async start(
    userId: string,
    tenantId: string,
  ): Promise<{ token: string; csrf: string; expiresAt: Date; session: ConsoleSession }> {
    const token = randomToken(32);
    const expiresAt = new Date(Date.now() + SESSION_TTL_SECONDS * 1000);
    const session = this.db.getRepository(ConsoleSession).create({
      id: randomUUID(),
      userId,
      tenantId,
      tokenHash: sha256Hex(token),
      expiresAt,
      revokedAt: null,
    });
    await this.db.getRepository(ConsoleSession).insert(session);
    return { token, csrf: this.csrfFor(token), expiresAt, session };
  }

  /** The live (unexpired, unrevoked) session of this token, or null. */
  async find(token: string): Promise<SessionOwner | null> {
    const rows = await this.db.query<{ id: string; user_id: string; tenant_id: string }[]>(
      `SELECT id, user_id, tenant_id FROM console_sessions
        WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now()`,
      [sha256Hex(token)],
    );
    const row = rows[0];
    return row ? { sessionId: row.id, userId: row.user_id, tenantId: row.tenant_id } : null;
  }

  csrfFor(token: string): string {
    return hmacSha256Hex(this.config.jwtSecret, `console-csrf:${token}`);
  }

  csrfMatches(token: string, header: string | undefined): boolean {
    return typeof header === 'string' && safeEqual(header, this.csrfFor(token));
  }

  /** Logout: this session ends now. */
  async end(sessionId: string): Promise<void> {
    await this.db
      .getRepository(ConsoleSession)
      .update({ id: sessionId, revokedAt: IsNull() }, { revokedAt: new Date() });
  }

  /**
   * End every live session of the user (in one tenant, or all): the account disabled, the membership
   * removed, the password reset. Runs in the caller's transaction.
   */
  async revokeForUser(m: EntityManager, userId: string, tenantId?: string): Promise<number> {
    const res = await m
      .getRepository(ConsoleSession)
      .update(tenantId ? { userId, tenantId, revokedAt: IsNull() } : { userId, revokedAt: IsNull() }, {
        revokedAt: new Date(),
      });
    return res.affected ?? 0;
  }
}
