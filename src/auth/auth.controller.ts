import { Body, Controller, Delete, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import { isoMicros } from '../common/time';
import { UuidParam } from '../common/uuid-param';
import { CurrentPrincipal, Public } from './auth.decorators';
import { AuthService } from './auth.service';
import { CreateTokenDto, LoginDto, RegisterDto } from './dto/auth.dto';
import type { Principal } from './principal';
import { RegistrationRateLimiter } from './registration-rate-limiter';

@ApiTags('auth')
@Controller('api/v1/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @UseGuards(RegistrationRateLimiter)
  @Post('register')
  async register(
    @Body() dto: RegisterDto,
  ): Promise<{ user: { id: string; email: string; name: string }; tenant: { id: string; name: string } }> {
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
  login(@Body() dto: LoginDto): Promise<{ access_token: string; token_type: 'Bearer'; expires_in: number }> {
    return this.auth.login(dto.email, dto.password);
  }

  @ApiBearerAuth()
  @Get('me')
  async me(@CurrentPrincipal() p: Principal): Promise<Record<string, unknown>> {
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
  async createToken(
    @CurrentPrincipal() p: Principal,
    @Body() dto: CreateTokenDto,
  ): Promise<{ id: string; name: string; token: string; created_at: string | null }> {
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
  async listTokens(
    @CurrentPrincipal() p: Principal,
  ): Promise<{ data: { id: string; name: string; created_at: string | null }[] }> {
    const tokens = await this.auth.listPlatformTokens(p);
    return { data: tokens.map((t) => ({ id: t.id, name: t.name, created_at: isoMicros(t.createdAt) })) };
  }

  @ApiBearerAuth()
  @Delete('tokens/:id')
  @HttpCode(204)
  async revokeToken(@CurrentPrincipal() p: Principal, @UuidParam() id: string): Promise<void> {
    await this.auth.revokePlatformToken(p, id);
  }
}
