import { Body, Controller, Delete, Get, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply } from 'fastify';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import { ApiErrorResponses } from '../common/api-docs';
import { isoMicros } from '../common/time';
import { UuidParam } from '../common/uuid-param';
import { CurrentPrincipal, Public } from './auth.decorators';
import {
  LoginResponse,
  MeResponse,
  PlatformTokenCreatedResponse,
  PlatformTokenListResponse,
  RegisterResponse,
} from './auth.response';
import { AuthService } from './auth.service';
import { CreateTokenDto, LoginDto, PasswordResetDto, RegisterDto, StartSessionDto } from './dto/auth.dto';
import { PasswordResetService } from './password-reset.service';
import { requestOriginOf } from '../common/request-origin';
import { AppConfig } from '../config/app-config';
import {
  ConsoleSessionsService,
  CSRF_COOKIE,
  SESSION_COOKIE,
  SESSION_TTL_SECONDS,
} from './console-sessions.service';
import type { Principal } from './principal';
import { RegistrationRateLimiter } from './registration-rate-limiter';

@ApiTags('Auth')
@Controller('api/v1/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly passwordResets: PasswordResetService,
    private readonly sessions: ConsoleSessionsService,
    private readonly config: AppConfig,
  ) {}

  @Public()
  @UseGuards(RegistrationRateLimiter)
  @Post('register')
  @ApiCreatedResponse({ type: RegisterResponse })
  @ApiErrorResponses([400, 403, 409, 429])
  async register(@Body() dto: RegisterDto): Promise<RegisterResponse> {
    const { user, tenant } = await this.auth.register(dto);
    return {
      user: { id: user.id, email: user.email, name: user.name },
      tenant: { id: tenant.id, name: tenant.name },
    };
  }

  @Public()
  @UseGuards(ThrottlerGuard)
  @Post('login')
  @HttpCode(200)
  @ApiOkResponse({ type: LoginResponse })
  @ApiErrorResponses([400, 401, 403, 429])
  login(@Body() dto: LoginDto): Promise<LoginResponse> {
    return this.auth.login(dto.email, dto.password, dto.tenant_id);
  }

  /**
   * Set a new password with a reset link's token (made by a platform operator), once. JWTs issued
   * before are refused from now on. Unknown, expired or used token: 404 reset_token_not_found.
   * Rate limited per client address like logins.
   */
  @Public()
  @UseGuards(ThrottlerGuard)
  @Post('password-reset')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'the password is set' })
  @ApiErrorResponses([400, 404, 429])
  async resetPassword(
    @Body() dto: PasswordResetDto,
    @Req() req: { id?: string; ip?: string },
  ): Promise<void> {
    await this.passwordResets.reset(dto.token, dto.password, requestOriginOf(req));
  }

  @ApiBearerAuth()
  @Get('me')
  @ApiOkResponse({ type: MeResponse })
  @ApiErrorResponses([401])
  me(@CurrentPrincipal() p: Principal): Promise<MeResponse> {
    return this.meOf(p);
  }

  /**
   * The console's sign-in: the same checks (and rate limits) as login, then a server-side session in
   * an httpOnly, SameSite=Strict cookie `paymux_session` (Secure in production or behind an https
   * PUBLIC_BASE_URL), and a readable `paymux_csrf` cookie that the console sends back as X-CSRF-Token
   * on every write. No token is readable by page scripts.
   */
  @Public()
  @UseGuards(ThrottlerGuard)
  @Post('session')
  @HttpCode(200)
  @ApiOkResponse({ type: MeResponse })
  @ApiErrorResponses([400, 401, 403, 429])
  async startSession(
    @Body() dto: StartSessionDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<MeResponse> {
    const user = await this.auth.authenticate(dto.email, dto.password);
    const membership = await this.auth.membershipFor(user.id, dto.tenant_id);
    const { token, csrf, session } = await this.sessions.start(user.id, membership.tenantId);
    void reply.setCookie(SESSION_COOKIE, token, this.cookieOptions(true));
    void reply.setCookie(CSRF_COOKIE, csrf, this.cookieOptions(false));
    return this.meOf({
      userId: user.id,
      tenantId: membership.tenantId,
      role: membership.role,
      platformAdmin: user.isPlatformAdmin,
      via: 'session',
      consoleSessionId: session.id,
    });
  }

  /** Log out of the console: the session ends server-side and both cookies are cleared. */
  @ApiBearerAuth()
  @Delete('session')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'the session is ended' })
  @ApiErrorResponses([401, 403])
  async endSession(
    @CurrentPrincipal() p: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    if (p.consoleSessionId) await this.sessions.end(p.consoleSessionId);
    void reply.clearCookie(SESSION_COOKIE, this.cookieOptions(true, false));
    void reply.clearCookie(CSRF_COOKIE, this.cookieOptions(false, false));
  }

  private cookieOptions(httpOnly: boolean, withAge = true): CookieSerializeOptions {
    const secure = this.config.production || !!this.config.publicBaseUrl?.startsWith('https://');
    return {
      httpOnly,
      sameSite: 'strict',
      path: '/',
      secure,
      ...(withAge ? { maxAge: SESSION_TTL_SECONDS } : {}),
    };
  }

  private async meOf(p: Principal): Promise<MeResponse> {
    const { user, tenant, role } = await this.auth.me(p);
    return {
      user: { id: user.id, email: user.email, name: user.name, is_platform_admin: user.isPlatformAdmin },
      tenant: { id: tenant.id, name: tenant.name },
      role,
      auth: p.via,
    };
  }

  @ApiBearerAuth()
  @Post('tokens')
  @ApiCreatedResponse({ type: PlatformTokenCreatedResponse })
  @ApiErrorResponses([400, 401])
  async createToken(
    @CurrentPrincipal() p: Principal,
    @Body() dto: CreateTokenDto,
  ): Promise<PlatformTokenCreatedResponse> {
    const { token, secret } = await this.auth.createPlatformToken(p, dto.name);
    return {
      id: token.id,
      name: token.name,
      token: secret,
      created_at: isoMicros(token.createdAt ?? new Date()),
    };
  }

  @ApiBearerAuth()
  @Get('tokens')
  @ApiOkResponse({ type: PlatformTokenListResponse })
  @ApiErrorResponses([401])
  async listTokens(@CurrentPrincipal() p: Principal): Promise<PlatformTokenListResponse> {
    const tokens = await this.auth.listPlatformTokens(p);
    return { data: tokens.map((t) => ({ id: t.id, name: t.name, created_at: isoMicros(t.createdAt) })) };
  }

  @ApiBearerAuth()
  @Delete('tokens/:id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'revoked' })
  @ApiErrorResponses([400, 401, 404])
  async revokeToken(@CurrentPrincipal() p: Principal, @UuidParam() id: string): Promise<void> {
    await this.auth.revokePlatformToken(p, id);
  }
}
