import { isEmail, isURL, isUUID } from 'class-validator';
import fc from 'fast-check';
import { createHmac, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { IsDecimalLike } from '../../src/common/decimal-like.validator';
import { CURRENCIES, isCurrency, parseAmount } from '../../src/common/money';
import { canonicalChain } from '../../src/payments/contract/chains';
import { parseRoute } from '../../src/payments/routing';
import {
  Answer,
  call,
  cluster,
  Cluster,
  Database,
  formatHistogram,
  freshDatabase,
  histogram,
  Json,
  Key,
  login,
  merchant,
  ms,
  must,
  newApiKey,
  newTenant,
  percentile,
  pool,
  ROOT,
  Server,
  signedHeaders,
  sleep,
  startServer,
  stopAllServers,
  Tenant,
} from './harness';
import { runScenario, ScenarioReport } from './report';

/**
 * Scenario 5: fast-check generates bad requests for every public route (the committed openapi.json,
 * the running server's /docs-json, and the seed routes the API docs leave out) and sends them to a
 * real paymux process. Every request is built to be refused: broken credentials, broken JSON, an
 * unsupported or oversized body, a wrong method, a malformed HTTP request, or (validly
 * authenticated, so the validation behind the guard is what answers) a body, query or id with at
 * least one field that cannot be valid. Only the few read-only public routes (health, metrics,
 * docs, a checkout page) may answer 2xx. Result: no 5xx, every request that must be refused is
 * refused, and the database is unchanged apart from the authentication bookkeeping.
 */

const TOTAL = Number(process.env.RELIABILITY_FUZZ_REQUESTS ?? 10_200);
const SEED = Number(process.env.RELIABILITY_FUZZ_SEED ?? Date.now() % 2_147_483_647);
const CONCURRENCY = 24;
/** Malformed HTTP sent over a raw socket (fetch cannot send it), on top of TOTAL. */
const RAW_REQUESTS = 300;
/** Body limit of the server (src/bootstrap.ts BODY_LIMIT_BYTES). */
const BODY_LIMIT = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// The route inventory

type Auth = 'bearer' | 'merchant' | 'public';

interface Route {
  method: string;
  /** Express style: /api/v1/orders/:id */
  path: string;
  auth: Auth;
  params: string[];
  query: string[];
  body: boolean;
  schema?: JsonSchema;
  source: 'openapi.json' | '/docs-json' | 'seed';
}

interface JsonSchema {
  type?: string;
  format?: string;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  $ref?: string;
}

interface OpenApiOperation {
  security?: Record<string, unknown>[];
  parameters?: { name: string; in: string }[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}

interface OpenApi {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

const label = (r: Pick<Route, 'method' | 'path'>): string => `${r.method} ${r.path}`;

function routesOf(doc: OpenApi, source: Route['source']): Route[] {
  const resolve = (s: JsonSchema | undefined): JsonSchema | undefined =>
    s?.$ref ? doc.components?.schemas?.[s.$ref.split('/').pop() ?? ''] : s;
  const out: Route[] = [];
  for (const [p, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const params = op.parameters ?? [];
      const merchantApi = params.some((x) => x.in === 'header' && x.name.toLowerCase() === 'x-api-key');
      const bearer = (op.security ?? []).some((s) => 'bearer' in s);
      out.push({
        method: method.toUpperCase(),
        path: p.replace(/\{([^}]+)\}/g, ':$1'),
        auth: merchantApi ? 'merchant' : bearer ? 'bearer' : 'public',
        params: params.filter((x) => x.in === 'path').map((x) => x.name),
        query: params.filter((x) => x.in === 'query').map((x) => x.name),
        body: op.requestBody !== undefined,
        schema: resolve(op.requestBody?.content?.['application/json']?.schema),
        source,
      });
    }
  }
  return out;
}

/** Public routes the API docs leave out (@ApiExcludeController) or that the client APIs name explicitly. */
const SEED_ROUTES: Route[] = [
  {
    method: 'POST',
    path: '/api/v1/orders/',
    auth: 'bearer',
    params: [],
    query: [],
    body: true,
    source: 'seed',
  },
  ...['GET', 'POST'].map((method): Route => ({
    method,
    path: '/api/v1/x402/orders/:id',
    auth: 'public',
    params: ['id'],
    query: [],
    body: false,
    source: 'seed',
  })),
  {
    method: 'POST',
    path: '/api/v1/webhooks/:provider/:tenant_id',
    auth: 'public',
    params: ['provider', 'tenant_id'],
    query: [],
    body: true,
    source: 'seed',
  },
  {
    method: 'GET',
    path: '/api/v1/return/:provider/:tenant_id',
    auth: 'public',
    params: ['provider', 'tenant_id'],
    query: [],
    body: false,
    source: 'seed',
  },
  ...['/checkout/:order_id', '/checkout/:order_id/status'].map((path): Route => ({
    method: 'GET',
    path,
    auth: 'public',
    params: ['order_id'],
    query: [],
    body: false,
    source: 'seed',
  })),
  ...['/docs', '/docs-json'].map((path): Route => ({
    method: 'GET',
    path,
    auth: 'public',
    params: [],
    query: [],
    body: false,
    source: 'seed',
  })),
];

/** The seed routes the brief names, which openapi.json must list. */
const SEED_IN_OPENAPI = [
  'POST /api/order/payment',
  'POST /v1/payment',
  'GET /v1/payment/:order_no',
  'POST /v1/payment/:order_no/close',
];

/** Public GET routes that answer anything with 2xx and write nothing: only "no 5xx" applies to them. */
const READ_ONLY = new Set([
  'GET /health',
  'GET /health/ready',
  'GET /metrics',
  'GET /docs',
  'GET /docs-json',
  'GET /checkout/:order_id',
  'GET /checkout/:order_id/status',
]);

// ---------------------------------------------------------------------------------------------
// What the generated requests use

interface Ctx {
  base: string;
  t: Tenant;
  /** A second, valid Bearer credential of the same owner: a platform token. */
  platformToken: string;
  /** A platform token and an API key the fuzz does not authenticate with: the ids of its DELETE routes. */
  victimTokenId: string;
  victimKeyId: string;
  revokedPlatformToken: string;
  adminToken: string;
  expiredJwt: string;
  wrongSecretJwt: string;
  noneAlgJwt: string;
  key: Key;
  revokedKey: Key;
  /** A nonce the merchant key has used already. */
  usedNonce: string;
  customPackageId: string;
  orderId: string;
  payId: string;
  finishedOrderId: string;
  x402OrderId: string | null;
  merchantOrderNo: string;
  notificationId: string;
}

/** A request to send. `refused`: it must answer 4xx. `authenticated`: it carries a valid credential. */
interface Probe {
  route: string;
  family: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  merchant?: MerchantAuth;
  refused: boolean;
  authenticated: boolean;
  raw?: Buffer;
}

type MerchantAuth =
  | { kind: 'valid'; key: 'active' | 'revoked' }
  | { kind: 'drop'; drop: string[] }
  | { kind: 'signature'; value: string }
  | { kind: 'tamper'; what: 'method' | 'path' | 'body' | 'secret' }
  | { kind: 'key'; keyId: string }
  /** A stale or malformed X-Timestamp: a fixed text, or seconds from the moment the request is sent. */
  | { kind: 'timestamp'; value?: string; offset?: number }
  | { kind: 'nonce'; value: 'used' | 'oversized' }
  | { kind: 'none' };

interface Outcome {
  probe: Probe;
  status: number;
  ms: number;
  code: string;
  text: string;
  message: string;
  error?: string;
  /** The X-Nonce sent, and whether the request was validly signed with the active key. */
  nonce?: string;
  validSignature?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Arbitraries of bad values

/** Any JSON value, with unicode (astral, lone surrogates) strings. */
const anyJson = fc.jsonValue({ maxDepth: 2, stringUnit: 'binary' });
const unicode = fc.string({ unit: 'binary', minLength: 1, maxLength: 40 });
const grapheme = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 });
const withNul = fc
  .tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }))
  .map(([a, b]) => `${a}\u0000${b}`);
const nonString = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.array(anyJson, { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), anyJson, { maxKeys: 3 }),
);
const nonBool = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.constantFrom('true', 'false', 1, 0),
  fc.array(fc.boolean(), { maxLength: 2 }),
);
const nonObject = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.array(anyJson, { maxLength: 3 }));
const tooLong = (max: number): fc.Arbitrary<string> =>
  fc
    .tuple(fc.string({ unit: 'grapheme', maxLength: 20 }), fc.integer({ min: 1, max: 200 }))
    .map(([s, extra]) => `${s}${'x'.repeat(max + extra)}`);
/** A literal JSON number spliced into the body text (1e400 parses as Infinity). */
const RAW = '\u27e6RAW:';
const rawNumber = (text: string): string => `${RAW}${text}\u27e7`;
const spliceRaw = (json: string): string => json.replace(/"\u27e6RAW:([^"\u27e7]*)\u27e7"/g, '$1');
const decimalLike = new IsDecimalLike();
/** Whether the routing table lets `token` be paid on `chain`. */
const carries = (token: string, chain: string): boolean => {
  try {
    parseRoute(token, chain);
    return true;
  } catch {
    return false;
  }
};
const hugeNumber = fc.oneof(
  fc.double({ min: 1e16, max: 1e308, noNaN: true }),
  fc.bigInt({ min: 10n ** 16n, max: 10n ** 60n }).map((n) => n.toString()),
  fc.constantFrom(
    rawNumber('1e400'),
    rawNumber('-1e400'),
    rawNumber('123456789012345678901234567890'),
    rawNumber('9007199254740993'),
    '1e+300',
  ),
);
const negative = fc.oneof(
  fc.integer({ max: -1 }),
  fc.double({ max: -1e-6, noNaN: true, noDefaultInfinity: true }),
  fc.integer({ min: 1, max: 1_000_000 }).map((n) => `-${n}`),
);
const notDecimal = fc.oneof(
  fc.string({ maxLength: 20 }).filter((s) => !decimalLike.validate(s)),
  unicode.filter((s) => !decimalLike.validate(s)),
  fc.boolean(),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.constantFrom(
    '1e5',
    '0x10',
    'NaN',
    'Infinity',
    '1,5',
    '١٢٣',
    '１２３',
    '12.',
    '.5',
    '+1',
    rawNumber('1e400'),
  ),
);
/** More decimals than the currency allows (the last one non-zero). */
const tooPrecise = (scale: number): fc.Arbitrary<string> =>
  fc
    .tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 1, max: 9 }))
    .map(([i, d]) => `${i}.${'0'.repeat(scale)}${d}`);
/** A money field: every value is refused whatever the currency (2 decimals assumed where it matters). */
const badMoney = (scale: number): fc.Arbitrary<unknown> =>
  fc.oneof(hugeNumber, negative, notDecimal, tooPrecise(scale));
const notUuid = fc
  .oneof(
    fc.string({ maxLength: 40 }),
    unicode,
    fc.uuid().map((u) => `${u}x`),
    fc.uuid().map((u) => u.replace(/-/g, '')),
    fc.constant('00000000-0000-0000-0000-00000000000g'),
  )
  .filter((s) => !isUUID(s));
/** A syntactically valid id that no row has. */
const unknownUuid = fc.uuid({ version: 4 });
const badEnum = (allowed: readonly string[]): fc.Arbitrary<unknown> =>
  fc
    .oneof(fc.string({ maxLength: 12 }), unicode, nonString)
    .filter((v) => typeof v !== 'string' || !allowed.includes(v));
const badUrl = fc
  .oneof(
    fc.string({ maxLength: 30 }),
    unicode,
    fc.constantFrom(
      'javascript:alert(1)',
      'ftp://files.example/x',
      'http://',
      '//shop.example/x',
      'https:/x',
      'data:text/html,<b>x</b>',
      'file:///etc/passwd',
    ),
  )
  .filter((s) => !isURL(s, { protocols: ['http', 'https'], require_protocol: true, require_tld: false }));
