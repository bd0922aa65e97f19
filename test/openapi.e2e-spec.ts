/**
 * The OpenAPI document describes every operation: a response schema for each success, a security
 * requirement for each non-public route, product names as tags. And what it describes is what clients
 * get: real answers are checked against their documented schemas (every key documented, every
 * required key present, the documented JSON types).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type request from 'supertest';
import type { RunningPaymux } from '../src/bootstrap';
import { db, http, Merchant, newMerchant, newOrder, signedRequest, startTestApp } from './helpers/app';

interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  nullable?: boolean;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  allOf?: Schema[];
  oneOf?: Schema[];
}

interface Operation {
  tags?: string[];
  summary?: string;
  security?: Record<string, string[]>[];
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

interface OpenApi {
  tags?: { name: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; securitySchemes?: Record<string, unknown> };
}

/** Routes anyone may call: no security requirement. Every other route must declare one. */
const PUBLIC_OPERATIONS = new Set([
  'POST /api/v1/auth/register',
  'POST /api/v1/auth/login',
  // The console's sign-in (sets the session cookie).
  'POST /api/v1/auth/session',
  'GET /health',
  'GET /health/ready',
  // The Sandbox payer page: the unguessable pay_id is the capability.
  'POST /api/v1/sandbox/payments/{pay_id}/complete',
  // Invitation and password-reset links: the unguessable token is the capability.
  'GET /api/v1/invitations/preview',
  'POST /api/v1/invitations/accept',
  'POST /api/v1/auth/password-reset',
]);

const operationsOf = (doc: OpenApi): [string, Operation][] =>
  Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]): [string, Operation] => [`${method.toUpperCase()} ${path}`, op]),
  );

const resolve = (doc: OpenApi, s: Schema): Schema => {
  if (!s.$ref) return s;
  const target = doc.components.schemas[s.$ref.replace('#/components/schemas/', '')];
  if (!target) throw new Error(`${s.$ref} names no schema`);
  return target;
};

/** A schema that says something: a $ref, an allOf, properties or items; a bare {type: 'object'} does not. */
const describes = (s: Schema | undefined): boolean =>
  !!s && (!!s.$ref || !!s.allOf?.length || !!s.properties || !!s.items || s.type === 'string');

/** Every structural problem in the document, as readable lines. */
function problemsOf(doc: OpenApi): string[] {
  const problems: string[] = [];
  const schemes = Object.keys(doc.components.securitySchemes ?? {});
  for (const [label, op] of operationsOf(doc)) {
    const successes = Object.entries(op.responses).filter(([status]) => /^2\d\d$/.test(status));
    if (successes.length === 0) problems.push(`${label}: no success response`);
    for (const [status, response] of successes) {
      if (status === '204') continue;
      const media = Object.values(response.content ?? {});
      if (media.length === 0 || !media.every((m) => describes(m.schema)))
        problems.push(`${label}: ${status} has no response schema`);
    }
    const security = op.security ?? [];
    if (PUBLIC_OPERATIONS.has(label)) {
      if (security.length > 0) problems.push(`${label}: public, but declares security`);
    } else if (security.length === 0) {
      problems.push(`${label}: no security requirement`);
    }
    for (const requirement of security)
      for (const name of Object.keys(requirement))
        if (!schemes.includes(name)) problems.push(`${label}: security scheme ${name} is not declared`);
    if (!op.tags?.length) problems.push(`${label}: no tag`);
    for (const text of [...(op.tags ?? []), op.summary ?? ''])
      if (/seed/i.test(text)) problems.push(`${label}: "${text}" names a seed`);
  }
  for (const tag of doc.tags ?? []) if (/seed/i.test(tag.name)) problems.push(`tag ${tag.name} names a seed`);
  // Every $ref anywhere points at a schema that exists.
  const refs = JSON.stringify(doc).match(/"#\/components\/schemas\/[^"]+"/g) ?? [];
  for (const ref of new Set(refs)) {
    const name = ref.slice('"#/components/schemas/'.length, -1);
    if (!doc.components.schemas[name]) problems.push(`${name} is referenced but not defined`);
  }
  return problems;
}

