import { plainToInstance, Transform } from 'class-transformer';
import {
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Max,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
const toBool = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'on', 'yes'].includes(v)) return true;
  if (['false', '0', 'off', 'no'].includes(v)) return false;
  return value;
};
const emptyToUndefined = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

const URL_OPTIONS = { protocols: ['http', 'https'], require_tld: false, require_protocol: true };

/** Every environment setting paymux reads. `.env.example` documents each one. */
export class EnvSchema {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl({ protocols: ['postgres', 'postgresql'], require_tld: false, require_protocol: true })
  DATABASE_URL?: string;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(200)
  DB_POOL_SIZE = 10;

  @IsString()
  DATA_DIR = './data';

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl({ protocols: ['http', 'https'], require_tld: false, require_protocol: true })
  PUBLIC_BASE_URL?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  JWT_SECRET?: string;

  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(86400 * 30)
  JWT_EXPIRES_IN = 3600;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  PAYMUX_MASTER_KEY?: string;

  /** Earlier master keys (comma-separated, base64), still able to open values until rotated. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  PAYMUX_MASTER_KEY_PREVIOUS?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsIn(['on', 'off'])
  PAYMUX_SANDBOX?: 'on' | 'off';

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl(URL_OPTIONS)
  PAYMUX_STRIPE_BASE_URL?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl(URL_OPTIONS)
  PAYMUX_PAYPAL_BASE_URL?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl(URL_OPTIONS)
  PAYMUX_ALIPAY_BASE_URL?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl(URL_OPTIONS)
  PAYMUX_WECHAT_BASE_URL?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl(URL_OPTIONS)
  PAYMUX_X402_BASE_URL?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl(URL_OPTIONS)
  PAYMUX_ALCHEMY_BASE_URL?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl(URL_OPTIONS)
  PAYMUX_TOKENPAY_BASE_URL?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsIn(['on', 'off'])
  PAYMUX_DEMO?: 'on' | 'off';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: string = 'info';

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsEmail()
  ADMIN_EMAIL?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(8, { message: 'ADMIN_PASSWORD must be at least 8 characters' })
  ADMIN_PASSWORD?: string;

  @Transform(toBool)
  @IsIn([true, false], { message: 'REGISTRATION_ENABLED must be true or false' })
  REGISTRATION_ENABLED = true;

  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(86400 * 7)
  ORDER_TTL_SECONDS = 1800;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  EXPIRY_SWEEP_INTERVAL_MS = 15000;

  @Transform(toInt)
  @IsInt()
  @Min(60)
  FX_RATE_MAX_AGE_SECONDS = 86400;

  @Transform(toBool)
  @IsIn([true, false], { message: 'TRUST_PROXY must be true or false' })
  TRUST_PROXY = false;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  LOGIN_RATE_LIMIT = 10;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  LOGIN_RATE_WINDOW_SECONDS = 60;
}

/**
 * Validate the whole environment once; a bad setting stops the start with one message that
 * names every bad variable.
 */
export function validateEnv(raw: Record<string, unknown>): EnvSchema {
  const env = plainToInstance(EnvSchema, raw, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false, whitelist: false });
  if (errors.length > 0) {
    const lines = errors.map((e) => {
      const value = raw[e.property];
      const why = Object.values(e.constraints ?? {}).join('; ');
      return `  ${e.property}=${value === undefined ? '(unset)' : JSON.stringify(value)}: ${why}`;
    });
    throw new Error(
      `Invalid configuration (${errors.length} bad setting${errors.length > 1 ? 's' : ''}):\n${lines.join('\n')}`,
    );
  }
  return env;
}