/** The merchant API reads URLs with WHATWG URL, which takes `https:/x` as https://x/: those are not bad there. */
const badMerchantUrl = badUrl.filter((s) => {
  try {
    const u = new URL(s);
    return u.protocol !== 'http:' && u.protocol !== 'https:';
  } catch {
    return true;
  }
});
const badEmail = fc
  .oneof(
    fc.string({ maxLength: 30 }),
    unicode,
    fc.constantFrom('a@', '@b.c', 'a@b', 'a b@c.d', 'a@b..c', `${'a'.repeat(250)}@x.io`),
  )
  .filter((s) => !isEmail(s) || s.length > 254);
/** Text for a required string field of 1-max characters: each value is refused. */
const badText = (max: number, required = true): fc.Arbitrary<unknown> =>
  fc.oneof(
    nonString,
    withNul,
    tooLong(max),
    ...(required ? [fc.constant(''), fc.constant(null)] : [fc.constant('')]),
  );
/** An optional field: null and absent are valid, so only a wrong type, NUL or a too long text is bad. */
const badOptionalText = (max: number): fc.Arbitrary<unknown> => fc.oneof(nonString, withNul, tooLong(max));

// ---------------------------------------------------------------------------------------------
// Bad bodies

interface BodyModel {
  /** A valid body (never sent as it is). */
  base: Record<string, unknown>;
  /** Per field, values of which each alone makes the body invalid. */
  bad: Record<string, fc.Arbitrary<unknown>>;
  /** Fields whose absence alone makes the body invalid. */
  required: string[];
  /** Unknown fields are refused (the DTO pipes forbid them; the merchant API ignores them). */
  strict: boolean;
  /** A body that is not a JSON object is refused. */
  objectOnly: boolean;
}

const extraKey = (known: Record<string, unknown>): fc.Arbitrary<string> =>
  fc
    .oneof(
      fc.string({ minLength: 1, maxLength: 12 }),
      unicode,
      fc.constantFrom('admin', 'tenant_id', 'id', 'is_platform_admin', 'role'),
      // Names of Object.prototype members: they once got past the whitelist unnoticed.
      fc.constantFrom('constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'),
    )
    .filter((k) => !Object.prototype.hasOwnProperty.call(known, k) && k !== '__proto__');

/** A body built from the model with at least one change that alone makes it invalid. */
function badBody(m: BodyModel): fc.Arbitrary<{ body: unknown; why: string }> {
  const names = Object.keys(m.bad);
  const options: fc.Arbitrary<{ body: unknown; why: string }>[] = [];
  if (names.length > 0) {
    const mutate = fc
      .uniqueArray(fc.constantFrom(...names), { minLength: 1, maxLength: Math.min(3, names.length) })
      .chain((keys) => fc.tuple(fc.constant(keys), fc.tuple(...keys.map((k) => m.bad[k]))))
      .map(([keys, values]) => {
        const body: Record<string, unknown> = { ...m.base };
        keys.forEach((k, i) => (body[k] = values[i]));
        return { body, why: `bad ${keys.join(', ')}` };
      });
    options.push(mutate, mutate, mutate);
  }
  if (m.required.length > 0)
    options.push(
      fc.subarray(m.required, { minLength: 1 }).map((drop) => ({
        body: Object.fromEntries(Object.entries(m.base).filter(([k]) => !drop.includes(k))),
        why: `without ${drop.join(', ')}`,
      })),
    );
  if (m.strict)
    options.push(
      fc
        .tuple(extraKey(m.base), anyJson)
        .map(([k, v]) => ({ body: { ...m.base, [k]: v }, why: 'an unknown field' })),
    );
  if (m.objectOnly) options.push(nonObject.map((body) => ({ body, why: 'not a JSON object' })));
  return fc.oneof(...options);
}

/** Bodies from the openapi schema alone (for a route without a hand model): always invalid. */
function schemaBody(schema: JsonSchema): fc.Arbitrary<{ body: unknown; why: string }> | undefined {
  const props = schema.properties ?? {};
  const required = schema.required ?? [];
  const options: fc.Arbitrary<{ body: unknown; why: string }>[] = [];
  const typed = Object.entries(props).filter(
    ([, p]) => p.type === 'string' || p.type === 'boolean' || p.enum,
  );
  if (required.length > 0 && Object.keys(props).length > 0) {
    options.push(
      fc
        .tuple(
          fc.subarray(required, { minLength: 1 }),
          fc.dictionary(fc.constantFrom(...Object.keys(props)), anyJson),
        )
        .map(([drop, rest]) => ({
          body: Object.fromEntries(Object.entries(rest).filter(([k]) => !drop.includes(k))),
          why: `schema: without ${drop.join(', ')}`,
        })),
      nonObject.map((body) => ({ body, why: 'schema: not a JSON object' })),
    );
  }
  if (typed.length > 0)
    options.push(
      fc
        .constantFrom(...typed)
        .chain(([name, p]) =>
          (p.enum
            ? badEnum(p.enum.map(String))
            : p.type === 'boolean'
              ? nonBool
              : p.format === 'uuid'
                ? notUuid
                : nonString
          ).map((v) => ({ body: { [name]: v }, why: `schema: bad ${name}` })),
        ),
    );
  return options.length ? fc.oneof(...options) : undefined;
}

/** Text that is not JSON (checked with JSON.parse), or JSON nested far too deep. */
const badJson = fc
  .oneof(
    fc
      .json({ maxDepth: 3 })
      .chain((j) => fc.integer({ min: 0, max: Math.max(0, j.length - 1) }).map((n) => j.slice(0, n))),
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc.constantFrom(
      '{',
      '{"a":}',
      "{'pay_way':'Sandbox'}",
      '{"a":1,}',
      '[1,2',
      'NaN',
      '{"amount":NaN}',
      '{"amount":Infinity}',
      '{"a":"\\x00"}',
      '{"a":"\\ud800"',
      '\u0000',
      '{"a":1}{"b":2}',
      '{"a":01}',
      '{"a":.5}',
      '{"a":+1}',
      '{"a":"\t"}',
      'true false',
    ),
    fc.integer({ min: 1_000, max: 50_000 }).map((n) => '['.repeat(n)),
  )
  // An empty body is no body (the server drops its content type), not broken JSON.
  .filter((text) => text.length > 0 && !isJson(text));

/**
 * Valid JSON no body may hold: nesting far deeper than any DTO, and prototype poisoning. Only for
 * routes that read a body (a route that ignores its body may accept them).
 */
