import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConfigError, describeValue } from './config-errors';
import { checkEnv, EnvSchema } from './env.schema';
import { parseTrustProxy, TrustProxy } from './trust-proxy';

/** The typed, resolved configuration every module reads (provided under the AppConfig class token). */
export class AppConfig {
  readonly production: boolean;
  readonly port: number;
  readonly databaseUrl: string | undefined;
  readonly dbPoolSize: number;
  /** Hot statements named (prepared) on PostgreSQL (DB_PREPARED_STATEMENTS, default on). */
  readonly dbPreparedStatements: boolean;
  readonly dataDir: string;
  readonly publicBaseUrl: string | undefined;
  readonly jwtSecret: string;
  readonly jwtExpiresIn: number;
  readonly masterKey: Buffer;
  /** Earlier master keys, to open values sealed before a rotation. */
  readonly previousMasterKeys: Buffer[];
  /** Provider API bases (PAYMUX_<PROVIDER>_BASE_URL), where set: operator settings, never tenant input. */
  readonly providerBaseUrls: Readonly<Record<string, string>>;
  /** Tenants' x402 facilitator_url may be http or private (PAYMUX_X402_ALLOW_PRIVATE_FACILITATOR; not in production). */
  readonly x402AllowPrivateFacilitator: boolean;
  readonly sandboxEnabled: boolean;
  readonly demoEnabled: boolean;
  readonly logLevel: string;
  /** JSON log lines (production default) or readable ones (LOG_FORMAT). */
  readonly logPretty: boolean;
  /** Bearer token GET /metrics requires; undefined: open outside production, not served in production. */
  readonly metricsToken: string | undefined;
  /** Whether /docs and /docs-json are served (API_DOCS; default off in production). */
  readonly apiDocsEnabled: boolean;
  readonly adminEmail: string | undefined;
  readonly adminPassword: string | undefined;
  readonly registrationEnabled: boolean;
  readonly orderTtlSeconds: number;
  readonly expirySweepIntervalMs: number;
  /** TRUST_PROXY: false, a hop count or the proxies' addresses (Fastify is given fastifyTrustProxy of it). */
  readonly trustProxy: TrustProxy;
  /** An FX rate older than this is refused (422 fx_rate_stale), never used. */
  readonly fxRateMaxAgeSeconds: number;
  readonly providerTimeoutMs: number;
  readonly reconcileDelaySeconds: number;
  readonly reconcileIntervalMs: number;
  readonly loginRateLimit: number;
  readonly loginRateWindowSeconds: number;
  readonly loginIpRateLimit: number;
  readonly apiRateLimit: number;
  /** Provider callbacks a minute per tenant and provider (WEBHOOK_RATE_LIMIT; 0: off). */
  readonly webhookRateLimit: number;
  readonly registerRateLimit: number;
  readonly registerRateWindowSeconds: number;
  /** Bound on how stale a token holder's role and flags may be (AUTH_RECHECK_SECONDS). */
  readonly authRecheckSeconds: number;
  readonly notifyWorker: boolean;
  /** A time factor (not money): scales the notification retry schedule. */
  readonly notifyRetryScale: number;
  readonly notifyAllowPrivate: boolean;
  readonly notifyTimeoutMs: number;
  readonly apiRateWindowSeconds: number;
  /** How often the API rate limiter reconciles with the shared store; 0: every request (RATE_LIMIT_SYNC_MS). */
  readonly rateLimitSyncMs: number;
  /** For test suites (refused in production): cheap argon2 parameters for new password hashes. */
  readonly passwordHashTestCheap: boolean;
  readonly warnings: string[];