/** Where `value` differs from `schema`: undocumented keys, missing required keys, other JSON types. */
function mismatches(doc: OpenApi, schema: Schema, value: unknown, at = '$'): string[] {
  const s = resolve(doc, schema);
  if (value === null) return s.nullable ? [] : [`${at}: null, not documented as nullable`];
  if (s.allOf) {
    const parts = s.allOf.map((p) => resolve(doc, p));
    // A single wrapped $ref (an enum, a nullable object): the value matches it.
    if (parts.length === 1) return mismatches(doc, parts[0], value, at);
    // The parts of an envelope, {code, msg} allOf {data}: one object with the keys of both.
    const merged: Schema = {
      type: 'object',
      properties: Object.assign({}, ...parts.map((p) => p.properties ?? {})) as Record<string, Schema>,
      required: parts.flatMap((p) => p.required ?? []),
    };
    return mismatches(doc, merged, value, at);
  }
  if (s.oneOf) {
    return s.oneOf.some((o) => mismatches(doc, o, value, at).length === 0) ? [] : [`${at}: matches no oneOf`];
  }
  if (s.enum && !s.enum.includes(value)) return [`${at}: ${JSON.stringify(value)} is not in the enum`];
  const type: string = s.type ?? (s.properties ? 'object' : 'any');
  switch (type) {
    case 'string':
      return typeof value === 'string' ? [] : [`${at}: ${typeof value}, documented as a string`];
    case 'number':
    case 'integer':
      return typeof value === 'number' ? [] : [`${at}: ${typeof value}, documented as a number`];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${at}: ${typeof value}, documented as a boolean`];
    case 'array':
      if (!Array.isArray(value)) return [`${at}: documented as an array`];
      return s.items ? value.flatMap((v, i) => mismatches(doc, s.items as Schema, v, `${at}[${i}]`)) : [];
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return [`${at}: documented as an object`];
      const obj = value as Record<string, unknown>;
      const props = s.properties ?? {};
      const out = (s.required ?? []).filter((k) => !(k in obj)).map((k) => `${at}.${k}: missing`);
      for (const [k, v] of Object.entries(obj)) {
        if (props[k]) out.push(...mismatches(doc, props[k], v, `${at}.${k}`));
        else if (typeof s.additionalProperties === 'object')
          out.push(...mismatches(doc, s.additionalProperties, v, `${at}.${k}`));
        else if (s.additionalProperties !== true) out.push(`${at}.${k}: not documented`);
      }
      return out;
    }
    default:
      return [];
  }
}

describe('OpenAPI document', () => {
  let app: RunningPaymux;
  let doc: OpenApi;

  beforeAll(async () => {
    app = await startTestApp();
    doc = (await http(app).get('/docs-json').expect(200)).body as OpenApi;
  });
  afterAll(() => app.close());

  it('gives every operation a success schema, a security requirement unless public, and product tags', () => {
    expect(operationsOf(doc).length).toBeGreaterThan(40);
    expect(problemsOf(doc)).toEqual([]);
  });

  it('declares the bearer and the merchant signature schemes, and the merchant API requires all four headers', () => {
    expect(Object.keys(doc.components.securitySchemes ?? {})).toEqual(
      expect.arrayContaining(['bearer', 'merchant-api-key', 'merchant-signature']),
    );
    expect(doc.paths['/v1/payment'].post.security).toEqual([
      {
        'merchant-api-key': [],
        'merchant-timestamp': [],
        'merchant-nonce': [],
        'merchant-signature': [],
      },
    ]);
    expect(doc.paths['/api/v1/orders'].get.security).toEqual([{ bearer: [] }]);
  });

  it('the committed openapi.json passes the same checks and lists the same operations', () => {
    const committed = JSON.parse(readFileSync(join(__dirname, '..', 'openapi.json'), 'utf8')) as OpenApi;
    expect(problemsOf(committed)).toEqual([]);
    const labels = (d: OpenApi): string[] =>
      operationsOf(d)
        .map(([label]) => label)
        .sort();
    expect(labels(committed)).toEqual(labels(doc));
  });

  describe('real answers match their documented schemas', () => {
    let m: Merchant;

    beforeAll(async () => {
      m = await newMerchant(app);
    });

    /** Check `res` against the schema documented for this operation and its status. */
    const documented = async (
      method: string,
      path: string,
      sent: request.Test,
    ): Promise<Record<string, unknown>> => {
      const res = await sent;
      const op = doc.paths[path]?.[method];
      if (!op) throw new Error(`${method.toUpperCase()} ${path} is not documented`);
      const schema = op.responses[String(res.status)]?.content?.['application/json']?.schema;
      if (!schema)
        throw new Error(`${method.toUpperCase()} ${path} answered ${res.status}, which is not documented`);
      expect({ path, problems: mismatches(doc, schema, res.body) }).toEqual({ path, problems: [] });
      return res.body as Record<string, unknown>;
    };

    it('platform API: auth, applications, packages, orders, payment, sandbox, usage, ledger, settings', async () => {
      const api = http(app);
      await documented('get', '/api/v1/auth/me', api.get('/api/v1/auth/me').set(m.auth));
      await documented(
        'post',
        '/api/v1/auth/login',
        api.post('/api/v1/auth/login').send({ email: m.email, password: m.password }),
      );
      await documented('get', '/api/v1/applications', api.get('/api/v1/applications').set(m.auth));
      await documented('get', '/api/v1/packages', api.get('/api/v1/packages').set(m.auth));
      await documented(
        'post',
        '/api/v1/packages',
        api
          .post('/api/v1/packages')
          .set(m.auth)
          .send({
            name: 'custom',
            amount: 1,
            price: 0.1,
            currency: 'USD',
            custom_amount: { unit_price: 0.1, min: 10, max: 100 },
          }),
      );
      const order = await newOrder(app, m);
      expect(mismatches(doc, { $ref: '#/components/schemas/OrderResponse' }, order)).toEqual([]);
      await documented('get', '/api/v1/orders', api.get('/api/v1/orders').set(m.auth));
      const paid = await documented(
        'post',
        '/api/order/payment',
        api.post('/api/order/payment').set(m.auth).send({ order_id: order.id, pay_way: 'Sandbox' }),
      );
      await documented(
        'post',
        '/api/v1/sandbox/payments/{pay_id}/complete',
        api.post(`/api/v1/sandbox/payments/${String(order.pay_id)}/complete`).send({ outcome: 'succeeded' }),
      );
      expect(paid.code).toBe(0);
      await documented(
        'get',
        '/api/v1/orders/{id}',
        api.get(`/api/v1/orders/${String(order.id)}`).set(m.auth),
      );
      await documented(
        'post',
        '/api/v1/applications/{id}/usage',
        api
          .post(`/api/v1/applications/${m.applicationId}/usage`)
          .set(m.auth)
          .send({ amount: 10, reference: 'r-1' }),
      );
      await documented(
        'get',
        '/api/v1/applications/{id}/ledger',
        api.get(`/api/v1/applications/${m.applicationId}/ledger`).set(m.auth),
      );
      await documented('get', '/api/v1/routing', api.get('/api/v1/routing').set(m.auth));
      await documented('get', '/api/v1/tenant/settings', api.get('/api/v1/tenant/settings').set(m.auth));
      await documented('get', '/api/v1/auth/tokens', api.get('/api/v1/auth/tokens').set(m.auth));
      await documented('get', '/health', api.get('/health'));
      // Errors in the platform dialect.
      await documented('get', '/api/v1/orders/{id}', api.get('/api/v1/orders/not-a-uuid').set(m.auth));
      await documented('get', '/api/v1/orders', api.get('/api/v1/orders'));
    });

    it("admin API: tenants (list, detail, suspend, unsuspend) and a suspended tenant's refusal", async () => {
      // Every operation a tenant's credentials reach documents the 403 of a suspended tenant, in its dialect.
      const ref403 = (path: string, method: string): unknown =>
        (doc.paths[path][method].responses['403'] as { content?: Record<string, { schema?: unknown }> })
          ?.content?.['application/json']?.schema;
      expect(ref403('/v1/payment', 'post')).toEqual({ $ref: '#/components/schemas/MerchantErrorBody' });
      expect(ref403('/api/order/payment', 'post')).toEqual({
        $ref: '#/components/schemas/OrderPaymentErrorBody',
      });
      expect(ref403('/api/v1/orders', 'get')).toEqual({ $ref: '#/components/schemas/ApiErrorBody' });
      const operator = await newMerchant(app);
      await db(app).query('UPDATE users SET is_platform_admin = true WHERE id = $1', [operator.userId]);
      // A login drops the cached access: the new token holder is a platform admin at once.
      const login = await http(app)
        .post('/api/v1/auth/login')
        .send({ email: operator.email, password: operator.password })
        .expect(200);
      const admin = { authorization: `Bearer ${login.body.access_token as string}` };
      const target = await newMerchant(app);
      const api = http(app);
      await documented(
        'get',
        '/api/v1/admin/tenants',
        api.get('/api/v1/admin/tenants').query({ limit: 2 }).set(admin),
      );
      await documented(
        'get',
        '/api/v1/admin/tenants/{id}',
        api.get(`/api/v1/admin/tenants/${target.tenantId}`).set(admin),
      );
      await documented(
        'post',
        '/api/v1/admin/tenants/{id}/suspend',
        api.post(`/api/v1/admin/tenants/${target.tenantId}/suspend`).set(admin).send({ reason: 'review' }),
      );
      await documented('get', '/api/v1/orders', api.get('/api/v1/orders').set(target.auth));
      await documented(
        'post',
        '/api/v1/admin/tenants/{id}/unsuspend',
        api.post(`/api/v1/admin/tenants/${target.tenantId}/unsuspend`).set(admin).send({}),
      );
      await documented(
        'get',
        '/api/v1/admin/tenants/{id}',
        api.get(`/api/v1/admin/tenants/${target.tenantId}`).set(target.auth),
      );
      await documented(
        'get',
        '/api/v1/admin/users',
        api.get('/api/v1/admin/users').query({ limit: 2 }).set(admin),
      );
      await documented(
        'get',
        '/api/v1/admin/users/{id}',
        api.get(`/api/v1/admin/users/${target.userId}`).set(admin),
      );
      await documented(
        'get',
        '/api/v1/admin/users/{id}',
        api.get(`/api/v1/admin/users/${randomUUID()}`).set(admin),
      );
    });

    it('merchant API: keys, and its error body', async () => {
      const key = await documented(
        'post',
        '/api/v1/api-keys',
        http(app).post('/api/v1/api-keys').set(m.auth).send({ name: 'server' }),
      );
      await documented('get', '/api/v1/api-keys', http(app).get('/api/v1/api-keys').set(m.auth));
      await documented(
        'get',
        '/v1/payment/{order_no}',
        signedRequest(app, key as { key_id: string; secret: string }, 'GET', '/v1/payment/Pay00000000'),
      );
    });

    it('admin API: orders across tenants, an order timeline', async () => {
      // A platform admin of this suite's own: registered, promoted before its first token is used.
      const email = `admin-${randomUUID()}@example.test`;
      const password = 'admin password 1';
      await http(app).post('/api/v1/auth/register').send({ email, password, name: 'Admin' }).expect(201);
      await db(app).query('UPDATE users SET is_platform_admin = true WHERE email = $1', [email]);
      const login = await http(app).post('/api/v1/auth/login').send({ email, password }).expect(200);
      const admin = { authorization: `Bearer ${login.body.access_token as string}` };
      const order = await newOrder(app, m);
      await http(app)
        .post(`/api/v1/sandbox/payments/${String(order.pay_id)}/complete`)
        .send({ outcome: 'succeeded' })
        .expect(200);
      const page = await documented(
        'get',
        '/api/v1/admin/orders',
        http(app).get('/api/v1/admin/orders').query({ tenant_id: m.tenantId, limit: 1 }).set(admin),
      );
      expect((page.data as unknown[]).length).toBe(1);
      await documented(
        'get',
        '/api/v1/admin/orders/{id}/timeline',
        http(app)
          .get(`/api/v1/admin/orders/${String(order.id)}/timeline`)
          .set(admin),
      );
      await documented(
        'get',
        '/api/v1/admin/orders',
        http(app).get('/api/v1/admin/orders').query({ sort: 'nope' }).set(admin),
      );
    });

    it('admin API: the audit log and the attention queue', async () => {
      const email = `admin-${randomUUID()}@example.test`;
      const password = 'admin password 1';
      await http(app).post('/api/v1/auth/register').send({ email, password, name: 'Admin' }).expect(201);
      await db(app).query('UPDATE users SET is_platform_admin = true WHERE email = $1', [email]);
      const login = await http(app).post('/api/v1/auth/login').send({ email, password }).expect(200);
      const admin = { authorization: `Bearer ${login.body.access_token as string}` };
      // Rows of both shapes: before/after objects (a suspension) and from/to text (an FX rate).
      const other = await newMerchant(app);
      // A payment confirmed with another amount: flagged, in the queue.
      const order = await newOrder(app, other);
      await http(app)
        .post(`/api/v1/sandbox/payments/${String(order.pay_id)}/complete`)
        .send({ outcome: 'succeeded', amount: '1.00' })
        .expect(200);
      await http(app)
        .post(`/api/v1/admin/tenants/${other.tenantId}/suspend`)
        .set(admin)
        .send({ reason: 'review' })
        .expect(200);
      await http(app).put('/api/v1/admin/fx-rates/VND/IDR').set(admin).send({ rate: '0.65' }).expect(200);
      const page = await documented(
        'get',
        '/api/v1/admin/audit',
        http(app).get('/api/v1/admin/audit').query({ limit: 2 }).set(admin),
      );
      expect((page.data as unknown[]).length).toBe(2);
      const queue = await documented(
        'get',
        '/api/v1/admin/attention',
        http(app).get('/api/v1/admin/attention').query({ limit: 100 }).set(admin),
      );
      expect((queue.data as unknown[]).length).toBeGreaterThan(0);
      await documented(
        'get',
        '/api/v1/admin/audit',
        http(app).get('/api/v1/admin/audit').query({ from: 'nope' }).set(admin),
      );
    });
  });
});