const hostileJson = fc.oneof(
  fc.integer({ min: 33, max: 20_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.integer({ min: 33, max: 5_000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
  fc.constantFrom(
    '{"__proto__":{"admin":true}}',
    '{"constructor":{"prototype":{"admin":true}}}',
    '{"a":{"__proto__":{"is_platform_admin":true}}}',
  ),
);

/** Types Fastify has no parser for (415). */
const unsupportedType = fc.oneof(
  fc.constantFrom(
    'application/xml',
    'text/html',
    'image/png',
    'application/x-www-form-urlencoded-ish',
    'application/fuzz+bin',
    'multipart/mixed',
  ),
  fc.stringMatching(/^[a-z]{3,10}\/x-[a-z0-9]{1,12}$/),
);

// ---------------------------------------------------------------------------------------------
// Bad credentials

function jwt(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  secret: string | null,
): string {
  const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${enc(header)}.${enc(claims)}`;
  return secret === null
    ? `${head}.`
    : `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

const claimsOf = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;

/** Header-safe printable text (what fetch can send); raw bytes go through the raw socket family. */
const headerText = fc
  .string({ unit: 'grapheme-ascii', maxLength: 60 })
  .map((s) => s.replace(/[^\x20-\x7e]/g, '').trim());

function badAuthorization(ctx: Ctx): fc.Arbitrary<string> {
  const token = ctx.t.token;
  return fc.oneof(
    headerText,
    headerText.map((s) => `Bearer ${s}`),
    fc.constantFrom(
      'Bearer',
      'Bearer ',
      'bearer',
      `Basic ${Buffer.from('admin:admin').toString('base64')}`,
      `Token ${token}`,
      `${token}`,
      `Bearer ${token} extra`,
    ),
    fc
      .integer({ min: 0, max: token.length - 1 })
      .map((i) => `Bearer ${token.slice(0, i)}${token[i] === 'A' ? 'B' : 'A'}${token.slice(i + 1)}`),
    fc.integer({ min: 1, max: token.length - 1 }).map((i) => `Bearer ${token.slice(0, i)}`),
    fc.constantFrom(
      `Bearer ${ctx.expiredJwt}`,
      `Bearer ${ctx.wrongSecretJwt}`,
      `Bearer ${ctx.noneAlgJwt}`,
      `Bearer ${ctx.revokedPlatformToken}`,
    ),
    fc.stringMatching(/^[A-Za-z0-9_-]{43}$/).map((s) => `Bearer pmx_${s}`),
    fc
      .tuple(
        fc.base64String({ maxLength: 40 }),
        fc.base64String({ maxLength: 80 }),
        fc.base64String({ maxLength: 43 }),
      )
      .map(([a, b, c]) => `Bearer ${a}.${b}.${c}`),
  );
}

/** Every way the merchant headers can be wrong. */
const badMerchantAuth: fc.Arbitrary<MerchantAuth> = fc.oneof(
  fc.constant<MerchantAuth>({ kind: 'none' }),
  fc
    .subarray(['x-api-key', 'x-timestamp', 'x-nonce', 'x-signature'], { minLength: 1 })
    .map((drop): MerchantAuth => ({ kind: 'drop', drop })),
  fc
    .oneof(
      fc.stringMatching(/^[0-9a-f]{64}$/),
      headerText,
      fc.constant(''),
      fc.stringMatching(/^[0-9a-f]{129,200}$/),
    )
    .map((value): MerchantAuth => ({ kind: 'signature', value })),
  fc
    .constantFrom('method', 'path', 'body', 'secret')
    .map((what): MerchantAuth => ({ kind: 'tamper', what: what as 'method' })),
  fc
    .oneof(
      fc.stringMatching(/^ak_[A-Za-z0-9]{8,24}$/),
      headerText.filter((s) => s.length > 0),
      fc.stringMatching(/^[a-z]{65,90}$/),
    )
    .map((keyId): MerchantAuth => ({ kind: 'key', keyId })),
  fc.constant<MerchantAuth>({ kind: 'valid', key: 'revoked' }),
  fc.oneof(
    fc
      .integer({ min: 302, max: 1_000_000_000 })
      .map((d): MerchantAuth => ({ kind: 'timestamp', offset: -d })),
    fc.integer({ min: 302, max: 1_000_000 }).map((d): MerchantAuth => ({ kind: 'timestamp', offset: d })),
    fc
      .oneof(
        headerText.filter((s) => s.length > 0 && !/^\d{1,12}$/.test(s)),
        fc.constantFrom('1e9', '-1', '0x6500', String(Date.now()), '9'.repeat(13), ' 1700000000'),
      )
      .map((value): MerchantAuth => ({ kind: 'timestamp', value })),
  ),
  fc.constantFrom<MerchantAuth>({ kind: 'nonce', value: 'used' }, { kind: 'nonce', value: 'oversized' }),
);

// ---------------------------------------------------------------------------------------------
// Paths

/** Percent-encode a path segment byte by byte (NUL, unicode, slashes and all). */
const segment = (s: string): string =>
  Array.from(Buffer.from(s, 'utf8'))
    .map((b) =>
      /[A-Za-z0-9._~-]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');

/** An id that is no row of anyone, or no id at all. '.' and '..' would be resolved away by the URL. */
const junkId = fc
  .oneof(
    unknownUuid,
    notUuid,
    grapheme,
    withNul,
    fc.constantFrom(
      "' OR '1'='1",
      '1; DROP TABLE orders',
      '../../etc/passwd',
      '%00',
      '%',
      '{{7*7}}',
      '<script>',
      'null',
      '-1',
      '0',
      '9'.repeat(400),
      'a'.repeat(5000),
      '00000000-0000-0000-0000-000000000000',
      'ffffffff-ffff-ffff-ffff-ffffffffffff',
    ),
    fc.integer().map(String),
    fc.double().map(String),
  )
  .filter((s) => s.length > 0 && s !== '.' && s !== '..');

const fill = (path: string, values: Record<string, string>): string =>
  path.replace(/:([A-Za-z_]+)/g, (_, name: string) => segment(values[name] ?? randomUUID()));

// ---------------------------------------------------------------------------------------------
// Hand models of the routes (what a valid request looks like, so one broken field is what fails)

const PROVIDERS = ['stripe', 'paypal', 'alipay', 'wechat', 'x402', 'alchemy', 'tokenpay', 'sandbox'];
const PAY_WAYS = [
  'wechatpay',
  'wechat',
  'weapp',
  'alipay',
  'stripe',
  'paypal',
  'x402',
  'alchemy',
  'tokenpay',
  'sandbox',
  'crypto',
];
const notPayWay = fc
  .oneof(fc.stringMatching(/^[A-Za-z0-9_]{1,32}$/), grapheme)
  .filter((s) => !PAY_WAYS.includes(s.toLowerCase()));

interface Model {
  body?: (ctx: Ctx) => BodyModel;
  /** No body is read: only broken JSON, types, sizes, ids and credentials apply. */
  bodyless?: boolean;
  /** Query parameters and values of which each alone is refused. */
  query?: (ctx: Ctx) => Record<string, fc.Arbitrary<string>>;
  /** The real value of each path parameter. */
  params?: (ctx: Ctx) => Record<string, string>;
  /** A wrong value of a path parameter is refused (404 or 400), even with an otherwise valid body. */
  paramsRefused?: boolean;
  /** Values of a path parameter that must not be generated as junk (they are real). */
  realNames?: Record<string, readonly string[]>;
  /** The route needs a platform admin: an owner's token is refused (403). */
  admin?: boolean;
  /** Headers of which each alone makes an otherwise valid request invalid. */
  headers?: Record<string, fc.Arbitrary<string>>;
}

/** The query is converted with Number() (class-transformer): ' 50' and '0x10' are valid limits. */
const badLimit = fc
  .oneof(
    fc.constantFrom('0', '101', '-1', '1.5', 'abc', '1e400', '', 'NaN', '١٠', '5e-1'),
    fc.integer({ min: 101 }).map(String),
    unicode,
  )
  .filter((v) => {
    const n = Number(v);
    return !(Number.isInteger(n) && n >= 1 && n <= 100);
  });
const badCursor = fc.oneof(
  fc.base64String({ minLength: 4, maxLength: 60 }),
  tooLong(512),
  unicode,
  fc.tuple(fc.string(), fc.string()).map((pair) => Buffer.from(JSON.stringify(pair)).toString('base64url')),
  fc.constant(Buffer.from(JSON.stringify(['99999-01-01T00:00:00Z', randomUUID()])).toString('base64url')),
  withNul,
);
const listQuery = { limit: badLimit, cursor: badCursor };
const badIdempotencyKey = fc.oneof(
  fc.constant(''),
  fc.stringMatching(/^[\x21-\x7e]{256,300}$/),
  fc
    .tuple(
      // Whitespace around a header value is not part of it: the bad character goes in the middle.
      fc.stringMatching(/^[\x21-\x7e]{1,10}$/),
      fc.constantFrom(' ', '\t', 'é', '\u00ff'),
      fc.stringMatching(/^[\x21-\x7e]{1,10}$/),
    )
    .map(([a, b, c]) => `${a}${b}${c}`),
);

const MODELS: Record<string, Model> = {
  'PUT /api/v1/providers/:provider': {
    params: () => ({ provider: 'stripe' }),
    paramsRefused: true,
    realNames: { provider: PROVIDERS },
    body: () => ({
      base: {
        enabled: true,
        mode: 'test',
        credentials: { secret_key: 'sk_test_fuzz', webhook_secret: 'whsec_fuzz' },
      },
      bad: {
        enabled: nonBool,
        mode: badEnum(['live', 'test']),
        credentials: fc.oneof(
          nonObject,
          fc.constant(null),
          fc.record({
            secret_key: fc.oneof(nonString, fc.constant(''), withNul, tooLong(16384)),
            webhook_secret: fc.constant('whsec_x'),
          }),
          fc
            .tuple(extraKey({ secret_key: 1, webhook_secret: 1 }), anyJson)
            .map(([k, v]) => ({ secret_key: 'sk', webhook_secret: 'wh', [k]: v })),
          fc.constant({ secret_key: 'sk_test_only' }),
        ),
      },
      required: ['credentials'],
      strict: true,
      objectOnly: true,
    }),
  },
  'POST /api/v1/auth/register': {
    body: () => ({
      base: {
        email: 'fuzz-never-registered@example.test',
        password: 'long enough password',
        name: 'Fuzz',
        tenant_name: 'Fuzz Co',
      },
      bad: {
        email: badEmail,
        password: fc.oneof(nonString, fc.string({ maxLength: 7 }), tooLong(256)),
        name: badText(100),
        tenant_name: badOptionalText(100),
      },
      required: ['email', 'password', 'name'],
      strict: true,
      objectOnly: true,
    }),
  },
  'POST /api/v1/auth/login': {
    body: () => ({
      base: { email: 'fuzz-never-registered@example.test', password: 'whatever' },
      bad: { email: badEmail, password: fc.oneof(nonString, fc.constant(''), tooLong(256)) },
      required: ['email', 'password'],
      strict: true,
      objectOnly: true,
    }),
  },
  'POST /api/v1/auth/tokens': { body: () => nameModel() },
  'DELETE /api/v1/auth/tokens/:id': {
    bodyless: true,
    params: (c) => ({ id: c.victimTokenId }),
    paramsRefused: true,
  },
  'POST /api/v1/api-keys': { body: () => nameModel() },
  'DELETE /api/v1/api-keys/:id': {
    bodyless: true,
    params: (c) => ({ id: c.victimKeyId }),
    paramsRefused: true,
  },
  'POST /api/v1/api-keys/:id/rotate': {
    params: (c) => ({ id: c.victimKeyId }),
    paramsRefused: true,
    body: () => ({
      base: { overlap_seconds: 60 },
      bad: {
        overlap_seconds: fc.oneof(
          fc.integer({ max: -1 }),
          fc.integer({ min: 30 * 86400 + 1 }),
          fc.double({ min: 0.01, max: 1000, noNaN: true }).filter((n) => !Number.isInteger(n)),
          fc.string(),
          fc.boolean(),
          hugeNumber,
        ),
      },
      required: [],
      strict: true,
      objectOnly: true,
    }),
  },
  'POST /api/v1/applications': { body: () => nameModel() },
  'GET /api/v1/applications/:id': { params: (c) => ({ id: c.t.applicationId }), paramsRefused: true },
  'GET /api/v1/applications/:id/ledger': {
    params: (c) => ({ id: c.t.applicationId }),
    paramsRefused: true,
    query: () => listQuery,
  },
  'POST /api/v1/applications/:id/usage': {
    params: (c) => ({ id: c.t.applicationId }),
    paramsRefused: true,
    body: () => ({
      base: { amount: 1, reference: 'fuzz-usage' },
      bad: {
        amount: fc.oneof(hugeNumber, negative, notDecimal, tooPrecise(6), fc.constant(0)),
        reference: badText(128),
      },
      required: ['amount', 'reference'],
      strict: true,
      objectOnly: true,
    }),
  },
  'POST /api/v1/packages': {
    body: (c) => ({
      base: {
        name: 'Fuzz package',
        amount: 10,
        price: 1.99,
        currency: 'USD',
        application_id: c.t.applicationId,
      },
      bad: {
        name: badText(100),
        amount: fc.oneof(hugeNumber, negative, notDecimal),
        price: badMoney(2),
        currency: badEnum(CURRENCIES),
        discount: fc.oneof(negative, notDecimal, hugeNumber, fc.constantFrom(0, 1.5, '2', '1.0000001')),
        custom_amount: fc.oneof(
          nonObject,
          fc.record({ unit_price: notDecimal, min: fc.constant(1), max: fc.constant(10) }),
          fc.record({ unit_price: fc.constant(0.1), min: fc.constant(1) }),
        ),
        application_id: fc.oneof(notUuid, unknownUuid),
      },
      required: ['name', 'amount', 'price', 'currency'],
      strict: true,
      objectOnly: true,
    }),
  },
  'GET /api/v1/packages/:id': { params: (c) => ({ id: c.t.packageId }), paramsRefused: true },
  'PATCH /api/v1/packages/:id': {
    params: (c) => ({ id: c.t.packageId }),
    paramsRefused: true,
    body: () => ({
      base: { name: 'Renamed by fuzz' },
      bad: {
        name: fc.oneof(badOptionalText(100), fc.constant('')),
        amount: fc.oneof(hugeNumber, negative, notDecimal),
        price: badMoney(2),
        discount: fc.oneof(negative, notDecimal, hugeNumber, fc.constantFrom(0, 1.5)),
        active: nonBool,
      },
      required: [],
      strict: true,
      objectOnly: true,
    }),
  },
  'DELETE /api/v1/packages/:id': {
    bodyless: true,
    params: (c) => ({ id: c.t.packageId }),
    paramsRefused: true,
  },
  'GET /api/v1/orders': {
    query: () => ({
      ...listQuery,
      application_id: notUuid,
      state: fc
        .string({ maxLength: 12 })
        .filter(
          (s) =>
            ![
              'Pending',
              'Paid',
              'Finished',
              'Expired',
              'Cancelled',
              'Failed',
              'Refunded',
              'PartiallyRefunded',
            ].includes(s),
        ),
      pay_way: tooLong(32),
      unknown_param: fc.string(),
    }),
  },
  'POST /api/v1/orders': { body: (c) => orderModel(c), headers: { 'idempotency-key': badIdempotencyKey } },
  // The trailing-slash spelling orders the custom-amount package (10-1000 credits at 0.1 USD each).
  'POST /api/v1/orders/': {
    body: (c) => orderModel(c, c.customPackageId),
    headers: { 'idempotency-key': badIdempotencyKey },
  },
  'GET /api/v1/orders/:id': { params: (c) => ({ id: c.orderId }), paramsRefused: true },
  'POST /api/v1/orders/:id/cancel': {
    bodyless: true,
    params: (c) => ({ id: c.orderId }),
    paramsRefused: true,
  },
  'POST /api/order/payment': {
    body: (c) => ({
      base: { order_id: c.orderId, pay_way: 'sandbox' },
      bad: {
        order_id: fc.oneof(
          nonString,
          fc.constant(''),
          tooLong(64),
          notUuid.filter((s) => s.length > 0),
          unknownUuid,
        ),
        pay_way: fc.oneof(nonString, fc.constant(''), tooLong(32), notPayWay),
        openid: badOptionalText(128),
      },
      required: ['order_id', 'pay_way'],
      strict: true,
      objectOnly: true,
    }),
  },
  'POST /api/v1/orders/:id/refunds': {
    params: (c) => ({ id: c.finishedOrderId }),
    paramsRefused: true,
    headers: { 'idempotency-key': badIdempotencyKey },
    body: () => ({
      base: { amount: 1, reason: 'fuzz' },
      bad: { amount: badMoney(2), reason: badText(255), force: nonBool },
      required: ['reason'],
      strict: true,
      objectOnly: true,
    }),
  },
  'GET /api/v1/orders/:id/refunds': { params: (c) => ({ id: c.finishedOrderId }), paramsRefused: true },
  'POST /v1/payment': {
    body: () => ({
      base: {
        order_no: 'FUZZ0000000001',
        currency: 'USDT',
        amount: '1.5',
        chain_type: 'BSC',
        notify_url: 'https://merchant.example/notify',
        product_name: 'p',
        redirect_url: 'https://merchant.example/r',
        meta: 'm',
      },
      bad: {
        order_no: fc.oneof(
          nonString,
          fc.constant(''),
          fc.constant(null),
          fc.stringMatching(/^[A-Za-z0-9]{1,7}$/),
          fc.stringMatching(/^[A-Za-z0-9]{33,70}$/),
          grapheme.filter((s) => !/^[A-Za-z0-9]{8,32}$/.test(s)),
          withNul,
        ),
        currency: fc.oneof(
          nonString,
          fc.constant(''),
          tooLong(16),
          fc.string({ maxLength: 6 }).filter((s) => !isCurrency(s.trim().toUpperCase())),
          unicode.filter((s) => !isCurrency(s.trim().toUpperCase())),
        ),
        amount: fc.oneof(
          fc.double({ min: 0.01, max: 100, noNaN: true }),
          fc.integer(),
          fc.constant(null),
          fc
            .oneof(
              notDecimal.filter((v) => typeof v === 'string'),
              tooPrecise(6),
              hugeNumber.map(String),
              fc.constantFrom('0', '-1', '0.0000001'),
            )
            .filter((s) => {
              try {
                parseAmount(s, 'USDT');
                return false;
              } catch {
                return true;
              }
            }),
        ),
        chain_type: fc.oneof(
          nonString,
          fc.constant(''),
          tooLong(32),
          fc.string({ maxLength: 10 }).filter((s) => !canonicalChain(s)),
          // Chain names that exist, but do not carry USDT (checked with the server's own routing table).
          fc
            .constantFrom('BTC', 'SOLANA', 'TRC20', 'BASE', 'ETH', 'TRON-ish')
            .filter((chain) => !carries('USDT', chain)),
        ),
        notify_url: fc.oneof(
          nonString,
          fc.constant(''),
          badMerchantUrl,
          tooLong(2048).map((s) => `https://x.example/${s}`),
          fc.constantFrom(
            'http://127.0.0.1/notify',
            'http://localhost:8080/n',
            'http://[::1]/n',
            'http://10.0.0.8/n',
            'http://192.168.1.1/n',
            'ftp://x.example/n',
          ),
        ),
        product_name: fc.oneof(nonString, tooLong(32), withNul),
        redirect_url: fc.oneof(
          nonString,
          badMerchantUrl.filter((s) => s !== ''),
          withNul,
        ),
        meta: fc.oneof(nonString, tooLong(1024), withNul),
      },
      required: ['order_no', 'currency', 'amount', 'chain_type', 'notify_url'],
      strict: false,
      objectOnly: true,
    }),
  },
  'GET /v1/payment/:order_no': { params: (c) => ({ order_no: c.merchantOrderNo }), paramsRefused: true },
  'POST /v1/payment/:order_no/close': {
    bodyless: true,
    params: (c) => ({ order_no: c.merchantOrderNo }),
    paramsRefused: true,
  },
  'PUT /api/v1/routing': {
    body: () => ({
      base: { priority: ['sandbox'] },
      bad: {
        priority: fc.oneof(
          nonObject.filter((v) => !Array.isArray(v)),
          fc.constant(null),
          fc.array(nonString, { minLength: 1, maxLength: 3 }),
          fc.dictionary(fc.string(), fc.string()),
        ),
      },
      required: ['priority'],
      strict: true,
      objectOnly: true,
    }),
  },
  'POST /api/v1/sandbox/payments/:pay_id/complete': {
    params: (c) => ({ pay_id: c.payId }),
    paramsRefused: true,
    body: () => ({
      base: { outcome: 'failed', notify: false },
      bad: {
        outcome: badEnum(['succeeded', 'failed']),
        amount: fc.oneof(notDecimal, fc.constant(rawNumber('1e400'))),
        currency: fc.oneof(nonString, tooLong(8), withNul),
        notify: nonBool,
      },
      required: ['outcome'],
      strict: true,
      objectOnly: true,
    }),
  },
  'GET /api/v1/notifications': {
    query: () => ({ order_id: notUuid, unknown_param: fc.string() }),
  },
  'POST /api/v1/notifications/:id/resend': {
    bodyless: true,
    params: (c) => ({ id: c.notificationId }),
    paramsRefused: true,
  },
  'PUT /api/v1/admin/fx-rates/:base/:quote': {
    admin: true,
    params: () => ({ base: 'USD', quote: 'USDC' }),
    paramsRefused: true,
    realNames: {
      base: CURRENCIES.flatMap((c) => [c, c.toLowerCase()]),
      quote: CURRENCIES.flatMap((c) => [c, c.toLowerCase()]),
    },
    body: () => ({
      base: { rate: '1.0' },
      bad: {
        rate: fc.oneof(
          notDecimal,
          negative,
          fc.constantFrom(0, '0', '1e20', '100000000000000000000', `0.${'0'.repeat(18)}1`),
          // Rates go up to 1e20 (exclusive), so "huge" starts there.
          fc.double({ min: 1e20, max: 1e308, noNaN: true }),
          fc.bigInt({ min: 10n ** 20n, max: 10n ** 60n }).map((n) => n.toString()),
          fc.constantFrom(rawNumber('1e400'), rawNumber('123456789012345678901234567890')),
        ),
      },
      required: ['rate'],
      strict: true,
      objectOnly: true,
    }),
  },
  'GET /api/v1/admin/fx-rates': { admin: true },
  // include_inactive is read as `=== 'true'`: no value of it is invalid, so only credentials can be bad.
  'GET /api/v1/packages': {},
  'POST /api/v1/webhooks/:provider/:tenant_id': {
    params: (c) => ({ provider: 'sandbox', tenant_id: c.t.tenantId }),
    paramsRefused: true,
    realNames: { provider: PROVIDERS },
  },
  'GET /api/v1/return/:provider/:tenant_id': {
    params: (c) => ({ provider: 'stripe', tenant_id: c.t.tenantId }),
    paramsRefused: true,
    realNames: { provider: PROVIDERS },
  },
  'GET /api/v1/x402/orders/:id': { params: (c) => ({ id: c.x402OrderId ?? c.orderId }), paramsRefused: true },
  'POST /api/v1/x402/orders/:id': {
    params: (c) => ({ id: c.x402OrderId ?? c.orderId }),
    paramsRefused: true,
  },
  'GET /checkout/:order_id': { params: (c) => ({ order_id: c.orderId }), paramsRefused: true },
  'GET /checkout/:order_id/status': { params: (c) => ({ order_id: c.orderId }), paramsRefused: true },
};

function nameModel(): BodyModel {
  return {
    base: { name: 'fuzz' },
    bad: { name: badText(100) },
    required: ['name'],
    strict: true,
    objectOnly: true,
  };
}

function orderModel(c: Ctx, customPackage?: string): BodyModel {
  return {
    base: customPackage
      ? { application_id: c.t.applicationId, package_id: customPackage, pay_way: 'Sandbox', amount: 50 }
      : { application_id: c.t.applicationId, package_id: c.t.packageId, pay_way: 'Sandbox' },
    bad: {
      application_id: fc.oneof(notUuid, unknownUuid, nonString),
      package_id: fc.oneof(notUuid, unknownUuid, nonString),
      pay_way: fc.oneof(nonString, fc.constant(''), tooLong(32), notPayWay),
      // A fixed package takes no amount at all; the custom one takes 10-1000.
      amount: fc.oneof(
        hugeNumber,
        negative,
        notDecimal,
        ...(customPackage
          ? [fc.constantFrom(0, 5, 9.9, '9.99', 1000.1, 1001, 1e6)]
          : [fc.integer({ min: 1, max: 100 })]),
      ),
      pay_currency: fc.oneof(
        nonString,
        fc.stringMatching(/^[A-Za-z0-9]{11,20}$/),
        fc.constant('U'),
        grapheme.filter((s) => !/^[A-Za-z0-9]{2,10}$/.test(s)),
      ),
      chain: fc.oneof(
        nonString,
        fc.stringMatching(/^[A-Za-z0-9]{17,30}$/),
        grapheme.filter((s) => !/^[A-Za-z0-9]{2,16}$/.test(s)),
      ),
      redirect_url: fc.oneof(
        nonString,
        badUrl.filter((s) => s !== ''),
        tooLong(2048).map((s) => `https://shop.example/${s}`),
      ),
    },
    required: ['application_id', 'package_id', 'pay_way'],
    strict: true,
    objectOnly: true,
  };
}

// ---------------------------------------------------------------------------------------------
// Generating the probes of one route

interface Family {
  name: string;
  weight: number;
  arb: fc.Arbitrary<Probe>;
}

function familiesOf(r: Route, ctx: Ctx, allMethods: Map<string, Set<string>>): Family[] {
  const key = label(r);
  const m = MODELS[key];
  const readOnly = READ_ONLY.has(key);
  // The platform operator's API (a route there without a model is still an admin route).
  const admin = m?.admin ?? r.path.startsWith('/api/v1/admin/');
  const real = m?.params?.(ctx) ?? {};
  const fams: Family[] = [];
  const probe = (
    family: string,
    p: Partial<Probe> & { path: string },
    refused = !readOnly,
    authenticated = false,
  ): Probe => ({
    route: key,
    family,
    method: r.method,
    headers: {},
    refused,
    authenticated,
    ...p,
  });
  const realPath = (): string => fill(r.path, real);
  const json = (v: unknown): string => spliceRaw(JSON.stringify(v) ?? 'null');
  /** A valid credential for the route, and whether it gets past the guard. */
  const goodAuth = (): fc.Arbitrary<Pick<Probe, 'headers' | 'merchant'>> => {
    if (r.auth === 'merchant')
      return fc.constant({ headers: {}, merchant: { kind: 'valid', key: 'active' } });
    if (r.auth === 'bearer') {
      const tokens = admin ? [ctx.adminToken] : [ctx.t.token, ctx.platformToken];
      return fc.constantFrom(...tokens).map((t) => ({ headers: { authorization: `Bearer ${t}` } }));
    }
    return fc.constant({ headers: {} });
  };
  const body = r.body || m?.body !== undefined;
  const sendsBody = r.method !== 'GET' && r.method !== 'HEAD';
  const bodyModel = m?.body?.(ctx);

  // 1. Broken credentials (with any body: the guard answers first).
  if (r.auth === 'bearer') {
    const junkBody = fc
      .option(anyJson, { nil: undefined })
      .map((v) => (v === undefined || !sendsBody ? undefined : JSON.stringify(v)));
    fams.push({
      name: 'no Bearer token',
      weight: 5,
      arb: junkBody.map((b) =>
        probe('no Bearer token', {
          path: realPath(),
          body: b,
          headers: b ? { 'content-type': 'application/json' } : {},
        }),
      ),
    });
    fams.push({
      name: 'bad Bearer token',
      weight: 14,
      arb: fc.tuple(badAuthorization(ctx), junkBody).map(([a, b]) =>
        probe('bad Bearer token', {
          path: realPath(),
          body: b,
          headers: { authorization: a, ...(b ? { 'content-type': 'application/json' } : {}) },
        }),
      ),
    });
    if (admin)
      fams.push({
        name: 'owner token on an admin route',
        weight: 6,
        arb: fc.constantFrom(ctx.t.token, ctx.platformToken).map((t) =>
          probe('owner token on an admin route', {
            path: realPath(),
            body: sendsBody ? JSON.stringify(bodyModel?.base ?? {}) : undefined,
            headers: {
              authorization: `Bearer ${t}`,
              ...(sendsBody ? { 'content-type': 'application/json' } : {}),
            },
          }),
        ),
      });
  }
  if (r.auth === 'merchant') {
    const validBody = bodyModel ? JSON.stringify(bodyModel.base) : undefined;
    fams.push({
      name: 'bad merchant signature',
      weight: 22,
      arb: badMerchantAuth.map((a) =>
        probe('bad merchant signature', {
          path: realPath(),
          merchant: a,
          body: sendsBody ? validBody : undefined,
          headers: validBody && sendsBody ? { 'content-type': 'application/json' } : {},
        }),
      ),
    });
  }

  // 2. Validly authenticated (or public) with a body that cannot be valid.
  const bodies = bodyModel ? badBody(bodyModel) : r.schema && !m?.bodyless ? schemaBody(r.schema) : undefined;
  if (bodies && sendsBody) {
    const extraHeaders = fc.option(
      fc.dictionary(fc.stringMatching(/^x-[a-z]{1,12}$/), headerText, { maxKeys: 2 }),
      { nil: undefined },
    );
    fams.push({
      name: 'bad body',
      weight: 34,
      arb: fc.tuple(goodAuth(), bodies, extraHeaders).map(([a, b, h]) =>
        probe(
          'bad body',
          {
            path: realPath(),
            body: json(b.body),
            merchant: a.merchant,
            headers: { ...h, ...a.headers, 'content-type': 'application/json' },
          },
          true,
          r.auth !== 'public',
        ),
      ),
    });
  }
  // 3. A valid body with a bad header (an Idempotency-Key that cannot be one).
  if (m?.headers && bodyModel) {
    const entries = Object.entries(m.headers);
    fams.push({
      name: 'bad header',
      weight: 6,
      arb: fc
        .tuple(
          goodAuth(),
          fc.constantFrom(...entries).chain(([h, a]) => a.map((v) => [h, v] as const)),
        )
        .map(([a, [h, v]]) =>
          probe(
            'bad header',
            {
              path: realPath(),
              body: JSON.stringify(bodyModel.base),
              headers: { ...a.headers, 'content-type': 'application/json', [h]: v },
            },
            true,
            true,
          ),
        ),
    });
  }
  // 4. Bad query parameters.
  const q = m?.query?.(ctx);
  if (q) {
    const entries = Object.entries(q);
    fams.push({
      name: 'bad query',
      weight: 20,
      arb: fc
        .tuple(
          goodAuth(),
          fc
            .subarray(entries, { minLength: 1, maxLength: 2 })
            .chain((es) => fc.tuple(...es.map(([k, a]) => a.map((v) => [k, v] as const)))),
        )
        .map(([a, pairs]) => {
          const qs = pairs.map(([k, v]) => `${segment(k)}=${segment(v)}`).join('&');
          return probe(
            'bad query',
            { path: `${realPath()}?${qs}`, merchant: a.merchant, headers: a.headers },
            true,
            r.auth !== 'public',
          );
        }),
    });
  }
  // 5. Path parameters that are no id of this tenant (or no id at all).
  if (r.params.length > 0) {
    const names = r.params;
    const goodBody = bodyModel && sendsBody ? JSON.stringify(bodyModel.base) : undefined;
    fams.push({
      name: 'bad id in the path',
      weight: 18,
      arb: fc
        .tuple(goodAuth(), fc.constantFrom(...names), junkId, fc.boolean())
        .filter(([, name, v]) => v !== real[name] && !(m?.realNames?.[name] ?? []).includes(v))
        .map(([a, name, v, withBody]) => {
          const body = goodBody && withBody ? goodBody : undefined;
          return probe(
            'bad id in the path',
            {
              path: fill(r.path, { ...real, [name]: v }),
              merchant: a.merchant,
              body,
              headers: { ...a.headers, ...(body ? { 'content-type': 'application/json' } : {}) },
            },
            readOnly ? true : (m?.paramsRefused ?? false) || r.auth !== 'public',
            r.auth !== 'public',
          );
        }),
    });
  }
  // 6. Broken JSON, unsupported and oversized bodies: refused before any handler runs.
  if (sendsBody) {
    fams.push({
      name: 'broken JSON',
      weight: body ? 10 : 5,
      arb: fc
        .tuple(
          goodAuth(),
          badJson,
          fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON'),
        )
        .map(([a, text, ct]) =>
          probe(
            'broken JSON',
            {
              path: realPath(),
              body: text,
              merchant: a.merchant,
              headers: { ...a.headers, 'content-type': ct },
            },
            true,
            r.auth !== 'public',
          ),
        ),
    });
    if (bodies)
      fams.push({
        name: 'hostile JSON',
        weight: 4,
        arb: fc.tuple(goodAuth(), hostileJson).map(([a, text]) =>
          probe(
            'hostile JSON',
            {
              path: realPath(),
              body: text,
              merchant: a.merchant,
              headers: { ...a.headers, 'content-type': 'application/json' },
            },
            true,
            r.auth !== 'public',
          ),
        ),
      });
    fams.push({
      name: 'unsupported content type',
      weight: 4,
      arb: fc
        .tuple(
          goodAuth(),
          unsupportedType,
          fc.oneof(
            fc.constant(JSON.stringify(bodyModel?.base ?? {})),
            fc.uint8Array({ minLength: 1, maxLength: 64 }).map((u) => Buffer.from(u)),
          ),
        )
        .map(([a, ct, b]) =>
          probe(
            'unsupported content type',
            {
              path: realPath(),
              body: b,
              merchant: a.merchant,
              headers: { ...a.headers, 'content-type': ct },
            },
            true,
            r.auth !== 'public',
          ),
        ),
    });
    fams.push({
      name: 'oversized body',
      weight: 0.4,
      arb: fc.tuple(goodAuth(), fc.integer({ min: 1, max: 4096 })).map(([a, extra]) =>
        probe(
          'oversized body',
          {
            path: realPath(),
            body: `{"name":"${'x'.repeat(BODY_LIMIT + extra)}"}`,
            merchant: a.merchant,
            headers: { ...a.headers, 'content-type': 'application/json' },
          },
          true,
          r.auth !== 'public',
        ),
      ),
    });
  }
  // 7. A method the path does not have.
  const have = allMethods.get(r.path) ?? new Set<string>();
  const wrong = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((x) => !have.has(x));
  if (wrong.length > 0)
    fams.push({
      name: 'wrong method',
      weight: 4,
      arb: fc.tuple(fc.constantFrom(...wrong), goodAuth()).map(([method, a]) => ({
        ...probe(
          'wrong method',
          { path: realPath(), headers: a.headers, merchant: a.merchant },
          true,
          r.auth !== 'public',
        ),
        method,
      })),
    });
  // 8. Read-only public routes: any query and headers, no 5xx.
  if (readOnly || (r.auth === 'public' && r.method === 'GET' && !m)) {
    fams.push({
      name: 'noise on a read-only route',
      weight: 30,
      arb: fc
        .tuple(
          fc.dictionary(
            fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }),
            fc.string({ unit: 'binary', maxLength: 40 }),
            { maxKeys: 4 },
          ),
          fc.dictionary(fc.stringMatching(/^x-[a-z-]{1,12}$/), headerText, { maxKeys: 3 }),
        )
        .map(([query, headers]) => {
          const qs = Object.entries(query)
            .map(([k, v]) => `${segment(k)}=${segment(v)}`)
            .join('&');
          return probe(
            'noise on a read-only route',
            { path: `${realPath()}${qs ? `?${qs}` : ''}`, headers },
            false,
          );
        }),
    });
  }
  // 8b. Authenticated reads that have nothing to validate: any query, read-only, no 5xx.
  if (r.auth !== 'public' && r.method === 'GET' && !q) {
    fams.push({
      name: 'authenticated read with a random query',
      weight: 20,
      arb: fc
        .tuple(
          goodAuth(),
          fc.dictionary(
            fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }),
            fc.string({ unit: 'binary', maxLength: 40 }),
            { maxKeys: 3 },
          ),
        )
        .map(([a, query]) => {
          const qs = Object.entries(query)
            .map(([k, v]) => `${segment(k)}=${segment(v)}`)
            .join('&');
          return probe(
            'authenticated read with a random query',
            { path: `${realPath()}${qs ? `?${qs}` : ''}`, merchant: a.merchant, headers: a.headers },
            false,
            true,
          );
        }),
    });
  }
  // 8c. Logging in with a well-formed but wrong password (argon2 runs: a few only).
  if (key === 'POST /api/v1/auth/login') {
    fams.push({
      name: 'wrong password',
      weight: 3,
      arb: fc
        .tuple(
          fc.constantFrom(ctx.t.email, 'nobody-fuzz@example.test'),
          fc.string({ minLength: 1, maxLength: 40 }),
        )
        .map(([email, password]) =>
          probe('wrong password', {
            path: realPath(),
            body: JSON.stringify({ email, password: `${password}!not-it` }),
            headers: { 'content-type': 'application/json' },
          }),
        ),
    });
  }
  // 9. Provider callbacks: garbage that looks like each provider's notification.
  if (key === 'POST /api/v1/webhooks/:provider/:tenant_id') {
    const now = (): number => Math.floor(Date.now() / 1000);
    fams.push({
      name: 'forged provider callback',
      weight: 60,
      arb: fc
        .tuple(
          fc.constantFrom(...PROVIDERS),
          fc.oneof(
            { weight: 4, arbitrary: fc.constant(ctx.t.tenantId) },
            { weight: 1, arbitrary: unknownUuid },
          ),
          fc.oneof(
            anyJson.map((v) => JSON.stringify(v)),
            fc.string({ unit: 'binary', maxLength: 80 }),
            fc
              .dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 }))
              .map((d) => new URLSearchParams(d).toString()),
          ),
          fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded'),
          fc.stringMatching(/^[0-9a-f]{64}$/),
          headerText,
        )
        .filter(([, , b, ct]) => ct !== 'application/json' || isJson(b))
        .map(([provider, tenant, b, ct, hex, junk]) =>
          probe('forged provider callback', {
            path: fill(r.path, { provider, tenant_id: tenant }),
            body: b,
            headers: {
              'content-type': ct,
              'paymux-sandbox-signature': `t=${now()},v1=${hex}`,
              'stripe-signature': `t=${now()},v1=${hex}`,
              'wechatpay-timestamp': String(now()),
              'wechatpay-nonce': junk || 'n',
              'wechatpay-signature': Buffer.from(hex, 'hex').toString('base64'),
              'wechatpay-serial': 'SERIAL',
              'ttpay-timestamp': String(now()),
              'ttpay-nonce': junk || 'n',
              'ttpay-signature': hex,
            },
          }),
        ),
    });
  }
  if (key === 'GET /api/v1/return/:provider/:tenant_id') {
    fams.push({
      name: 'forged provider return',
      weight: 60,
      arb: fc
        .tuple(
          fc.constantFrom(...PROVIDERS),
          fc.constantFrom(ctx.t.tenantId, randomUUID()),
          fc.dictionary(
            fc.constantFrom('session_id', 'token', 'PayerID', 'payment_id', 'out_trade_no', 'order_id', 'x'),
            fc.oneof(fc.string(), unknownUuid, unicode),
            { maxKeys: 3 },
          ),
        )
        .map(([provider, tenant, query]) =>
          probe('forged provider return', {
            path: `${fill(r.path, { provider, tenant_id: tenant })}?${new URLSearchParams(query).toString()}`,
          }),
        ),
    });
  }
  if (key.includes('/api/v1/x402/orders/:id') && ctx.x402OrderId) {
    fams.push({
      name: 'forged x402 payment',
      weight: 60,
      arb: fc
        .tuple(
          fc.constantFrom('x-payment', 'payment-signature'),
          fc.oneof(
            headerText,
            fc.base64String({ maxLength: 200 }),
            anyJson.map((v) => Buffer.from(JSON.stringify(v)).toString('base64')),
            fc
              .record({
                x402Version: fc.constantFrom(1, 2, 99, '1'),
                scheme: fc.constantFrom('exact', 'upto', ''),
                network: fc.constantFrom('base', 'solana', 'mars'),
                payload: anyJson,
              })
              .map((v) => Buffer.from(JSON.stringify(v)).toString('base64')),
          ),
        )
        .map(([h, v]) => probe('forged x402 payment', { path: realPath(), headers: { [h]: v } })),
    });
  }
  return fams;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Malformed HTTP over a raw socket

