import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import { AppConfig } from '../config/app-config';
import { PgThrottlerStorage } from './pg-throttler.storage';

/**
 * Registrations per client address: REGISTER_RATE_LIMIT per REGISTER_RATE_WINDOW_SECONDS, counted in
 * the shared store (every process), over the limit a 429 `rate_limited` with Retry-After. The client
 * address is Fastify's req.ip, so behind proxies it is only as good as TRUST_PROXY.
 */
@Injectable()
export class RegistrationRateLimiter implements CanActivate {
  constructor(
    private readonly storage: PgThrottlerStorage,
    private readonly config: AppConfig,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const limit = this.config.registerRateLimit;
    if (limit <= 0) return true;
    const req = ctx.switchToHttp().getRequest<{ ip: string }>();
    const res = ctx.switchToHttp().getResponse<{ header(name: string, value: string): unknown }>();
    const r = await this.storage.increment(
      `register-ip:${req.ip}`,
      this.config.registerRateWindowSeconds * 1000,
      limit,
    );
    if (r.isBlocked) {
      res.header('Retry-After', String(r.timeToBlockExpire));
      throw new ThrottlerException('too many registrations from this address; try again later');
    }
    return true;
  }
}
