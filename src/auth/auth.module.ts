import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '../config/app-config';
import { TenantsModule } from '../tenants/tenants.module';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';
import { ApiKeyCache } from './api-key-cache';
import { ApiKeyUsage } from './api-key-usage';
import { ApiNonceStore } from './api-nonce-store';
import { ApiRateLimiter } from './api-rate-limiter';
import { AuthController } from './auth.controller';
import { AuthPruners } from './auth-pruners';
import { PgThrottlerStorage } from './pg-throttler.storage';
import { DataSource } from 'typeorm';
import { MerchantAuthGuard } from './merchant-auth.guard';
import { AuthService } from './auth.service';
import { BearerAuthGuard } from './bearer-auth.guard';
import { PlatformTokenCache } from './platform-token-cache';
import { PrincipalCache } from './principal-cache';
import { RegistrationRateLimiter } from './registration-rate-limiter';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiKey } from './api-key.entity';
import { ApiNonce } from './api-nonce.entity';
import { PlatformToken } from './platform-token.entity';
import { RateLimit } from './rate-limit.entity';
import { PasswordResetToken } from './password-reset-token.entity';
import { PasswordResetService } from './password-reset.service';
import { User } from './user.entity';
import { JwtStrategy, jwtKey } from './strategies/jwt.strategy';
import { MerchantSignatureStrategy } from './strategies/merchant-signature.strategy';
import { PlatformTokenStrategy } from './strategies/platform-token.strategy';
import { ConsoleSessionStrategy } from './strategies/console-session.strategy';
import { ConsoleSession } from './console-session.entity';
import { ConsoleSessionsService } from './console-sessions.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([
      User,
      PlatformToken,
      ApiKey,
      ApiNonce,
      RateLimit,
      PasswordResetToken,
      ConsoleSession,
    ]),
    TenantsModule,
    JwtModule.registerAsync({
      inject: [AppConfig],
      // Signs access tokens (AuthService.login); JwtStrategy verifies them with the same key.
      useFactory: (c: AppConfig) => {
        const key = jwtKey(c);
        return { secretOrKeyProvider: () => key, signOptions: { algorithm: 'HS256' } };
      },
    }),
    ThrottlerModule.forRootAsync({
      inject: [AppConfig, DataSource],
      useFactory: (c: AppConfig, db: DataSource) => ({
        throttlers: [
          // Per client address and account: guessing one account's password is slowed down ...
          {
            name: 'login',
            ttl: c.loginRateWindowSeconds * 1000,
            limit: c.loginRateLimit,
            getTracker: (req: Record<string, unknown>) => {
              const body = req.body as { email?: unknown } | undefined;
              const email = typeof body?.email === 'string' ? body.email.trim().toLowerCase() : '';
              return `${String(req.ip)}|${email}`;
            },
          },
          // ... and per client address: so is trying one password on many accounts.
          { name: 'login-ip', ttl: c.loginRateWindowSeconds * 1000, limit: c.loginIpRateLimit },
        ],
        // Shared by every process (the database), not per-process memory.
        storage: new PgThrottlerStorage(db),
      }),
    }),
  ],
  controllers: [AuthController, ApiKeysController],
  providers: [
    AuthService,
    PasswordResetService,
    PrincipalCache,
    PlatformTokenCache,
    RegistrationRateLimiter,
    PgThrottlerStorage,
    ApiRateLimiter,
    ApiKeysService,
    ApiKeyCache,
    ApiNonceStore,
    ApiKeyUsage,
    AuthPruners,
    JwtStrategy,
    PlatformTokenStrategy,
    ConsoleSessionsService,
    ConsoleSessionStrategy,
    MerchantSignatureStrategy,
    MerchantAuthGuard,
    { provide: APP_GUARD, useClass: BearerAuthGuard },
  ],
  exports: [
    AuthService,
    PasswordResetService,
    ConsoleSessionsService,
    PrincipalCache,
    ApiKeyCache,
    ApiKeysService,
    // MerchantAuthGuard is instantiated where @UseGuards names it: it needs its strategy from here.
    MerchantSignatureStrategy,
    MerchantAuthGuard,
    ApiRateLimiter,
    PgThrottlerStorage,
  ],
})
export class AuthModule {}