  /**
   * `problems`: what checkEnv found wrong already, reported together with what is found here;
   * `baseUrls`: the PAYMUX_<ID>_BASE_URL settings checkEnv read, by provider id.
   */
  constructor(
    env: EnvSchema,
    problems: readonly string[] = [],
    baseUrls: Readonly<Record<string, string>> = {},
  ) {
    const warnings: string[] = [];
    this.production = env.NODE_ENV === 'production';
    this.port = env.PORT;
    this.databaseUrl = env.DATABASE_URL;
    this.dbPoolSize = env.DB_POOL_SIZE;
    this.dbPreparedStatements = env.DB_PREPARED_STATEMENTS !== 'off';
    this.dataDir = resolve(env.DATA_DIR);
    this.publicBaseUrl = env.PUBLIC_BASE_URL?.replace(/\/+$/, '');
    this.jwtExpiresIn = env.JWT_EXPIRES_IN;
    this.sandboxEnabled = env.PAYMUX_SANDBOX ? env.PAYMUX_SANDBOX === 'on' : !this.production;
    this.demoEnabled = env.PAYMUX_DEMO ? env.PAYMUX_DEMO === 'on' : !this.production;
    this.logLevel = env.LOG_LEVEL;
    this.logPretty = env.LOG_FORMAT ? env.LOG_FORMAT === 'pretty' : !this.production;
    this.metricsToken = env.METRICS_TOKEN;
    this.apiDocsEnabled = env.API_DOCS ? env.API_DOCS === 'on' : !this.production;
    this.adminEmail = env.ADMIN_EMAIL;
    this.adminPassword = env.ADMIN_PASSWORD;
    this.registrationEnabled = env.REGISTRATION_ENABLED;
    this.orderTtlSeconds = env.ORDER_TTL_SECONDS;
    this.expirySweepIntervalMs = env.EXPIRY_SWEEP_INTERVAL_MS;
    this.fxRateMaxAgeSeconds = env.FX_RATE_MAX_AGE_SECONDS;
    this.providerTimeoutMs = env.PROVIDER_TIMEOUT_MS;
    this.reconcileDelaySeconds = env.RECONCILE_DELAY_SECONDS;
    this.reconcileIntervalMs = env.RECONCILE_INTERVAL_MS;
    this.loginRateLimit = env.LOGIN_RATE_LIMIT;
    this.loginRateWindowSeconds = env.LOGIN_RATE_WINDOW_SECONDS;
    this.loginIpRateLimit = env.LOGIN_IP_RATE_LIMIT;
    this.apiRateLimit = env.API_RATE_LIMIT;
    this.webhookRateLimit = env.WEBHOOK_RATE_LIMIT;
    this.registerRateLimit = env.REGISTER_RATE_LIMIT;
    this.registerRateWindowSeconds = env.REGISTER_RATE_WINDOW_SECONDS;
    this.authRecheckSeconds = env.AUTH_RECHECK_SECONDS;
    this.notifyWorker = env.NOTIFY_WORKER;
    this.notifyRetryScale = Number(env.NOTIFY_RETRY_SCALE);
    this.notifyAllowPrivate = env.NOTIFY_ALLOW_PRIVATE;
    this.notifyTimeoutMs = env.NOTIFY_TIMEOUT_MS;
    this.apiRateWindowSeconds = env.API_RATE_WINDOW_SECONDS;
    this.rateLimitSyncMs = env.RATE_LIMIT_SYNC_MS;
    this.x402AllowPrivateFacilitator = env.PAYMUX_X402_ALLOW_PRIVATE_FACILITATOR;
    this.passwordHashTestCheap = env.PASSWORD_HASH_TEST_CHEAP;

    const bad: string[] = [...problems];
    const trustProxy = parseTrustProxy(env.TRUST_PROXY);
    if ('problem' in trustProxy)
      bad.push(`TRUST_PROXY=${describeValue('TRUST_PROXY', env.TRUST_PROXY)}: ${trustProxy.problem}`);
    this.trustProxy = 'value' in trustProxy ? trustProxy.value : false;
    this.previousMasterKeys = (env.PAYMUX_MASTER_KEY_PREVIOUS ?? '')
      .split(',')
      .map((k) => k.trim())
      .filter((k) => k.length > 0)
      .map((k) => Buffer.from(k, 'base64'));
    if (this.previousMasterKeys.some((k) => k.length !== 32)) {
      bad.push('PAYMUX_MASTER_KEY_PREVIOUS: each key (comma-separated) must be 32 bytes, base64-encoded');
    }
    const x402Names = [env.PAYMUX_X402_FACILITATOR_URL, baseUrls.x402].map((u) => u?.replace(/\/+$/, ''));
    if (x402Names[0] && x402Names[1] && x402Names[0] !== x402Names[1]) {
      bad.push(
        'PAYMUX_X402_FACILITATOR_URL and PAYMUX_X402_BASE_URL: both name the x402 facilitator but differ ' +
          `(${describeValue('PAYMUX_X402_FACILITATOR_URL', env.PAYMUX_X402_FACILITATOR_URL)} vs ` +
          `${describeValue('PAYMUX_X402_BASE_URL', baseUrls.x402)}); set only one`,
      );
    }
    if (this.production && this.passwordHashTestCheap) {
      bad.push('PASSWORD_HASH_TEST_CHEAP: not allowed in production; it weakens password hashes');
    }
    if (this.production && this.x402AllowPrivateFacilitator) {
      bad.push(
        'PAYMUX_X402_ALLOW_PRIVATE_FACILITATOR: not allowed in production (tenants could aim paymux at your ' +
          'own network); point PAYMUX_X402_FACILITATOR_URL at a private facilitator instead',
      );
    }
    const urls: Record<string, string> = {};
    // The x402 facilitator has a second name, PAYMUX_X402_FACILITATOR_URL (checked above).
    const given = env.PAYMUX_X402_FACILITATOR_URL
      ? { ...baseUrls, x402: env.PAYMUX_X402_FACILITATOR_URL }
      : baseUrls;
    for (const [id, url] of Object.entries(given)) urls[id] = url.replace(/\/+$/, '');
    this.providerBaseUrls = urls;
    const placeholder = (v: string | undefined): boolean =>
      !!v && /change[-_ ]?me|placeholder|example/i.test(v);
    const masterKeyText = env.PAYMUX_MASTER_KEY;
    let masterKey: Buffer | undefined;
    if (masterKeyText && !placeholder(masterKeyText)) {
      masterKey = Buffer.from(masterKeyText, 'base64');
      if (masterKey.length !== 32)
        bad.push(
          `PAYMUX_MASTER_KEY: must be 32 bytes, base64-encoded (openssl rand -base64 32); this one is ${masterKey.length} bytes`,
        );
    } else if (masterKeyText && !this.production) {
      bad.push(
        'PAYMUX_MASTER_KEY: is a placeholder; set 32 random bytes, base64-encoded (openssl rand -base64 32), ' +
          'or leave it unset outside production to use a generated one kept in DATA_DIR',
      );
    }
    let jwtSecret = placeholder(env.JWT_SECRET) ? undefined : env.JWT_SECRET;

    if (this.production) {
      if (!jwtSecret)
        bad.push(
          'JWT_SECRET: required in production, not a placeholder: at least 32 random characters (openssl rand -base64 48)',
        );
      if (!masterKeyText || placeholder(masterKeyText))
        bad.push(
          'PAYMUX_MASTER_KEY: required in production, not a placeholder: 32 random bytes, base64-encoded (openssl rand -base64 32)',
        );
      if (!this.databaseUrl)
        warnings.push(
          'PRODUCTION ON THE EMBEDDED DATABASE: DATABASE_URL is not set, so this process keeps everything in ' +
            `${this.dataDir} (PGlite): one process only, no replication, no backups unless you copy that directory. ` +
            'Set DATABASE_URL to a PostgreSQL server for production.',
        );
    } else if (bad.length === 0 && (!jwtSecret || !masterKey)) {
      const kept = loadOrCreateDevSecrets(this.dataDir);
      if (!jwtSecret) {
        jwtSecret = kept.jwtSecret;
        warnings.push(`JWT_SECRET is not set: using a generated one kept in ${kept.file}`);
      }
      if (!masterKey && !masterKeyText) {
        masterKey = Buffer.from(kept.masterKey, 'base64');
        warnings.push(`PAYMUX_MASTER_KEY is not set: using a generated one kept in ${kept.file}`);
      }
    }
    if (this.production && this.sandboxEnabled) {
      if (!env.PAYMUX_SANDBOX_IN_PRODUCTION_ANYONE_CAN_PAY)
        bad.push(
          'PAYMUX_SANDBOX=on: refused in production: anyone could complete any Sandbox payment through the ' +
            'unauthenticated /api/v1/sandbox route and be credited; leave it off (the production default), or for ' +
            'a platform with no real money set PAYMUX_SANDBOX_IN_PRODUCTION_ANYONE_CAN_PAY=true',
        );
      else
        warnings.push(
          'PAYMUX_SANDBOX is on in production (PAYMUX_SANDBOX_IN_PRODUCTION_ANYONE_CAN_PAY=true): anyone can ' +
            'complete Sandbox payments and credit any tenant',
        );
    }
    if (bad.length > 0) throw new ConfigError(bad);
    this.jwtSecret = jwtSecret as string;
    this.masterKey = masterKey as Buffer;
    this.warnings = warnings;
  }

