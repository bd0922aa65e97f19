import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { isUUID } from 'class-validator';
import { createSecretKey, KeyObject } from 'node:crypto';
import { Strategy } from 'passport-jwt';
import { AppConfig } from '../../config/app-config';
import { TENANT_ROLES, TenantRole } from '../../tenants/membership.entity';
import type { Principal } from '../principal';
import { CurrentAccess, PrincipalCache } from '../principal-cache';
import { APP_SCOPED_PASSPORT, forgetStrategy } from './app-scoped-passport';
import { bearerToken, isPlatformToken } from './bearer-token';
import { tokenHolder } from './token-holder';

/** The claims of an access token (signed by AuthService.login). */
export interface JwtClaims {
  sub: string;
  tid: string;
  role: TenantRole;
  pa: boolean;
  /**
   * When it was issued, in epoch milliseconds (iat has whole seconds only): a token issued before the
   * user's password was reset is refused, one from a login just after it is not.
   */
  ims?: number;
  /** Set by jsonwebtoken when signing; a token without them is refused. */
  iat?: number;
  exp?: number;
}

/**
 * Whether the token was issued before the user's password was last reset (then it is refused): by its
 * `ims` (milliseconds), else by `iat` (seconds, so a token without `ims` from that very second counts
 * as before).
 */
export function issuedBeforePasswordChange(c: JwtClaims, now: CurrentAccess): boolean {
  if (now.passwordChangedAt === null) return false;
  const issuedMs = typeof c.ims === 'number' ? c.ims : (c.iat ?? 0) * 1000;
  return issuedMs < now.passwordChangedAt;
}

/**
 * The HS256 key of access tokens, as a KeyObject made once: given a string, jsonwebtoken first tries
 * (and fails) to parse it as a public key on every verify, a tenth of an order creation's CPU.
 */
export const jwtKey = (config: AppConfig): KeyObject =>
  createSecretKey(Buffer.from(config.jwtSecret, 'utf8'));

/**
 * `Authorization: Bearer <JWT>` (passport-jwt, HS256 only): the token names the user and tenant; the
 * principal carries their current role and flags (tokenHolder). Platform tokens are left to
 * PlatformTokenStrategy.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') implements OnModuleDestroy {
  constructor(
    config: AppConfig,
    private readonly access: PrincipalCache,
  ) {
    super({
      jwtFromRequest: (req: Parameters<typeof bearerToken>[0]) => {
        const token = bearerToken(req);
        return token && !isPlatformToken(token) ? token : null;
      },
      // passport-jwt hands the key to jsonwebtoken, which takes a KeyObject (its types say string | Buffer).
      secretOrKey: jwtKey(config) as unknown as Buffer,
      algorithms: ['HS256'],
    });
  }

  getPassportInstance(): typeof APP_SCOPED_PASSPORT {
    return APP_SCOPED_PASSPORT;
  }

  async validate(c: JwtClaims): Promise<Principal | null> {
    // jsonwebtoken checks exp only when present: a token without one would never expire.
    if (typeof c.exp !== 'number' || typeof c.iat !== 'number') return null;
    if (typeof c.sub !== 'string' || typeof c.tid !== 'string' || !TENANT_ROLES.includes(c.role)) return null;
    if (!isUUID(c.sub) || !isUUID(c.tid)) return null;
    const now = await this.access.get(c.sub, c.tid);
    if (issuedBeforePasswordChange(c, now)) return null;
    return tokenHolder(c.sub, c.tid, 'jwt', now);
  }

  onModuleDestroy(): void {
    forgetStrategy(this);
  }
}
