import fc from 'fast-check';
import type { Response } from 'supertest';
import type { RunningPaymux } from '../src/bootstrap';
import { db, http, Merchant, newMerchant, startTestApp } from './helpers/app';

type Method = 'get' | 'post' | 'patch' | 'delete';

/** Tables a tenant's bad request must never write to. */
const TABLES = [
  'orders',
  'payments',
  'applications',
  'packages',
  'idempotency_keys',
  'order_transitions',
  'ledger_entries',
  'platform_tokens',
] as const;

interface BadCase {
  name: string;
  method: Method;
  path: () => string;
  /** A value sent as JSON, or `raw` text sent as it is. */
  body?: () => unknown;
  raw?: () => string | Buffer;
  contentType?: string;
  status: number;
  code: string;
}

/**
 * Bad input on every write route: a 4xx with a stable `code`, and not one row written for the
 * tenant. Each request carries an Idempotency-Key, so a key stored for a refused request shows too.
 */
describe('bad input', () => {
  let app: RunningPaymux;
  let m: Merchant;
  let customPackageId: string;
  let jpyPackageId: string;
  let orderId: string;
  let seq = 0;

  beforeAll(async () => {
    app = await startTestApp({ LOGIN_RATE_LIMIT: '1000' });
    m = await newMerchant(app);
    customPackageId = (
      await http(app)
        .post('/api/v1/packages')
        .set(m.auth)
        .send({
          name: 'custom',
          amount: 1,
          price: 0.1,
          currency: 'USD',
          custom_amount: { unit_price: 0.1, min: 10, max: 1000 },
        })
        .expect(201)
    ).body.id as string;
    jpyPackageId = (
      await http(app)
        .post('/api/v1/packages')
        .set(m.auth)
        .send({ name: 'yen', amount: 100, price: 1500, currency: 'JPY' })
        .expect(201)
    ).body.id as string;
    orderId = (
      await http(app)
        .post('/api/v1/orders')
        .set(m.auth)
        .send({ application_id: m.applicationId, package_id: m.packageId, pay_way: 'Sandbox' })
        .expect(201)
    ).body.id as string;
  });
  afterAll(() => app.close());

  async function rowsOf(tenantId: string): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const t of TABLES) {
      const r = await db(app).query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM ${t} WHERE tenant_id = $1`,
        [tenantId],
      );
      out[t] = r[0].n;
    }
    return out;
  }

  function send(c: Pick<BadCase, 'method' | 'path' | 'body' | 'raw' | 'contentType'>): Promise<Response> {
    const req = http(app)[c.method](c.path()).set(m.auth).set('Idempotency-Key', `bad-input-${++seq}`);
    if (c.raw) return req.set('content-type', c.contentType ?? 'application/json').send(c.raw());
    if (c.body) return req.set('content-type', 'application/json').send(JSON.stringify(c.body()));
    return req;
  }

  const order = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    application_id: m.applicationId,
    package_id: m.packageId,
    pay_way: 'Sandbox',
    ...extra,
  });
  const customOrder = (amount: unknown): Record<string, unknown> =>
    order({ package_id: customPackageId, amount });
  const pkg = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    name: 'p',
    amount: 10,
    price: 1.99,
    currency: 'USD',
    ...extra,
  });
  const without = (o: Record<string, unknown>, key: string): Record<string, unknown> =>
    Object.fromEntries(Object.entries(o).filter(([k]) => k !== key));

  const ORDERS = (): string => '/api/v1/orders';
  const PACKAGES = (): string => '/api/v1/packages';
  const APPS = (): string => '/api/v1/applications';
  const USAGE = (): string => `/api/v1/applications/${m.applicationId}/usage`;

  const cases: BadCase[] = [
    // Malformed JSON.
    {
      name: 'order: truncated JSON',
      method: 'post',
      path: ORDERS,
      raw: () => '{"application_id":',
      status: 400,
      code: 'invalid_json',
    },
    {
      name: 'order: trailing comma',
      method: 'post',
      path: ORDERS,
      raw: () => '{"pay_way":"Sandbox",}',
      status: 400,
      code: 'invalid_json',
    },
    {
      name: 'order: single quotes',
      method: 'post',
      path: ORDERS,
      raw: () => "{'pay_way':'Sandbox'}",
      status: 400,
      code: 'invalid_json',
    },
    {
      // No body at all is a request without a body (every required field missing), not bad JSON.
      name: 'order: empty JSON body',
      method: 'post',
      path: ORDERS,
      raw: () => '',
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'order: NaN literal',
      method: 'post',
      path: ORDERS,
      raw: () => '{"amount":NaN}',
      status: 400,
      code: 'invalid_json',
    },
    {
      name: 'package: truncated JSON',
      method: 'post',
      path: PACKAGES,
      raw: () => '{"name":"x"',
      status: 400,
      code: 'invalid_json',
    },
    {
      name: 'application: truncated JSON',
      method: 'post',
      path: APPS,
      raw: () => '{',
      status: 400,
      code: 'invalid_json',
    },
    {
      name: 'usage: truncated JSON',
      method: 'post',
      path: USAGE,
      raw: () => '{"amount":1,',
      status: 400,
      code: 'invalid_json',
    },
    {
      // The bytes decode as U+FFFD: valid JSON with a key that is no field.
      name: 'order: invalid UTF-8 bytes',
      method: 'post',
      path: ORDERS,
      raw: () => Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
      status: 400,
      code: 'validation_failed',
    },
    // Not JSON at all. Fastify reads text/plain as a string and Nest parses forms: neither is an order.
    {
      name: 'order: text/plain',
      method: 'post',
      path: ORDERS,
      raw: () => 'pay_way=Sandbox',
      contentType: 'text/plain',
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'order: form-encoded',
      method: 'post',
      path: ORDERS,
      raw: () => 'pay_way=Sandbox',
      contentType: 'application/x-www-form-urlencoded',
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'order: application/xml',
      method: 'post',
      path: ORDERS,
      raw: () => '<order><pay_way>Sandbox</pay_way></order>',
      contentType: 'application/xml',
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      name: 'order: nested 100k arrays deep',
      method: 'post',
      path: ORDERS,
      raw: () => '['.repeat(100_000) + ']'.repeat(100_000),
      status: 413,
      code: 'body_too_complex',
    },
    {
      name: 'order: a field nested 100k objects deep',
      method: 'post',
      path: ORDERS,
      raw: () => '{"amount":'.repeat(50_000) + '1' + '}'.repeat(50_000),
      status: 413,
      code: 'body_too_complex',
    },
    // Unknown fields.
    {
      name: 'order: unknown field',
      method: 'post',
      path: ORDERS,
      body: () => order({ is_admin: true }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'order: tenant_id smuggled in',
      method: 'post',
      path: ORDERS,
      body: () => order({ tenant_id: m.tenantId }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'order: state smuggled in',
      method: 'post',
      path: ORDERS,
      body: () => order({ state: 'Finished', price: 0 }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'package: unknown field',
      method: 'post',
      path: PACKAGES,
      body: () => pkg({ active: false }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'application: balance smuggled in',
      method: 'post',
      path: APPS,
      body: () => ({ name: 'x', balance: 1e6 }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'usage: unknown field',
      method: 'post',
      path: USAGE,
      body: () => ({ amount: 1, reference: 'r', kind: 'credit' }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'order: __proto__ key',
      method: 'post',
      path: ORDERS,
      raw: () =>
        `{"__proto__":{"admin":true},"application_id":"${m.applicationId}","package_id":"${m.packageId}","pay_way":"Sandbox"}`,
      status: 400,
      code: 'invalid_json',
    },
    {
      name: 'order: constructor.prototype key',
      method: 'post',
      path: ORDERS,
      raw: () =>
        `{"constructor":{"prototype":{"admin":true}},"application_id":"${m.applicationId}","package_id":"${m.packageId}","pay_way":"Sandbox"}`,
      status: 400,
      code: 'invalid_json',
    },
    // Keys named like Object.prototype members got past the whitelist (found by the reliability fuzz).
    ...['constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'].map((key): BadCase => ({
      name: `usage: unknown field named ${key}`,
      method: 'post',
      path: USAGE,
      raw: () => `{"amount":1,"reference":"r-${key}","${key}":1}`,
      status: 400,
      code: 'validation_failed',
    })),
    // Missing fields.
    {
      name: 'order: no application_id',
      method: 'post',
      path: ORDERS,
      body: () => without(order(), 'application_id'),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'order: no package_id',
      method: 'post',
      path: ORDERS,
      body: () => without(order(), 'package_id'),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'order: no pay_way',
      method: 'post',
      path: ORDERS,
      body: () => without(order(), 'pay_way'),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'order: empty object',
      method: 'post',
      path: ORDERS,
      body: () => ({}),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'package: no currency',
      method: 'post',
      path: PACKAGES,
      body: () => without(pkg(), 'currency'),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'package: no price',
      method: 'post',
      path: PACKAGES,
      body: () => without(pkg(), 'price'),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'usage: no reference',
      method: 'post',
      path: USAGE,
      body: () => ({ amount: 1 }),
      status: 400,
      code: 'validation_failed',
    },
    // Wrong types.
    {
      name: 'order: application_id 123',
      method: 'post',
      path: ORDERS,
      body: () => order({ application_id: 123 }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'order: pay_way true',
      method: 'post',
      path: ORDERS,
      body: () => order({ pay_way: true }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'order: package_id null',
      method: 'post',
      path: ORDERS,
      body: () => order({ package_id: null }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'order: application_id as an object',
      method: 'post',
      path: ORDERS,
      body: () => order({ application_id: { $ne: null } }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'order: amount as an object',
      method: 'post',
      path: ORDERS,
      body: () => customOrder({ value: 10 }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'order: amount as an array',
      method: 'post',
      path: ORDERS,
      body: () => customOrder([10]),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'order: amount true',
      method: 'post',
      path: ORDERS,
      body: () => customOrder(true),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'order: redirect_url javascript:',
      method: 'post',
      path: ORDERS,
      body: () => order({ redirect_url: 'javascript:alert(1)' }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'package: price "abc"',
      method: 'post',
      path: PACKAGES,
      body: () => pkg({ price: 'abc' }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'package: price "Infinity"',
      method: 'post',
      path: PACKAGES,
      body: () => pkg({ price: 'Infinity' }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'package: price "0x10"',
      method: 'post',
      path: PACKAGES,
      body: () => pkg({ price: '0x10' }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'package: currency 42',
      method: 'post',
      path: PACKAGES,
      body: () => pkg({ currency: 42 }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'package: unknown currency',
      method: 'post',
      path: PACKAGES,
      body: () => pkg({ currency: 'XXX' }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'package: custom_amount a string',
      method: 'post',
      path: PACKAGES,
      body: () => pkg({ custom_amount: 'lots' }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'package: custom_amount an array',
      method: 'post',
      path: PACKAGES,
      body: () => pkg({ custom_amount: [{ unit_price: 1, min: 1, max: 2 }] }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'application: name 123',
      method: 'post',
      path: APPS,
      body: () => ({ name: 123 }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'application: name empty',
      method: 'post',
      path: APPS,
      body: () => ({ name: '' }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'application: name 101 chars',
      method: 'post',
      path: APPS,
      body: () => ({ name: 'x'.repeat(101) }),
      status: 400,
      code: 'validation_failed',
    },
    // Negative, zero and over-scale money.
    {
      name: 'package: negative price',
      method: 'post',
      path: PACKAGES,
      body: () => pkg({ price: -1 }),
      status: 400,
      code: 'invalid_amount',
    },
    {
      name: 'package: negative price string',
      method: 'post',
      path: PACKAGES,
      body: () => pkg({ price: '-0.01' }),
      status: 400,
      code: 'invalid_amount',
    },
    {
      name: 'package: negative amount',
      method: 'post',
      path: PACKAGES,
      body: () => pkg({ amount: -5 }),
      status: 400,
      code: 'invalid_amount',
    },
    {
      name: 'package: zero amount',
      method: 'post',
      path: PACKAGES,
      body: () => pkg({ amount: 0 }),
      status: 400,
      code: 'invalid_amount',
    },
    {
      name: 'package: price 1.999 USD',
      method: 'post',
      path: PACKAGES,
      body: () => pkg({ price: 1.999 }),
      status: 400,
      code: 'invalid_amount',
    },
    {
      name: 'package: price "1.999" USD',
      method: 'post',
      path: PACKAGES,
      body: () => pkg({ price: '1.999' }),
      status: 400,
      code: 'invalid_amount',
    },
    {
      name: 'package: price 1.5 JPY',
      method: 'post',
      path: PACKAGES,
      body: () => pkg({ price: 1.5, currency: 'JPY' }),
      status: 400,
      code: 'invalid_amount',
    },
    {
      name: 'package: price "1.5" JPY',
      method: 'post',
      path: PACKAGES,
      body: () => pkg({ price: '1.5', currency: 'JPY' }),
      status: 400,
      code: 'invalid_amount',
    },
    {
      name: 'package: price 0.123456789 BTC',
      method: 'post',
      path: PACKAGES,
      body: () => pkg({ price: 0.123456789, currency: 'BTC' }),
      status: 400,
      code: 'invalid_amount',
    },
    {
      name: 'package: price 1e-7 USD',
      method: 'post',
      path: PACKAGES,
      body: () => pkg({ price: 1e-7 }),
      status: 400,
      code: 'invalid_amount',
    },
    {
      name: 'package: amount with 7 decimals',
      method: 'post',
      path: PACKAGES,
      body: () => pkg({ amount: '1.0000001' }),
      status: 400,
      code: 'invalid_amount',
    },
    {
      name: 'package: discount 0',
      method: 'post',
      path: PACKAGES,
      body: () => pkg({ discount: 0 }),
      status: 400,
      code: 'invalid_amount',
    },
    {
      name: 'package: discount 1.5',
      method: 'post',
      path: PACKAGES,
      body: () => pkg({ discount: 1.5 }),
      status: 400,
      code: 'invalid_amount',
    },
    {
      name: 'package: discount -0.5',
      method: 'post',
      path: PACKAGES,
      body: () => pkg({ discount: -0.5 }),
      status: 400,
      code: 'invalid_amount',
    },
    {
      name: 'package: custom min > max',
      method: 'post',
      path: PACKAGES,
      body: () => pkg({ custom_amount: { unit_price: 1, min: 10, max: 5 } }),
      status: 400,
      code: 'invalid_amount',
    },
    {
      name: 'package: custom negative unit_price',
      method: 'post',
      path: PACKAGES,
      body: () => pkg({ custom_amount: { unit_price: -1, min: 1, max: 5 } }),
      status: 400,
      code: 'invalid_amount',
    },
    {
      name: 'usage: negative amount',
      method: 'post',
      path: USAGE,
      body: () => ({ amount: -1, reference: 'neg' }),
      status: 400,
      code: 'invalid_amount',
    },
    {
      name: 'usage: zero amount',
      method: 'post',
      path: USAGE,
      body: () => ({ amount: 0, reference: 'zero' }),
      status: 400,
      code: 'invalid_amount',
    },
    // Huge numbers.
    {
      name: 'package: price 1e300',
      method: 'post',
      path: PACKAGES,
      body: () => pkg({ price: 1e300 }),
      status: 400,
      code: 'invalid_amount',
    },
    {
      name: 'package: amount 1e300',
      method: 'post',
      path: PACKAGES,
      body: () => pkg({ amount: 1e300 }),
      status: 400,
      code: 'invalid_amount',
    },
    {
      name: 'package: price 1e16',
      method: 'post',
      path: PACKAGES,
      body: () => pkg({ price: 1e16 }),
      status: 400,
      code: 'invalid_amount',
    },
    {
      name: 'package: price of 60 digits',
      method: 'post',
      path: PACKAGES,
      body: () => pkg({ price: '9'.repeat(60) }),
      status: 400,
      code: 'invalid_amount',
    },
    {
      name: 'package: price literal 1e400 (Infinity)',
      method: 'post',
      path: PACKAGES,
      raw: () => '{"name":"p","amount":10,"price":1e400,"currency":"USD"}',
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'order: custom amount 1e300',
      method: 'post',
      path: ORDERS,
      body: () => customOrder(1e300),
      status: 400,
      code: 'invalid_amount',
    },
    {
      name: 'order: custom amount "1e300"',
      method: 'post',
      path: ORDERS,
      body: () => customOrder('1e300'),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'usage: amount 1e300',
      method: 'post',
      path: USAGE,
      body: () => ({ amount: 1e300, reference: 'huge' }),
      status: 400,
      code: 'invalid_amount',
    },
    // Custom amounts.
    {
      name: 'order: custom amount below min',
      method: 'post',
      path: ORDERS,
      body: () => customOrder(5),
      status: 400,
      code: 'amount_out_of_range',
    },
    {
      name: 'order: custom amount above max',
      method: 'post',
      path: ORDERS,
      body: () => customOrder('1000.000001'),
      status: 400,
      code: 'amount_out_of_range',
    },
    {
      name: 'order: custom amount negative',
      method: 'post',
      path: ORDERS,
      body: () => customOrder(-10),
      status: 400,
      code: 'invalid_amount',
    },
    {
      name: 'order: custom amount 7 decimals',
      method: 'post',
      path: ORDERS,
      body: () => customOrder('10.0000001'),
      status: 400,
      code: 'invalid_amount',
    },
    {
      name: 'order: amount for a fixed package',
      method: 'post',
      path: ORDERS,
      body: () => order({ amount: 10 }),
      status: 400,
      code: 'custom_amount_not_supported',
    },
    {
      name: 'order: amount for a fixed JPY package',
      method: 'post',
      path: ORDERS,
      body: () => order({ package_id: jpyPackageId, amount: 1 }),
      status: 400,
      code: 'custom_amount_not_supported',
    },
    // pay_way.
    {
      name: 'order: unknown pay_way',
      method: 'post',
      path: ORDERS,
      body: () => order({ pay_way: 'bitcoin' }),
      status: 400,
      code: 'invalid_pay_way',
    },
    {
      name: 'order: pay_way __proto__',
      method: 'post',
      path: ORDERS,
      body: () => order({ pay_way: '__proto__' }),
      status: 400,
      code: 'invalid_pay_way',
    },
    {
      name: 'order: pay_way constructor',
      method: 'post',
      path: ORDERS,
      body: () => order({ pay_way: 'constructor' }),
      status: 400,
      code: 'invalid_pay_way',
    },
    {
      name: 'order: pay_way empty',
      method: 'post',
      path: ORDERS,
      body: () => order({ pay_way: '' }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'order: pay_way 33 chars',
      method: 'post',
      path: ORDERS,
      body: () => order({ pay_way: 's'.repeat(33) }),
      status: 400,
      code: 'validation_failed',
    },
    // Unicode garbage.
    {
      name: 'order: pay_way emoji',
      method: 'post',
      path: ORDERS,
      body: () => order({ pay_way: '💳' }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'order: pay_way fullwidth',
      method: 'post',
      path: ORDERS,
      body: () => order({ pay_way: 'Ｓａｎｄｂｏｘ' }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'order: pay_way with NUL',
      method: 'post',
      path: ORDERS,
      body: () => order({ pay_way: 'Sandbox\u0000' }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'order: pay_way with RTL override',
      method: 'post',
      path: ORDERS,
      body: () => order({ pay_way: '\u202eSandbox' }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'order: pay_way with a Cyrillic a',
      method: 'post',
      path: ORDERS,
      body: () => order({ pay_way: 'S\u0430ndbox' }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'order: application_id lone surrogate',
      method: 'post',
      path: ORDERS,
      body: () => order({ application_id: '\ud800' }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'order: application_id fullwidth digits',
      method: 'post',
      path: ORDERS,
      body: () =>
        order({
          application_id: m.applicationId.replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d))),
        }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'order: redirect_url with NUL',
      method: 'post',
      path: ORDERS,
      body: () => order({ redirect_url: 'https://a.example/\u0000' }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'package: price with Arabic-Indic digits',
      method: 'post',
      path: PACKAGES,
      body: () => pkg({ price: '١٢' }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'package: price with a zero-width space',
      method: 'post',
      path: PACKAGES,
      body: () => pkg({ price: '1\u200b9' }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'package: name with NUL',
      method: 'post',
      path: PACKAGES,
      body: () => pkg({ name: 'bad\u0000name' }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'application: name with NUL',
      method: 'post',
      path: APPS,
      body: () => ({ name: 'a\u0000b' }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'usage: reference with NUL',
      method: 'post',
      path: USAGE,
      body: () => ({ amount: 1, reference: 'ref\u0000' }),
      status: 400,
      code: 'validation_failed',
    },
    // Arrays and scalars instead of objects.
    {
      name: 'order: empty array',
      method: 'post',
      path: ORDERS,
      body: () => [],
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'order: array of a valid order',
      method: 'post',
      path: ORDERS,
      body: () => [order()],
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'order: a string',
      method: 'post',
      path: ORDERS,
      body: () => 'Sandbox',
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'order: a number',
      method: 'post',
      path: ORDERS,
      body: () => 42,
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'order: null',
      method: 'post',
      path: ORDERS,
      body: () => null,
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'order: true',
      method: 'post',
      path: ORDERS,
      body: () => true,
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'package: array of a valid package',
      method: 'post',
      path: PACKAGES,
      body: () => [pkg()],
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'application: array',
      method: 'post',
      path: APPS,
      body: () => [{ name: 'x' }],
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'usage: array',
      method: 'post',
      path: USAGE,
      body: () => [{ amount: 1, reference: 'arr' }],
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'order payment API: array',
      method: 'post',
      path: () => '/api/order/payment',
      body: () => [{ order_id: orderId, pay_way: 'sandbox' }],
      status: 400,
      code: '-1',
    },
    // Too big.
    {
      name: 'order: body over 1 MB',
      method: 'post',
      path: ORDERS,
      body: () => order({ pad: 'x'.repeat(1024 * 1024 + 1) }),
      status: 413,
      code: 'payload_too_large',
    },
    {
      name: 'package: body over 1 MB',
      method: 'post',
      path: PACKAGES,
      raw: () => JSON.stringify(pkg({ name: 'y'.repeat(1024 * 1024) })),
      status: 413,
      code: 'payload_too_large',
    },
    // Ids in the path that are not UUIDs.
    {
      name: 'GET order by non-uuid',
      method: 'get',
      path: () => '/api/v1/orders/202211232209080046',
      status: 400,
      code: 'invalid_id',
    },
    {
      name: 'cancel order by non-uuid',
      method: 'post',
      path: () => '/api/v1/orders/not-a-uuid/cancel',
      status: 400,
      code: 'invalid_id',
    },
    {
      name: 'GET order by SQL-ish id',
      method: 'get',
      path: () => `/api/v1/orders/${encodeURIComponent("1' OR '1'='1")}`,
      status: 400,
      code: 'invalid_id',
    },
    {
      name: 'GET order by emoji id',
      method: 'get',
      path: () => `/api/v1/orders/${encodeURIComponent('💳')}`,
      status: 400,
      code: 'invalid_id',
    },
    {
      name: 'GET application by non-uuid',
      method: 'get',
      path: () => '/api/v1/applications/abc',
      status: 400,
      code: 'invalid_id',
    },
    {
      name: 'GET ledger by non-uuid',
      method: 'get',
      path: () => '/api/v1/applications/abc/ledger',
      status: 400,
      code: 'invalid_id',
    },
    {
      name: 'usage by non-uuid',
      method: 'post',
      path: () => '/api/v1/applications/abc/usage',
      body: () => ({ amount: 1, reference: 'x' }),
      status: 400,
      code: 'invalid_id',
    },
    {
      name: 'GET package by non-uuid',
      method: 'get',
      path: () => '/api/v1/packages/123',
      status: 400,
      code: 'invalid_id',
    },
    {
      name: 'PATCH package by non-uuid',
      method: 'patch',
      path: () => '/api/v1/packages/123',
      body: () => ({ name: 'n' }),
      status: 400,
      code: 'invalid_id',
    },
    {
      name: 'DELETE package by non-uuid',
      method: 'delete',
      path: () => '/api/v1/packages/123',
      status: 400,
      code: 'invalid_id',
    },
    {
      name: 'DELETE token by non-uuid',
      method: 'delete',
      path: () => '/api/v1/auth/tokens/123',
      status: 400,
      code: 'invalid_id',
    },
    // Query strings.
    {
      name: 'orders: limit 0',
      method: 'get',
      path: () => '/api/v1/orders?limit=0',
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'orders: limit abc',
      method: 'get',
      path: () => '/api/v1/orders?limit=abc',
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'orders: state Bogus',
      method: 'get',
      path: () => '/api/v1/orders?state=Bogus',
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'orders: application_id non-uuid',
      method: 'get',
      path: () => '/api/v1/orders?application_id=1',
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'orders: unknown query parameter',
      method: 'get',
      path: () => '/api/v1/orders?tenant_id=x',
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'orders: pay_way filter with NUL',
      method: 'get',
      path: () => '/api/v1/orders?pay_way=%00',
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'orders: garbage cursor',
      method: 'get',
      path: () => '/api/v1/orders?cursor=!!!',
      status: 400,
      code: 'invalid_cursor',
    },
    {
      name: 'orders: cursor with a non-uuid id',
      method: 'get',
      path: () => `/api/v1/orders?cursor=${cursor(['2024-01-01T00:00:00.000Z', 'x'])}`,
      status: 400,
      code: 'invalid_cursor',
    },
    {
      name: 'orders: cursor with an out-of-range date',
      method: 'get',
      path: () =>
        `/api/v1/orders?cursor=${cursor(['-271821-04-20T00:00:00.000Z', '00000000-0000-4000-8000-000000000000'])}`,
      status: 400,
      code: 'invalid_cursor',
    },
    {
      name: 'ledger: cursor with a non-uuid id',
      method: 'get',
      path: () =>
        `/api/v1/applications/${m.applicationId}/ledger?cursor=${cursor(['2024-01-01T00:00:00.000Z', "'; DROP TABLE x; --"])}`,
      status: 400,
      code: 'invalid_cursor',
    },
    // Package updates.
    {
      name: 'PATCH package: price 1.999',
      method: 'patch',
      path: () => `/api/v1/packages/${m.packageId}`,
      body: () => ({ price: 1.999 }),
      status: 400,
      code: 'invalid_amount',
    },
    {
      name: 'PATCH package: negative amount',
      method: 'patch',
      path: () => `/api/v1/packages/${m.packageId}`,
      body: () => ({ amount: -1 }),
      status: 400,
      code: 'invalid_amount',
    },
    {
      name: 'PATCH package: currency change',
      method: 'patch',
      path: () => `/api/v1/packages/${m.packageId}`,
      body: () => ({ currency: 'JPY' }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'PATCH package: active "yes"',
      method: 'patch',
      path: () => `/api/v1/packages/${m.packageId}`,
      body: () => ({ active: 'yes' }),
      status: 400,
      code: 'validation_failed',
    },
  ];

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = await rowsOf(m.tenantId);
    const pkgBefore = await db(app).query('SELECT * FROM packages WHERE tenant_id = $1 ORDER BY id', [
      m.tenantId,
    ]);
    const res = await send(c);
    expect({ status: res.status, code: String(res.body?.code) }).toEqual({ status: c.status, code: c.code });
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(typeof (res.body.message ?? res.body.msg)).toBe('string');
    expect(await rowsOf(m.tenantId)).toEqual(before);
    expect(
      await db(app).query('SELECT * FROM packages WHERE tenant_id = $1 ORDER BY id', [m.tenantId]),
    ).toEqual(pkgBefore);
  });

  it('still accepts the good request next to each bad one (the cases fail for their own reason)', async () => {
    const before = await rowsOf(m.tenantId);
    await http(app).post('/api/v1/orders').set(m.auth).send(customOrder(10)).expect(201);
    await http(app).post('/api/v1/orders').set(m.auth).send(customOrder('1000')).expect(201);
    await http(app)
      .post('/api/v1/packages')
      .set(m.auth)
      .send(pkg({ price: '1.99' }))
      .expect(201);
    await http(app)
      .post('/api/v1/packages')
      .set(m.auth)
      .send(pkg({ price: 15, currency: 'JPY' }))
      .expect(201);
    await http(app)
      .post('/api/v1/packages')
      .set(m.auth)
      .send(pkg({ price: 0.12345678, currency: 'BTC' }))
      .expect(201);
    await http(app).post('/api/v1/applications').set(m.auth).send({ name: 'Ünïcødé ✓ 应用' }).expect(201);
    const after = await rowsOf(m.tenantId);
    expect(after.orders).toBe(before.orders + 2);
    expect(after.packages).toBe(before.packages + 3);
    expect(after.applications).toBe(before.applications + 1);
  });

  it('never answers a random JSON body to POST /api/v1/orders with a 5xx, nor writes a row', async () => {
    const before = await rowsOf(m.tenantId);
    const anyValue = fc.jsonValue({ stringUnit: 'binary', maxDepth: 3 });
    // Each field is mostly a plausible value (real ids, decimal-ish amounts, URLs), so bodies get past
    // validation into the lookups, the pricing and the provider check; the pay_ways offered are only
    // ones this tenant cannot use, so no body can be a valid order.
    const mostly = <T>(plausible: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
      fc.oneof({ arbitrary: plausible, weight: 9 }, { arbitrary: anyValue, weight: 1 });
    const orderish = fc.record(
      {
        application_id: mostly(fc.oneof(fc.constant(m.applicationId), fc.uuid())),
        package_id: mostly(fc.constantFrom(m.packageId, customPackageId, jpyPackageId)),
        pay_way: mostly(fc.constantFrom('Stripe', 'paypal', 'WechatPay', 'bitcoin', 'x402', 'ALIPAY')),
        amount: mostly(
          fc.oneof(
            fc.double(),
            fc.integer(),
            fc.stringMatching(/^-?\d{1,20}(\.\d{1,10})?$/),
            fc.constantFrom(10, '10', 1000, '1000.000001', 9.999999, 1e300, -1, 0),
          ),
        ),
        redirect_url: mostly(fc.oneof(fc.webUrl(), fc.constant('https://shop.example/thanks?a=1'))),
      },
      { requiredKeys: ['application_id', 'package_id', 'pay_way'] },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          { arbitrary: anyValue, weight: 1 },
          { arbitrary: orderish, weight: 3 },
          {
            arbitrary: fc.tuple(orderish, fc.string(), anyValue).map(([o, k, v]) => ({ ...o, [k]: v })),
            weight: 1,
          },
        ),
        async (value) => {
          const res = await http(app)
            .post('/api/v1/orders')
            .set(m.auth)
            .set('content-type', 'application/json')
            .send(JSON.stringify(value));
          if (res.status >= 500 || res.status < 400) {
            throw new Error(`${res.status} ${res.text} for ${JSON.stringify(value)}`);
          }
          expect(typeof res.body.code).toBe('string');
          expect(await rowsOf(m.tenantId)).toEqual(before);
        },
      ),
      { numRuns: 200 },
    );
  });
});

function cursor(parts: [string, string]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}