function rawProbes(routes: Route[], n: number, seed: number): Probe[] {
  const bearerPaths = routes.filter((r) => r.auth !== 'public').map((r) => fill(r.path, {}));
  // Blank lines before a request line are skipped by HTTP parsers (the server then waits): no junk of only CR/LF.
  const junkBytes = fc
    .uint8Array({ minLength: 1, maxLength: 80 })
    .map((u) => Buffer.from(u).toString('latin1'))
    .filter((j) => /[^\r\n]/.test(j));
  const target = fc.constantFrom(...bearerPaths);
  const arb = fc.oneof(
    fc
      .tuple(target, junkBytes)
      .map(([p, j]) => [
        `GET ${p} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${j.replace(/[\r\n]/g, '')}\u0000\r\n\r\n`,
        'NUL in a header',
      ]),
    fc
      .tuple(target, fc.stringMatching(/^[a-z]{1,8}$/))
      .map(([p, h]) => [`GET ${p} HTTP/1.1\r\nHost: x\r\n${h} bad header: 1\r\n\r\n`, 'bad header name']),
    junkBytes.map((j) => [`${j}\r\n\r\n`, 'garbage request line']),
    fc
      .tuple(target, fc.string({ minLength: 1, maxLength: 10 }))
      .map(([p, cl]) => [
        `POST ${p} HTTP/1.1\r\nHost: x\r\nContent-Length: ${cl.replace(/[\r\n]/g, '')}x\r\n\r\n{}`,
        'bad Content-Length',
      ]),
    target.map((p) => [
      `POST ${p} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      'Content-Length with chunked',
    ]),
    fc
      .tuple(target, fc.stringMatching(/^[g-z]{1,6}$/))
      .map(([p, s]) => [
        `POST ${p} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n${s}\r\n{}\r\n0\r\n\r\n`,
        'bad chunk size',
      ]),
    fc
      .tuple(target, fc.string({ unit: 'binary', minLength: 1, maxLength: 10 }))
      .map(([p, u]) => [`GET ${p}/${u} HTTP/1.1\r\nHost: x\r\n\r\n`, 'raw unicode in the path']),
    target.map((p) => [
      `GET ${p} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      'headers too large',
    ]),
    fc
      .tuple(target, fc.constantFrom('HTTP/1.2', 'HTTP/2.0', 'HTTP/9.9', 'HTTP/1', 'HTTPS/1.1', 'http/1.1'))
      .map(([p, v]) => [`GET ${p} ${v}\r\nHost: x\r\n\r\n`, 'bad HTTP version']),
    fc
      .tuple(target, junkBytes)
      .map(([p, j]) => [
        `GET ${p} HTTP/1.1\r\nHost: x\r\nX-Payload: ${j.replace(/[\r\n]/g, '')}\r\n\r\n`,
        'non-ASCII header value',
      ]),
  );
  return fc.sample(arb, { numRuns: n, seed }).map(([text, why]) => ({
    route: 'malformed HTTP (raw socket)',
    family: `malformed HTTP: ${why}`,
    method: 'RAW',
    path: '',
    headers: {},
    refused: true,
    authenticated: false,
    raw: Buffer.from(text, 'latin1'),
  }));
}

