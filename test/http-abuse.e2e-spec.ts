import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import type { RunningPaymux } from '../src/bootstrap';
import { merchantSignature } from '../src/auth/merchant-signature';
import { MAX_BODY_VALUES } from '../src/common/body-shape';
import { runMigrations } from '../src/database/migrate';
import { db, http, newMerchant, newOrder, startTestApp } from './helpers/app';

/** A JSON object of `n` distinct unknown keys (about 1 MB at 100,000 keys: under the body limit). */
const manyKeys = (n: number): string => {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(`"${i.toString(36)}":1`);
  return `{${parts.join(',')}}`;
};

const post = (url: string, body: string, type = 'application/json'): Promise<Response> =>
  fetch(url, { method: 'POST', headers: { 'content-type': type }, body });

/** HTTP-layer abuse: bodies too complex to transform, the raw body of signed requests, headers, /metrics, /docs. */
describe('HTTP abuse and operations hardening', () => {
  let app: RunningPaymux;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  describe('bodies with too many values', () => {
    const huge = manyKeys(100_000);

    it('answers several 100,000-key bodies with a quick 413 while /health keeps answering', async () => {
      expect(Buffer.byteLength(huge)).toBeLessThan(1024 * 1024);
      const m = await newMerchant(app);
      const order = await newOrder(app, m);
      const targets = [
        '/api/v1/auth/register',
        '/api/v1/auth/login',
        `/api/v1/sandbox/payments/${order.pay_id as string}/complete`,
        `/api/v1/webhooks/stripe/${m.tenantId}`,
        '/api/v1/auth/register',
        '/api/v1/auth/login',
      ];
      let pending = targets.length;
      const started = Date.now();
      const bad = targets.map((path) =>
        post(`${app.url}${path}`, huge).then(async (res) => {
          pending--;
          return {
            status: res.status,
            body: (await res.json()) as Record<string, unknown>,
            ms: Date.now() - started,
          };
        }),
      );
      // /health, asked while the bad bodies are in flight, answers (the event loop is not held).
      const health: { status: number; ms: number }[] = [];
      const poll = (async () => {
        do {
          const t = Date.now();
          const res = await fetch(`${app.url}/health`);
          health.push({ status: res.status, ms: Date.now() - t });
        } while (pending > 0);
      })();
      const answers = await Promise.all(bad);
      await poll;
      for (const a of answers) {
        expect(a.status).toBe(413);
        expect(a.body).toEqual({ code: 'body_too_complex', message: expect.stringMatching(/more than/) });
        // A generous bound for a loaded machine: the old code held the event loop about a minute per body.
        expect(a.ms).toBeLessThan(10_000);
      }
      expect(health.length).toBeGreaterThan(0);
      for (const h of health) {
        expect(h.status).toBe(200);
        expect(h.ms).toBeLessThan(10_000);
      }
    });

    it('refuses a huge body in the dialect of the route (order payment API, merchant API)', async () => {
      const seed = await post(`${app.url}/api/order/payment`, huge);
      expect(seed.status).toBe(413);
      expect(await seed.json()).toEqual({ code: -1, msg: expect.any(String), data: null });
      const merchant = await post(`${app.url}/v1/payment`, huge);
      expect(merchant.status).toBe(413);
      expect(await merchant.json()).toEqual({ code: 10003, message: expect.any(String) });
    });

    it('refuses a huge urlencoded body, a huge array and a huge query string too', async () => {
      const form = Array.from({ length: 50_000 }, (_, i) => `k${i}=1`).join('&');
      const res = await post(`${app.url}/api/v1/auth/login`, form, 'application/x-www-form-urlencoded');
      expect(res.status).toBe(413);
      const arr = await post(`${app.url}/api/v1/auth/login`, `[${'0,'.repeat(200_000)}0]`);
      expect(arr.status).toBe(413);
      const query = Array.from({ length: 1500 }, (_, i) => `q${i}=1`).join('&');
      const q = await fetch(`${app.url}/api/v1/auth/me?${query}`);
      expect(q.status).toBe(413);
    });

    it('lets a body at the limit through to validation (a 400 naming the unknown fields, not a 413)', async () => {
      // MAX_BODY_VALUES counts the object itself: this body has exactly the limit.
      const res = await post(`${app.url}/api/v1/auth/login`, manyKeys(MAX_BODY_VALUES - 1));
      expect(res.status).toBe(400);
      expect(((await res.json()) as { code: string }).code).toBe('validation_failed');
      const over = await post(`${app.url}/api/v1/auth/login`, manyKeys(MAX_BODY_VALUES));
      expect(over.status).toBe(413);
    });

    it('refuses nesting deeper than any DTO', async () => {
      const deep = `${'{"a":'.repeat(40)}1${'}'.repeat(40)}`;
      const res = await post(`${app.url}/api/v1/auth/login`, deep);
      expect(res.status).toBe(413);
      expect(((await res.json()) as { code: string }).code).toBe('body_too_complex');
    });
  });

  describe('signed merchant requests with a text/plain body', () => {
    let key: { key_id: string; secret: string };
    beforeAll(async () => {
      const m = await newMerchant(app);
      key = (await http(app).post('/api/v1/api-keys').set(m.auth).send({ name: 'server' }).expect(201))
        .body as typeof key;
    });

    const signedText = (body: string, signedBody: string): request.Test => {
      const timestamp = String(Math.floor(Date.now() / 1000));
      const nonce = randomBytes(12).toString('hex');
      const signature = merchantSignature(key.secret, {
        timestamp,
        nonce,
        method: 'POST',
        pathWithQuery: '/v1/payment',
        body: signedBody,
      });
      return request(app.url)
        .post('/v1/payment')
        .set('X-API-Key', key.key_id)
        .set('X-Timestamp', timestamp)
        .set('X-Nonce', nonce)
        .set('X-Signature', signature)
        .set('Content-Type', 'text/plain')
        .send(body);
    };

    it('checks the signature over the bytes received, never as an empty body', async () => {
      const body = JSON.stringify({ order_no: `T${Date.now()}`, currency: 'USDT', amount: '1' });
      // Signed as if the body were empty: the body received is not empty, so the signature is wrong.
      const forged = await signedText(body, '').expect(401);
      expect(forged.body).toEqual({ code: 10001, message: expect.any(String) });
      // Signed over its bytes: authenticated, then refused as a parameter problem (not JSON), not a 401.
      const honest = await signedText(body, body);
      expect(honest.status).not.toBe(401);
      expect(honest.status).toBeGreaterThanOrEqual(400);
      expect(honest.status).toBeLessThan(500);
    });
  });

  describe('security headers', () => {
    it('sends nosniff, no-referrer and DENY framing on every answer, HSTS only over https', async () => {
      for (const path of ['/health', '/api/v1/nothing-here', '/api/v1/auth/me']) {
        const res = await http(app).get(path);
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        expect(res.headers['referrer-policy']).toBe('no-referrer');
        expect(res.headers['x-frame-options']).toBe('DENY');
        expect(res.headers['strict-transport-security']).toBeUndefined();
      }
      const proxied = await startTestApp({ TRUST_PROXY: '1' });
      try {
        const https = await http(proxied).get('/health').set('x-forwarded-proto', 'https').expect(200);
        expect(https.headers['strict-transport-security']).toMatch(/^max-age=\d+/);
        const plain = await http(proxied).get('/health').expect(200);
        expect(plain.headers['strict-transport-security']).toBeUndefined();
      } finally {
        await proxied.close();
      }
    });

    it('keeps the hosted checkout its own policy', async () => {
      const m = await newMerchant(app);
      const order = await newOrder(app, m);
      const page = await http(app)
        .get(`/checkout/${order.id as string}`)
        .expect(200);
      expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(page.headers['x-content-type-options']).toBe('nosniff');
    });
  });

  describe('/metrics and /docs', () => {
    it('counts orders with in-memory counters (no query at scrape time)', async () => {
      const m = await newMerchant(app);
      const value = async (line: string): Promise<number> => {
        const res = await http(app).get('/metrics').expect(200);
        const found = res.text.split('\n').find((l) => l.startsWith(line));
        return found ? Number(found.split(' ').pop()) : 0;
      };
      const created = 'paymux_orders_created_total{provider="Sandbox"}';
      const finished = 'paymux_order_transitions_total{state="Finished",provider="Sandbox"}';
      const [createdBefore, finishedBefore] = [await value(created), await value(finished)];
      const order = await newOrder(app, m);
      expect(await value(created)).toBe(createdBefore + 1);
      await http(app)
        .post(`/api/v1/sandbox/payments/${order.pay_id as string}/complete`)
        .send({ outcome: 'succeeded' })
        .expect(200);
      expect(await value(finished)).toBe(finishedBefore + 1);
      // A scrape reads no table: it answers with the database's orders table locked.
      const runner = db(app).createQueryRunner();
      await runner.connect();
      try {
        await runner.startTransaction();
        await runner.query('LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
        const res = await http(app).get('/metrics').timeout(20_000).expect(200);
        expect(res.text).toContain('paymux_orders_created_total');
      } finally {
        await runner.rollbackTransaction();
        await runner.release();
      }
    });

    it('asks for METRICS_TOKEN when set, and serves no /metrics or /docs in production by default', async () => {
      const token = randomUUID();
      const guarded = await startTestApp({ METRICS_TOKEN: token });
      try {
        await http(guarded).get('/metrics').expect(401);
        await http(guarded).get('/metrics').set('authorization', `Bearer ${token}x`).expect(401);
        await http(guarded).get('/metrics').set('authorization', `Bearer ${token}`).expect(200);
        await http(guarded).get('/docs-json').expect(200);
      } finally {
        await guarded.close();
      }
      const production = await startTestApp({ NODE_ENV: 'production' });
      try {
        await http(production).get('/metrics').expect(404);
        await http(production).get('/docs').expect(404);
        await http(production).get('/docs-json').expect(404);
        await http(production).get('/health').expect(200);
      } finally {
        await production.close();
      }
      const opened = await startTestApp({ NODE_ENV: 'production', API_DOCS: 'on', METRICS_TOKEN: token });
      try {
        await http(opened).get('/docs-json').expect(200);
        await http(opened).get('/metrics').set('authorization', `Bearer ${token}`).expect(200);
      } finally {
        await opened.close();
      }
    });
  });

  it('says what the migrations did', async () => {
    const lines: string[] = [];
    await runMigrations(app.db.url, (l) => lines.push(l));
    expect(lines).toEqual([expect.stringMatching(/^database schema up to date \(\d+ migrations\)$/)]);
  });
});