  private boundPort: number | undefined;

  /** The port the server actually listens on (PORT=0 picks a free one). */
  bindPort(port: number): void {
    this.boundPort = port;
  }

  /** Absolute base for links we hand out (pay_url, callbacks): PUBLIC_BASE_URL, else this host. */
  baseUrl(): string {
    return this.publicBaseUrl ?? `http://127.0.0.1:${this.boundPort ?? this.port}`;
  }

  /**
   * `providerIds`: the providers whose PAYMUX_<ID>_BASE_URL is read (the server passes every provider's
   * id; tools that call no provider pass none).
   */
  static fromEnv(raw: Record<string, unknown> = process.env, providerIds: readonly string[] = []): AppConfig {
    const { env, problems, providerBaseUrls } = checkEnv(raw, providerIds);
    return new AppConfig(env, problems, providerBaseUrls);
  }
}

function loadOrCreateDevSecrets(dataDir: string): { jwtSecret: string; masterKey: string; file: string } {
  const file = join(dataDir, 'secrets.json');
  if (existsSync(file)) {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { jwtSecret: string; masterKey: string };
    return { ...parsed, file };
  }
  mkdirSync(dataDir, { recursive: true });
  const secrets = {
    jwtSecret: randomBytes(48).toString('base64url'),
    masterKey: randomBytes(32).toString('base64'),
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return { ...secrets, file };
}
