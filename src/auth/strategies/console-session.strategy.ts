import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-custom';
import { AuthErrors } from '../auth.errors';
import { ConsoleSessionsService, CSRF_HEADER, SESSION_COOKIE } from '../console-sessions.service';
import type { Principal } from '../principal';
import { PrincipalCache } from '../principal-cache';
import { APP_SCOPED_PASSPORT, forgetStrategy } from './app-scoped-passport';
import { tokenHolder } from './token-holder';

export interface CookieRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  cookies?: Record<string, string | undefined>;
}

/** The console's session cookie, read only when no Authorization header is sent. */
export function sessionCookie(req: CookieRequest): string | null {
  if (req.headers.authorization !== undefined) return null;
  const token = req.cookies?.[SESSION_COOKIE];
  return typeof token === 'string' && token.length > 0 && token.length <= 128 ? token : null;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The /admin console's `paymux_session` cookie (tried after the Bearer strategies): a live session
 * makes the principal of its user and tenant with their current role and flags (tokenHolder, so a
 * disabled account, a removed membership or a suspended tenant is refused as for tokens). A write
 * (anything but GET/HEAD/OPTIONS) must carry X-CSRF-Token matching the session (403 csrf_failed):
 * a cookie is sent by the browser whoever made the page, the header only by the console's own script.
 */
@Injectable()
export class ConsoleSessionStrategy
  extends PassportStrategy(Strategy, 'console-session')
  implements OnModuleDestroy
{
  constructor(
    private readonly sessions: ConsoleSessionsService,
    private readonly access: PrincipalCache,
  ) {
    super();
  }

  getPassportInstance(): typeof APP_SCOPED_PASSPORT {
    return APP_SCOPED_PASSPORT;
  }

  async validate(req: CookieRequest): Promise<Principal | null> {
    const token = sessionCookie(req);
    if (!token) return null;
    const owner = await this.sessions.find(token);
    if (!owner) return null;
    if (!SAFE_METHODS.has(req.method.toUpperCase())) {
      const header = req.headers[CSRF_HEADER];
      if (!this.sessions.csrfMatches(token, typeof header === 'string' ? header : undefined))
        throw AuthErrors.csrf_failed('a console write needs the X-CSRF-Token header of its session');
    }
    const p = tokenHolder(
      owner.userId,
      owner.tenantId,
      'session',
      await this.access.get(owner.userId, owner.tenantId),
    );
    if (p) p.consoleSessionId = owner.sessionId;
    return p;
  }

  onModuleDestroy(): void {
    forgetStrategy(this);
  }
}