function rawHttp(
  port: number,
  payload: Buffer,
  timeoutMs = 10_000,
): Promise<{ status: number; ms: number; text: string; error?: string }> {
  return new Promise((done) => {
    const started = performance.now();
    const sock = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let finished = false;
    const statusOf = (): number | undefined => {
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(buf.toString('latin1'));
      return m ? Number(m[1]) : undefined;
    };
    const finish = (error?: string): void => {
      if (finished) return;
      finished = true;
      sock.destroy();
      const status = statusOf();
      done({
        status: status ?? 0,
        ms: performance.now() - started,
        text: buf.toString('latin1').slice(0, 400),
        error: status ? undefined : (error ?? 'closed without an answer'),
      });
    };
    sock.setTimeout(timeoutMs, () => finish('timeout'));
    sock.on('connect', () => sock.write(payload));
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (statusOf() && buf.includes('\r\n\r\n')) finish();
    });
    sock.on('error', (e: NodeJS.ErrnoException) => finish(e.code ?? e.message));
    sock.on('close', () => finish());
  });
}

// ---------------------------------------------------------------------------------------------
// Sending

async function send(ctx: Ctx, port: number, p: Probe): Promise<Outcome> {
  if (p.raw) {
    const a = await rawHttp(port, p.raw);
    return { probe: p, status: a.status, ms: a.ms, code: '', message: '', text: a.text, error: a.error };
  }
  const headers = { ...p.headers };
  const body = p.body ?? '';
  let nonce: string | undefined;
  let validSignature: boolean | undefined;
  if (p.merchant && p.merchant.kind !== 'none') {
    const a = p.merchant;
    const key = a.kind === 'valid' && a.key === 'revoked' ? ctx.revokedKey : ctx.key;
    nonce = randomBytes(16).toString('hex');
    let signMethod = p.method;
    let signPath = p.path;
    let signBody: string | Buffer = body;
    let secret = key.secret;
    let timestamp: string | undefined;
    if (a.kind === 'tamper') {
      if (a.what === 'method') signMethod = p.method === 'GET' ? 'POST' : 'GET';
      if (a.what === 'path') signPath = `${p.path}x`;
      if (a.what === 'body') signBody = `${body.toString()} `;
      if (a.what === 'secret') secret = `${secret}x`;
    }
    if (a.kind === 'timestamp')
      timestamp = a.value ?? String(Math.floor(Date.now() / 1000) + (a.offset ?? 0));
    if (a.kind === 'nonce') nonce = a.value === 'used' ? ctx.usedNonce : 'n'.repeat(129);
    Object.assign(
      headers,
      signedHeaders({ key_id: key.key_id, secret }, signMethod, signPath, signBody, { nonce, timestamp }),
    );
    if (a.kind === 'drop') for (const h of a.drop) delete headers[h];
    if (a.kind === 'signature') headers['x-signature'] = a.value;
    if (a.kind === 'key') headers['x-api-key'] = a.keyId;
    validSignature = a.kind === 'valid' && a.key === 'active';
  }
  const answer: Answer = await call(ctx.base, p.method, p.path, {
    raw: p.body,
    headers,
    timeoutMs: 30_000,
  });
  const b: Json = answer.body;
  const code = b && typeof b === 'object' && 'code' in b ? String(b.code) : '';
  const message = b && typeof b === 'object' ? String(b.message ?? b.msg ?? '') : '';
  return {
    probe: p,
    status: answer.status,
    ms: answer.ms,
    code,
    message,
    text: answer.text.slice(0, 400),
    error: answer.error,
    nonce,
    validSignature,
  };
}

