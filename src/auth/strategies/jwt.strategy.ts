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
import { VerifiedTokens } from './verified-tokens';

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

type TokenRequest = Parameters<typeof bearerToken>[0];

/** The JWT of a request (not a platform token, which PlatformTokenStrategy reads). */
function jwtOf(req: TokenRequest): string | null {
  const token = bearerToken(req);
  return token && !isPlatformToken(token) ? token : null;
}

/**
 * `Authorization: Bearer <JWT>` (passport-jwt, HS256 only): the token names the user and tenant; the
 * principal carries their current role and flags (tokenHolder). Platform tokens are left to
 * PlatformTokenStrategy. A token verified before by this process is not verified again until it
 * expires (VerifiedTokens); its principal is looked up on every request all the same.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') implements OnModuleDestroy {
  private readonly verified = new VerifiedTokens<JwtClaims>();

  constructor(
    config: AppConfig,
    private readonly access: PrincipalCache,
  ) {
    super({
      jwtFromRequest: jwtOf,
      // passport-jwt hands the key to jsonwebtoken, which takes a KeyObject (its types say string | Buffer).
      secretOrKey: jwtKey(config) as unknown as Buffer,
      algorithms: ['HS256'],
      passReqToCallback: true,
    });
  }

  /** passport-jwt's, unless the token was verified here before: then straight to its principal. */
  override authenticate(req: TokenRequest, options?: object): void {
    const token = jwtOf(req);
    const known = token ? this.verified.get(token) : undefined;
    if (!known) {
      // passport-jwt's types want an Express request; it reads only the headers (jwtFromRequest).
      super.authenticate(req as Parameters<Strategy['authenticate']>[0], options);
      return;
    }
    this.principalOf(known).then(
      (principal) => (principal ? this.success(principal) : this.fail(401)),
      (err: unknown) => this.error(err as Error),
    );
  }

  getPassportInstance(): typeof APP_SCOPED_PASSPORT {
    return APP_SCOPED_PASSPORT;
  }

  /** Called by passport-jwt with the claims of a token it has just verified. */
  async validate(req: TokenRequest, c: JwtClaims): Promise<Principal | null> {
    if (!wellFormed(c)) return null;
    const token = jwtOf(req);
    if (token) this.verified.remember(token, c);
    return this.principalOf(c);
  }

  private async principalOf(c: JwtClaims): Promise<Principal | null> {
    const now = await this.access.get(c.sub, c.tid);
    if (issuedBeforePasswordChange(c, now)) return null;
    return tokenHolder(c.sub, c.tid, 'jwt', now);
  }

  onModuleDestroy(): void {
    forgetStrategy(this);
  }
}

/** The claims paymux signs, each of the right type; jsonwebtoken checks exp only when present. */
function wellFormed(c: JwtClaims): boolean {
  if (typeof c.exp !== 'number' || typeof c.iat !== 'number') return false;
  if (typeof c.sub !== 'string' || typeof c.tid !== 'string' || !TENANT_ROLES.includes(c.role)) return false;
  return isUUID(c.sub) && isUUID(c.tid);
}
