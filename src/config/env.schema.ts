import { plainToInstance, Transform } from 'class-transformer';
import {
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  isURL,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';
import { IsAcceptablePassword } from '../common/password-policy';
import { ConfigError, describeValue } from './config-errors';

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
const HTTP_URL = { message: '$property must be an http:// or https:// URL (e.g. https://host.example/path)' };

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
  @IsUrl(
    { protocols: ['postgres', 'postgresql'], require_tld: false, require_protocol: true },
    {
      message:
        'DATABASE_URL must be a PostgreSQL URL: postgres://user:password@host:5432/database (or postgresql://)',
    },
  )
  DATABASE_URL?: string;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(200)
  DB_POOL_SIZE = 10;

  /**
   * The hot paths' statements as named (prepared) statements on PostgreSQL: parsed and planned once per
   * connection. `off` behind a pooler that cannot keep them (PgBouncer in transaction mode). The
   * embedded database never uses them (its connections share one backend).
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsIn(['on', 'off'])
  DB_PREPARED_STATEMENTS?: 'on' | 'off';

  @IsString()
  DATA_DIR = './data';

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl(URL_OPTIONS, HTTP_URL)
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

  /**
   * The Sandbox completes payments through an unauthenticated route, so PAYMUX_SANDBOX=on is refused
   * in production unless this says, loudly, that you mean it (a staging platform with no real money).
   */
  @Transform(toBool)
  @IsIn([true, false], { message: 'PAYMUX_SANDBOX_IN_PRODUCTION_ANYONE_CAN_PAY must be true or false' })
  PAYMUX_SANDBOX_IN_PRODUCTION_ANYONE_CAN_PAY = false;

  // PAYMUX_<ID>_BASE_URL, one per provider: checked by checkProviderBaseUrls below.

  /** Another name for PAYMUX_X402_BASE_URL (the platform's x402 facilitator); both set must agree. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl(URL_OPTIONS, HTTP_URL)
  PAYMUX_X402_FACILITATOR_URL?: string;

  /**
   * Let tenants' own x402 `facilitator_url` be http or a loopback or private address (tests, where
   * the facilitator is a local fake). Refused in production.
   */
  @Transform(toBool)
  @IsIn([true, false], { message: 'PAYMUX_X402_ALLOW_PRIVATE_FACILITATOR must be true or false' })
  PAYMUX_X402_ALLOW_PRIVATE_FACILITATOR = false;

  /** Alchemy Pay's `orderAmount` unit: its docs say cents in one place and decimals in another. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsIn(['decimal', 'cent', 'DECIMAL', 'CENT', 'Decimal', 'Cent'], {
    message: 'PAYMUX_ALCHEMY_AMOUNT_UNIT must be decimal or cent',
  })
  PAYMUX_ALCHEMY_AMOUNT_UNIT?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsIn(['on', 'off'])
  PAYMUX_DEMO?: 'on' | 'off';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: string = 'info';

  /** pretty (one readable line per entry) | json. Default: json in production, pretty elsewhere. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsIn(['pretty', 'json'])
  LOG_FORMAT?: 'pretty' | 'json';

  /** When set, GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>`; unset in production, no /metrics. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'METRICS_TOKEN must be at least 16 characters' })
  METRICS_TOKEN?: string;

  /** on | off: /docs and /docs-json. Default: on unless NODE_ENV=production. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsIn(['on', 'off'])
  API_DOCS?: 'on' | 'off';

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsEmail()
  ADMIN_EMAIL?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @IsAcceptablePassword('ADMIN_EMAIL')
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

  /** Bound on every call to a provider's API. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(120000)
  PROVIDER_TIMEOUT_MS = 10000;

  /** A payment still pending this long after it was opened is asked about at its provider. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  RECONCILE_DELAY_SECONDS = 600;

  /** How often the reconciliation job runs; 0 switches it off in this process. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  RECONCILE_INTERVAL_MS = 60000;

  /** false, a hop count or proxy addresses/CIDRs; checked by parseTrustProxy (src/config/trust-proxy.ts). */
  @IsString()
  TRUST_PROXY = 'false';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  LOGIN_RATE_LIMIT = 10;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  LOGIN_RATE_WINDOW_SECONDS = 60;

  /** Login attempts per client address per window, whatever the account. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  LOGIN_IP_RATE_LIMIT = 100;

  /** Registrations per client address per REGISTER_RATE_WINDOW_SECONDS; 0 switches the limit off. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  REGISTER_RATE_LIMIT = 10;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  REGISTER_RATE_WINDOW_SECONDS = 3600;

  /** How old a token holder's role, platform-admin and disabled flags may be (PrincipalCache). */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(60)
  AUTH_RECHECK_SECONDS = 30;

  /** Requests per window per tenant (Bearer) or per API key (merchant API); 0 switches it off. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  API_RATE_LIMIT = 1200;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  API_RATE_WINDOW_SECONDS = 60;

  /**
   * How often each process sends its API rate-limit hits to the shared store and learns the other
   * processes' counts (ApiRateLimiter); 0 counts every request in the store instead (exact across
   * processes, one statement per request).
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(60000)
  RATE_LIMIT_SYNC_MS = 250;

  /** Provider callbacks a minute per tenant and provider (before verification); 0 switches it off. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  WEBHOOK_RATE_LIMIT = 600;

  /** Whether this process delivers merchant notifications (every process queues them). */
  @Transform(toBool)
  @IsIn([true, false], { message: 'NOTIFY_WORKER must be true or false' })
  NOTIFY_WORKER = true;

  /** Multiplies the retry schedule (15 s ... 6 h); tests compress time with e.g. 0.001. */
  @IsOptional()
  @Matches(/^(0|[1-9]\d*)(\.\d+)?$/, { message: 'NOTIFY_RETRY_SCALE must be a non-negative decimal' })
  NOTIFY_RETRY_SCALE = '1';

  /** Allow notify URLs that resolve to private or loopback addresses (tests, private deployments). */
  @Transform(toBool)
  @IsIn([true, false], { message: 'NOTIFY_ALLOW_PRIVATE must be true or false' })
  NOTIFY_ALLOW_PRIVATE = false;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(60000)
  NOTIFY_TIMEOUT_MS = 10000;

  /** Tests only: new password hashes use cheap argon2 parameters (src/auth/password-hash.ts). Refused in production. */
  @Transform(toBool)
  @IsIn([true, false], { message: 'PASSWORD_HASH_TEST_CHEAP must be true or false' })
  PASSWORD_HASH_TEST_CHEAP = false;
}