// ---------------------------------------------------------------------------------------------
// The database, table by table

interface TableState {
  rows: number;
  hash: string;
}

/** Columns the authentication path updates on every request by design (not data a request writes). */
const TOUCHED_BY_AUTH: Record<string, string[]> = { 'public.api_keys': ['last_used_at'] };
/** Tables the request path writes on the way in, each checked by its own rule below. */
const BOOKKEEPING = ['public.rate_limits', 'public.api_nonces'];

async function tableStates(db: Database): Promise<Map<string, TableState>> {
  const cols = await db.q<{ t: string; c: string }>(
    `SELECT c.table_schema || '.' || c.table_name AS t, c.column_name AS c
       FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE t.table_type = 'BASE TABLE' AND c.table_schema NOT IN ('pg_catalog', 'information_schema')
      ORDER BY 1, c.ordinal_position`,
  );
  const byTable = new Map<string, string[]>();
  for (const { t, c } of cols)
    if (!(TOUCHED_BY_AUTH[t] ?? []).includes(c)) byTable.set(t, [...(byTable.get(t) ?? []), c]);
  const out = new Map<string, TableState>();
  for (const [t, columns] of byTable) {
    const [schema, name] = t.split('.');
    const list = columns.map((c) => `"${c}"`).join(', ');
    const [r] = await db.q<{ n: number; h: string }>(
      `SELECT count(*)::int AS n, md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) AS h
         FROM (SELECT ${list} FROM "${schema}"."${name}") x`,
    );
    out.set(t, { rows: r.n, hash: r.h });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

describe('reliability 5: fuzzing every public route', () => {
  const report = new ScenarioReport(
    5,
    'Thousands of generated bad requests on every public route (bad credentials, bad JSON, wrong types, huge numbers, unicode, NUL bytes, deep nesting, oversized bodies, wrong methods, malformed HTTP, and validly authenticated requests with bad bodies, queries and ids) never get a 5xx, every one of them is refused with a 4xx, and none writes a row.',
  );
  let db: Database | undefined;
  let s: Server | undefined;

  afterAll(async () => {
    report.save();
    await stopAllServers();
    await db?.drop();
  });

  it('answers every generated bad request with a 4xx and writes nothing', () =>
    runScenario(
      report,
      () => [s],
      async () => {
        db = await freshDatabase('s5');
        const adminEmail = `admin-${randomUUID()}@example.test`;
        const adminPassword = `pw-${randomBytes(9).toString('hex')}`;
        const c: Cluster = cluster(db, { ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD: adminPassword });
        s = await startServer(c, 'F');
        report.ran(
          `one paymux process F (pid ${s.pid}) on a fresh database; registration open, a platform admin from ADMIN_EMAIL`,
        );
        const ctx = await setUp(s, c, adminEmail, adminPassword);
        report.ran(
          'set-up: a tenant (owner JWT, a platform token, a revoked platform token, an API key and a revoked one), an application, a USD package and a custom-amount one, a Pending Sandbox order, a Finished one, ' +
            `${ctx.x402OrderId ? 'an X402 order, ' : ''}a merchant order (POST /v1/payment) paid through the Sandbox so it has a notification, provider accounts for stripe, alipay, wechat, alchemy, tokenpay and x402 (local signature checks; PayPal's check is a call to PayPal, so it stays unconfigured), and USD/USDC set by the platform admin`,
        );

        // The route list: committed openapi.json, the running server's /docs-json, and the seed routes.
        const committed = routesOf(
          JSON.parse(readFileSync(join(ROOT, 'openapi.json'), 'utf8')) as OpenApi,
          'openapi.json',
        );
        const live = routesOf((await must(200, s.url, 'GET', '/docs-json')) as OpenApi, '/docs-json');
        const committedSet = new Set(committed.map(label));
        const liveSet = new Set(live.map(label));
        const onlyLive = [...liveSet].filter((x) => !committedSet.has(x));
        const onlyCommitted = [...committedSet].filter((x) => !liveSet.has(x));
        // CI's OpenAPI drift check guards openapi.json itself; here the live document only widens the list.
        report.figure(
          'routes the running server documents (/docs-json) but openapi.json does not (fuzzed as well)',
          onlyLive.join(', ') || 'none',
        );
        if (onlyCommitted.length)
          report.figure(
            'routes openapi.json lists but the running server does not (fuzzed as well)',
            onlyCommitted.join(', '),
          );
        const routes = [
          ...committed,
          ...live.filter((r) => !committedSet.has(label(r))),
          ...SEED_ROUTES.filter((r) => !committedSet.has(label(r)) && !liveSet.has(label(r))),
        ];
        const liveOnly = routes.filter((r) => r.source === '/docs-json').length;
        const missingSeed = SEED_IN_OPENAPI.filter((x) => !committedSet.has(x));
        report.check(
          'the seed routes /api/order/payment and /v1/payment* are in openapi.json',
          missingSeed.length === 0,
          missingSeed.length ? `missing: ${missingSeed.join(', ')}` : SEED_IN_OPENAPI.join(', '),
        );
        const unmodelled = routes.filter(
          (r) =>
            !MODELS[label(r)] &&
            !READ_ONLY.has(label(r)) &&
            (r.body || r.params.length > 0 || r.query.length > 0),
        );
        if (unmodelled.length)
          report.note(
            `Routes without a hand model (fuzzed from their openapi schema and the generic families only): ${unmodelled.map(label).join(', ')}.`,
          );

        // Generate.
        const allMethods = new Map<string, Set<string>>();
        for (const r of routes)
          allMethods.set(r.path, new Set([...(allMethods.get(r.path) ?? []), r.method]));
        // /api/v1/orders and /api/v1/orders/ are one path to the router (ignoreTrailingSlash).
        for (const [p, set] of allMethods)
          if (p.endsWith('/')) for (const x of allMethods.get(p.slice(0, -1)) ?? []) set.add(x);
        const perRoute = Math.ceil(TOTAL / routes.length);
        const probes: Probe[] = [];
        routes.forEach((r, i) => {
          const fams = familiesOf(r, ctx, allMethods);
          const arb = fc.oneof(
            ...fams.map((f) => ({ arbitrary: f.arb, weight: Math.max(1, Math.round(f.weight * 10)) })),
          );
          probes.push(...fc.sample(arb, { numRuns: perRoute, seed: SEED + i }));
        });
        probes.push(...rawProbes(routes, RAW_REQUESTS, SEED - 1));
        // Interleave the routes, deterministically.
        const sortKeys = fc.sample(fc.integer(), { numRuns: probes.length, seed: SEED + 7 });
        const shuffled = probes
          .map((p, i) => ({ p, k: sortKeys[i] }))
          .sort((x, y) => x.k - y.k)
          .map((x) => x.p);
        report.ran(
          `fast-check (seed ${SEED}; RELIABILITY_FUZZ_SEED replays it) generated ${perRoute} requests for each of ${routes.length} routes (${committed.length} from openapi.json, ${liveOnly} more from the running server's /docs-json, ${routes.length - committed.length - liveOnly} seed routes the API docs leave out), plus ${RAW_REQUESTS} malformed HTTP requests over a raw socket; sent in a shuffled order, ${CONCURRENCY} at a time`,
        );

        // The database before: nothing changes while no request comes in.
        await sleep(1500);
        const before = await tableStates(db);
        await sleep(2000);
        const quiet = await tableStates(db);
        const quietChanged = [...before].filter(([t, v]) => quiet.get(t)?.hash !== v.hash).map(([t]) => t);
        report.check(
          'control: the database does not change by itself over 2 s without requests',
          quietChanged.length === 0,
          quietChanged.join(', ') || `${before.size} tables unchanged`,
        );
        const noncesBefore = new Set(
          (await db.q<{ nonce: string }>(`SELECT nonce FROM api_nonces`)).map((r) => r.nonce),
        );
        const limitsBefore = new Map(
          (await db.q<{ key: string; hits: number }>(`SELECT key, hits FROM rate_limits`)).map((r) => [
            r.key,
            r.hits,
          ]),
        );

        // Fire.
        const started = performance.now();
        const outcomes = await pool(shuffled, CONCURRENCY, (p) => send(ctx, s!.port, p));
        const wall = performance.now() - started;
        await sleep(1500); // fire-and-forget writes of the last requests (api_keys.last_used_at)

        // Figures.
        const statuses = histogram(
          outcomes.map((o) => (o.status === 0 ? `no answer (${o.error})` : o.status)),
        );
        const latencies = outcomes.map((o) => o.ms);
        report.figure('requests sent', outcomes.length);
        report.figure('of them malformed HTTP over a raw socket', outcomes.filter((o) => o.probe.raw).length);
        report.figure(
          'of them validly authenticated (Bearer or merchant signature), so the validation behind the guard answered',
          outcomes.filter((o) => o.probe.authenticated).length,
        );
        report.figure('routes fuzzed', routes.length);
        report.figure('wall time', ms(wall));
        report.figure('throughput', `${Math.round(outcomes.length / (wall / 1000))} requests/s`);
        report.figure(
          'latency p50 / p99 / max',
          `${ms(percentile(latencies, 50))} / ${ms(percentile(latencies, 99))} / ${ms(Math.max(...latencies))}`,
        );
        const slowest = outcomes.reduce((a, b) => (b.ms > a.ms ? b : a));
        report.figure(
          'slowest request',
          `${ms(slowest.ms)}: ${slowest.probe.route} (${slowest.probe.family}) → ${slowest.status}`,
        );
        report.figure('HTTP statuses', formatHistogram(statuses));
        report.figure(
          'error codes of the validly authenticated requests',
          formatHistogram(
            histogram(outcomes.filter((o) => o.probe.authenticated).map((o) => o.code || String(o.status))),
          ),
        );

        const byFamily = new Map<string, Outcome[]>();
        const byRoute = new Map<string, Outcome[]>();
        for (const o of outcomes) {
          const fam = o.probe.family.startsWith('malformed HTTP')
            ? 'malformed HTTP (raw socket)'
            : o.probe.family;
          byFamily.set(fam, [...(byFamily.get(fam) ?? []), o]);
          byRoute.set(o.probe.route, [...(byRoute.get(o.probe.route) ?? []), o]);
        }
        report.table(
          'Requests by kind',
          ['kind', 'requests', 'statuses'],
          [...byFamily]
            .sort((a, b) => b[1].length - a[1].length)
            .map(([f, os]) => [f, os.length, formatHistogram(histogram(os.map((o) => o.status)))]),
        );
        report.table(
          'Requests by route',
          [
            'route',
            'from',
            'auth',
            'requests',
            'validly authenticated',
            'statuses',
            'most frequent error codes past the guard',
            'max latency',
          ],
          [
            ...routes.map((r) => ({ key: label(r), from: r.source, auth: r.auth })),
            { key: 'malformed HTTP (raw socket)', from: '-', auth: '-' },
          ].map(({ key, from, auth }) => {
            const os = byRoute.get(key) ?? [];
            const past = os.filter((o) => o.probe.authenticated || auth === 'public');
            const codes = Object.entries(histogram(past.map((o) => o.code).filter((x) => x)))
              .sort((a, b) => b[1] - a[1])
              .slice(0, 4)
              .map(([k, v]) => `${k} × ${v}`)
              .join(', ');
            return [
              key,
              from,
              auth,
              os.length,
              os.filter((o) => o.probe.authenticated).length,
              formatHistogram(histogram(os.map((o) => o.status))),
              codes,
              os.length ? ms(Math.max(...os.map((o) => o.ms))) : '',
            ];
          }),
        );

        // Checks.
        report.check(`at least 10,000 generated requests`, outcomes.length >= 10_000, outcomes.length);
        const thin = routes.filter((r) => (byRoute.get(label(r)) ?? []).length < 100).map(label);
        report.check(
          'every route got at least 100 requests',
          thin.length === 0,
          thin.join(', ') ||
            `${routes.length} routes, ${Math.min(...routes.map((r) => (byRoute.get(label(r)) ?? []).length))} requests at least`,
        );
        const guarded = routes.filter((r) => r.auth !== 'public');
        const unreached = guarded
          .filter(
            (r) => !(byRoute.get(label(r)) ?? []).some((o) => o.probe.authenticated && o.status !== 401),
          )
          .map(label);
        report.check(
          'every authenticated route got validly authenticated bad requests past its guard',
          unreached.length === 0,
          unreached.join(', ') || `${guarded.length} routes`,
        );
        const withBodies = routes.filter(
          (r) => r.method !== 'GET' && (MODELS[label(r)]?.body || (r.schema && !MODELS[label(r)]?.bodyless)),
        );
        const validated = withBodies
          .filter(
            (r) =>
              !(byRoute.get(label(r)) ?? []).some(
                (o) =>
                  o.probe.family === 'bad body' &&
                  o.status === 400 &&
                  o.probe.authenticated === (r.auth !== 'public'),
              ),
          )
          .map(label);
        report.check(
          'every route that reads a body (hand model or openapi schema) refused bad bodies with a 400 from its validation',
          validated.length === 0,
          validated.join(', ') || `${withBodies.length} routes`,
        );

        const fivexx = outcomes.filter((o) => o.status >= 500);
        report.check(
          'no answer was a 5xx',
          fivexx.length === 0,
          fivexx.length
            ? `${fivexx.length}: ${formatHistogram(histogram(fivexx.map((o) => `${o.probe.route} → ${o.status}`)))}`
            : '0 of ' + outcomes.length,
        );
        const unanswered = outcomes.filter((o) => o.status === 0);
        report.check(
          'every request got an answer (no dropped connection, no timeout)',
          unanswered.length === 0,
          unanswered.length
            ? formatHistogram(histogram(unanswered.map((o) => `${o.probe.family}: ${o.error}`)))
            : 'all answered',
        );
        const accepted = outcomes.filter(
          (o) => o.probe.refused && o.status > 0 && (o.status < 400 || o.status >= 500),
        );
        const acceptedOk = accepted.filter((o) => o.status < 400);
        report.check(
          'every request that must be refused answered 4xx (none accepted)',
          acceptedOk.length === 0,
          acceptedOk.length
            ? `${acceptedOk.length}: ${formatHistogram(histogram(acceptedOk.map((o) => `${o.probe.route} (${o.probe.family}) → ${o.status}`)))}`
            : `${outcomes.filter((o) => o.probe.refused).length} refused`,
        );
        const authFailed = outcomes.filter((o) => o.probe.authenticated && o.status === 401);
        report.check(
          'no validly authenticated request was answered 401 (the bad input, not the credential, was refused)',
          authFailed.length === 0,
          authFailed.length
            ? formatHistogram(histogram(authFailed.map((o) => o.probe.route)))
            : `${outcomes.filter((o) => o.probe.authenticated).length} requests`,
        );
        const readOnly = outcomes.filter((o) => !o.probe.refused);
        report.figure(
          'requests to read-only routes that may answer 2xx (public pages, and authenticated GETs with nothing to validate)',
          `${readOnly.length}: ${formatHistogram(histogram(readOnly.map((o) => o.status)))}`,
        );

        const bad = [...fivexx, ...unanswered, ...acceptedOk];
        if (bad.length > 0)
          report.table(
            'Requests that failed a check (first 25)',
            ['route', 'kind', 'answer', 'request', 'answer body'],
            bad
              .slice(0, 25)
              .map((o) => [
                o.probe.route,
                o.probe.family,
                o.status === 0 ? `none (${o.error})` : o.status,
                describeProbe(o.probe),
                o.text.slice(0, 200),
              ]),
          );

        // The database after.
        const after = await tableStates(db);
        const changed = [...new Set([...before.keys(), ...after.keys()])].filter(
          (t) => before.get(t)?.hash !== after.get(t)?.hash,
        );
        const dataChanged = changed.filter((t) => !BOOKKEEPING.includes(t));
        report.table(
          'Rows per table before and after the fuzz',
          ['table', 'rows before', 'rows after', 'content'],
          [...after.keys()]
            .sort()
            .map((t) => [
              t,
              before.get(t)?.rows ?? 'absent',
              after.get(t)?.rows ?? 'absent',
              before.get(t)?.hash === after.get(t)?.hash
                ? 'identical'
                : BOOKKEEPING.includes(t)
                  ? 'changed (bookkeeping, checked below)'
                  : '**changed**',
            ]),
        );
        report.check(
          'every table except the authentication bookkeeping is identical, row by row (count and md5 of every row)',
          dataChanged.length === 0,
          dataChanged.length
            ? dataChanged.map((t) => `${t}: ${before.get(t)?.rows} → ${after.get(t)?.rows}`).join(', ')
            : `${after.size - BOOKKEEPING.length} tables identical`,
        );
        const nonces = await db.q<{ nonce: string; api_key_id: string }>(
          `SELECT nonce, api_key_id FROM api_nonces`,
        );
        const newNonces = nonces.filter((r) => !noncesBefore.has(r.nonce));
        const signed = outcomes.filter((o) => o.nonce !== undefined);
        const validNonces = new Set(signed.filter((o) => o.validSignature).map((o) => o.nonce));
        const badNonces = new Set(signed.filter((o) => !o.validSignature).map((o) => o.nonce));
        // Answers that only the controller or its service give: the request was past the guard.
        const reachedController = signed.filter(
          (o) =>
            o.validSignature &&
            (o.message.startsWith('Invalid parameter `') ||
              o.code === '10004' ||
              (o.code === '10005' && /^order\b.*not found$/.test(o.message))),
        );
        const stored = new Set(newNonces.map((r) => r.nonce));
        const fromNowhere = newNonces.filter((r) => !validNonces.has(r.nonce) || r.api_key_id !== ctx.key.id);
        const burnt = newNonces.filter((r) => badNonces.has(r.nonce));
        const lost = reachedController.filter((o) => !stored.has(o.nonce ?? ''));
        report.check(
          'api_nonces: every new row is the nonce of a validly signed request (none of a badly signed one), and every validly signed request the controller answered stored its nonce',
          fromNowhere.length === 0 && burnt.length === 0 && lost.length === 0 && reachedController.length > 0,
          `${newNonces.length} new nonces; ${validNonces.size} validly signed requests sent (those refused by the body parser or the router never reach the guard), ${reachedController.length} of them answered by the controller and ${reachedController.length - lost.length} of those stored; ${badNonces.size} badly signed requests, ${burnt.length} of their nonces stored; ${fromNowhere.length} rows from nowhere`,
        );
        const limits = await db.q<{ key: string; hits: number }>(`SELECT key, hits FROM rate_limits`);
        const knownKeys = new Set([
          `tenant:${ctx.t.tenantId}`,
          `api-key:${ctx.key.id}`,
          `tenant:${claimsOf(ctx.adminToken).tid as string}`,
        ]);
        const newOrChanged = limits.filter((r) => limitsBefore.get(r.key) !== r.hits);
        // Counted before anything is verified, by design: provider callbacks per tenant and provider
        // (webhook:<provider>:<tenant>, tenants the fuzz made up included) and registrations per address.
        const countedUnverified = /^(webhook:[a-z0-9]+:.+|register-ip:.+)$/;
        const strange = newOrChanged.filter(
          (r) => !knownKeys.has(r.key) && !/^[0-9a-f]{64}$/.test(r.key) && !countedUnverified.test(r.key),
        );
        report.check(
          'rate_limits: only the counters of the fuzz tenant, its API key, the admin, the login throttler, the callback limiter and the registration limiter moved',
          strange.length === 0,
          strange.length
            ? strange.map((r) => r.key).join(', ')
            : `${newOrChanged.length} counters moved: ${formatHistogram(histogram(newOrChanged.map((r) => (r.key.includes(':') ? r.key.split(':')[0] : 'login throttler'))))}`,
        );

        // The server is well, and the credentials the fuzz used do work.
        const order = await call(s.url, 'GET', `/api/v1/orders/${ctx.orderId}`, { token: ctx.t.token });
        const merchantGet = await merchant(s.url, ctx.key, 'GET', `/v1/payment/${ctx.merchantOrderNo}`);
        report.check(
          'afterwards the process is up, and the fuzz credentials work: GET /api/v1/orders/:id 200 Pending, GET /v1/payment/:order_no 200',
          s.running() &&
            order.status === 200 &&
            order.body?.state === 'Pending' &&
            merchantGet.status === 200,
          `running ${s.running()}; order ${order.status} ${String(order.body?.state)}; merchant ${merchantGet.status}`,
        );
        const errors = (s.output().match(/unhandled error/g) ?? []).length;
        report.check(
          'the server logged no unhandled error',
          errors === 0,
          `${errors} "unhandled error" lines in its output`,
        );
        report.note(
          'How "no row written by a refused request" is measured: every generated request is one that must be refused (a 2xx to any of them fails the check above), apart from read-only GETs (health, metrics, docs, a checkout page, and authenticated GETs that have no query to validate, sent with random queries), which must write nothing either. So the database must be the same after the fuzz as before it. Every table of every schema (public and pgboss) is fingerprinted as its row count and the md5 of all its rows in order, after a control period without requests shows the database is quiet. Two tables are written by the request path on the way in, by design: rate_limits (one counter per tenant, API key and login tracker) and api_nonces (the nonce of each validly signed merchant request, stored before the body is looked at, so it cannot be replayed); they are checked by their own rules. api_keys.last_used_at, set by every authenticated merchant request, is left out of the fingerprint.',
        );
      },
    ));
});

function describeProbe(p: Probe): string {
  if (p.raw) return JSON.stringify(p.raw.toString('latin1').slice(0, 160));
  const h = Object.entries(p.headers)
    .map(([k, v]) => `${k}: ${v.length > 40 ? `${v.slice(0, 40)}…` : v}`)
    .join('; ');
  const body =
    p.body === undefined
      ? ''
      : ` body ${JSON.stringify(p.body.toString().slice(0, 160))}${p.body.length > 160 ? `… (${p.body.length} bytes)` : ''}`;
  return `${p.method} ${p.path.slice(0, 160)}${h ? ` [${h}]` : ''}${p.merchant ? ` merchant auth ${JSON.stringify(p.merchant)}` : ''}${body}`;
}

// ---------------------------------------------------------------------------------------------
// Set-up

async function setUp(s: Server, c: Cluster, adminEmail: string, adminPassword: string): Promise<Ctx> {
  const base = s.url;
  const t = await newTenant(base, 'Fuzz');
  const key = await newApiKey(base, t);
  const revokedKey = await newApiKey(base, t, 'revoked');
  await must(200, base, 'DELETE', `/api/v1/api-keys/${revokedKey.id}`, { token: t.token });
  const pt = await must(201, base, 'POST', '/api/v1/auth/tokens', { token: t.token, json: { name: 'fuzz' } });
  const gone = await must(201, base, 'POST', '/api/v1/auth/tokens', {
    token: t.token,
    json: { name: 'revoked' },
  });
  await must(204, base, 'DELETE', `/api/v1/auth/tokens/${gone.id as string}`, { token: t.token });
  const victimToken = await must(201, base, 'POST', '/api/v1/auth/tokens', {
    token: t.token,
    json: { name: 'victim' },
  });
  const victimKey = await newApiKey(base, t, 'victim');
  const adminToken = await login(base, adminEmail, adminPassword);
  const custom = await must(201, base, 'POST', '/api/v1/packages', {
    token: t.token,
    json: {
      name: 'custom',
      amount: 1,
      price: 0.1,
      currency: 'USD',
      custom_amount: { unit_price: 0.1, min: 10, max: 1000 },
    },
  });

  const newOrder = async (payWay: string): Promise<Json> =>
    must(201, base, 'POST', '/api/v1/orders', {
      token: t.token,
      json: { application_id: t.applicationId, package_id: t.packageId, pay_way: payWay },
    });
  const pending = await newOrder('Sandbox');
  const finished = await newOrder('Sandbox');
  await must(200, base, 'POST', `/api/v1/sandbox/payments/${finished.pay_id as string}/complete`, {
    json: { outcome: 'succeeded' },
  });

  // A merchant order (before other providers are configured, so routing picks the Sandbox), paid.
  const merchantOrderNo = `FZ${Date.now()}${randomBytes(3).toString('hex')}`;
  const raw = JSON.stringify({
    order_no: merchantOrderNo,
    currency: 'USDT',
    amount: '2.5',
    chain_type: 'BSC',
    notify_url: 'https://merchant.example/notify',
  });
  const usedNonce = randomBytes(16).toString('hex');
  const created = await call(base, 'POST', '/v1/payment', {
    raw,
    headers: {
      ...signedHeaders(key, 'POST', '/v1/payment', raw, { nonce: usedNonce }),
      'content-type': 'application/json',
    },
  });
  if (created.status !== 200) throw new Error(`POST /v1/payment: ${created.status} ${created.text}`);
  const [payment] = await c.db.q<{ provider_ref: string }>(
    `SELECT provider_ref FROM payments WHERE order_id = $1`,
    [created.body.data.id],
  );
  await must(200, base, 'POST', `/api/v1/sandbox/payments/${payment.provider_ref}/complete`, {
    json: { outcome: 'succeeded' },
  });
  const notes = await must(
    200,
    base,
    'GET',
    `/api/v1/notifications?order_id=${created.body.data.id as string}`,
    { token: t.token },
  );
  const notificationId = notes.data[0]?.id as string | undefined;
  if (!notificationId) throw new Error(`no notification for the merchant order: ${JSON.stringify(notes)}`);

  // Provider accounts whose callbacks are checked locally.
  const pem = (): { priv: string; pub: string } => {
    const k = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return {
      priv: k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      pub: k.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    };
  };
  const [k1, k2, k3] = [pem(), pem(), pem()];
  const accounts: Record<string, Record<string, unknown>> = {
    stripe: { secret_key: 'sk_test_fuzz', webhook_secret: 'whsec_fuzz' },
    alipay: { app_id: '2021000000000000', private_key: k1.priv, alipay_public_key: k2.pub },
    wechat: {
      mchid: '1900000001',
      appid: 'wx0000000000000001',
      serial_no: 'SERIAL',
      private_key: k3.priv,
      apiv3_key: 'a'.repeat(32),
      platform_serial: 'PLATFORM',
      platform_public_key: k2.pub,
    },
    alchemy: { app_id: 'fuzz-app', app_secret: 'fuzz-secret' },
    tokenpay: { app_id: 'fuzz-app', mch_id: 'fuzz-mch', app_secret: randomBytes(16).toString('hex') },
    x402: { pay_to_evm: `0x${randomBytes(20).toString('hex')}`, networks: ['base'] },
  };
  for (const [provider, credentials] of Object.entries(accounts))
    await must(200, base, 'PUT', `/api/v1/providers/${provider}`, {
      token: t.token,
      json: { enabled: true, mode: 'test', credentials },
    });

  await must(200, base, 'PUT', '/api/v1/admin/fx-rates/USD/USDC', {
    token: adminToken,
    json: { rate: '1.0' },
  });
  const x402 = await call(base, 'POST', '/api/v1/orders', {
    token: t.token,
    json: { application_id: t.applicationId, package_id: t.packageId, pay_way: 'X402' },
  });

  const claims = claimsOf(t.token);
  const now = Math.floor(Date.now() / 1000);
  return {
    base,
    t,
    platformToken: pt.token as string,
    victimTokenId: victimToken.id as string,
    victimKeyId: victimKey.id,
    revokedPlatformToken: gone.token as string,
    adminToken,
    expiredJwt: jwt(
      { alg: 'HS256', typ: 'JWT' },
      { ...claims, iat: now - 7200, exp: now - 3600 },
      c.jwtSecret,
    ),
    wrongSecretJwt: jwt(
      { alg: 'HS256', typ: 'JWT' },
      { ...claims, iat: now, exp: now + 3600 },
      randomBytes(36).toString('base64url'),
    ),
    noneAlgJwt: jwt({ alg: 'none', typ: 'JWT' }, { ...claims, pa: true, iat: now, exp: now + 3600 }, null),
    key,
    revokedKey,
    usedNonce,
    customPackageId: custom.id as string,
    orderId: pending.id as string,
    payId: pending.pay_id as string,
    finishedOrderId: finished.id as string,
    x402OrderId: x402.status === 201 ? (x402.body.id as string) : null,
    merchantOrderNo,
    notificationId,
  };
}
