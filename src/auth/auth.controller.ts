import { Body, Controller, Delete, Get, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
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
import { CreateTokenDto, LoginDto, PasswordResetDto, RegisterDto } from './dto/auth.dto';
import { PasswordResetService } from './password-reset.service';
import { requestOriginOf } from '../common/request-origin';
import type { Principal } from './principal';
import { RegistrationRateLimiter } from './registration-rate-limiter';

@ApiTags('Auth')
@Controller('api/v1/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly passwordResets: PasswordResetService,
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
  async me(@CurrentPrincipal() p: Principal): Promise<MeResponse> {
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