/** The setting that points paymux at a provider's API instead of its production base. */
export const providerBaseUrlSetting = (providerId: string): string =>
  `PAYMUX_${providerId.toUpperCase()}_BASE_URL`;

export interface CheckedEnv {
  env: EnvSchema;
  /** `PAYMUX_<ID>_BASE_URL` values by provider id, where set (as given). */
  providerBaseUrls: Record<string, string>;
  problems: string[];
}

/**
 * Check the whole environment at once: the typed settings and one line per bad variable (naming it,
 * saying what is accepted, never showing a secret's value). `providerIds`: the providers whose
 * `PAYMUX_<ID>_BASE_URL` is read; config knows no provider, the caller names them (bootstrap passes
 * the ids of src/payments/providers/index.ts).
 */
export function checkEnv(raw: Record<string, unknown>, providerIds: readonly string[] = []): CheckedEnv {
  const env = plainToInstance(EnvSchema, raw, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false, whitelist: false });
  const problems = errors.map((e) => {
    const why = Object.values(e.constraints ?? {}).join('; ');
    return `${e.property}=${describeValue(e.property, raw[e.property])}: ${why}`;
  });
  const providerBaseUrls: Record<string, string> = {};
  for (const id of providerIds) {
    const name = providerBaseUrlSetting(id);
    const value = emptyToUndefined({ value: raw[name] });
    if (value === undefined) continue;
    if (typeof value === 'string' && isURL(value, URL_OPTIONS)) providerBaseUrls[id] = value;
    else
      problems.push(`${name}=${describeValue(name, value)}: ${HTTP_URL.message.replace('$property', name)}`);
  }
  return { env, providerBaseUrls, problems };
}

/** Validate the whole environment once; a bad setting stops the start with one message naming all. */
export function validateEnv(raw: Record<string, unknown>, providerIds: readonly string[] = []): EnvSchema {
  const { env, problems } = checkEnv(raw, providerIds);
  if (problems.length > 0) throw new ConfigError(problems);
  return env;
}
