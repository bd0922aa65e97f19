import { randomBytes } from 'node:crypto';
import type { RunningPaymux } from '../src/bootstrap';
import { http, newMerchant, startTestApp, signedRequest } from './helpers/app';

/**
 * Rate limits: per tenant for Bearer tokens and per API key for the merchant API, counted in the
 * database so every process shares them (two app instances here), 429 with Retry-After (10007).
 *
 * These run with RATE_LIMIT_SYNC_MS=0, the exact mode (every request counted in the store), where the
 * two processes share the count at once. The default batched mode, where each process counts in
 * memory and reconciles every RATE_LIMIT_SYNC_MS, shares it within a bounded lag: its exactness within
 * one process, its convergence across two and its bound are test/api-rate-limit-batching.e2e-spec.ts
 * and src/auth/batched-rate-counter.spec.ts.
 */
describe('rate limits', () => {
  let a: RunningPaymux;
  let b: RunningPaymux;
  // One JWT secret, as for processes of one deployment.
  const env = {
    API_RATE_LIMIT: '6',
    // A window no test outlasts, however slow the machine: the counts below are all in one window.
    API_RATE_WINDOW_SECONDS: '3600',
    RATE_LIMIT_SYNC_MS: '0',
    LOGIN_RATE_LIMIT: '1000',
    JWT_SECRET: randomBytes(32).toString('hex'),
  };

  beforeAll(async () => {
    a = await startTestApp(env);
    b = await startTestApp(env);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('limits a tenant across processes, answers 429 with Retry-After, and leaves other tenants alone', async () => {
    const m = await newMerchant(a, {}); // registration and set-up spend part of the window
    const other = await newMerchant(a, {});
    const statuses: number[] = [];
    // Set-up took 2 authenticated requests of the tenant's 6: four more pass, alternating processes.
    for (let i = 0; i < 5; i++) {
      const app = i % 2 === 0 ? a : b;
      statuses.push((await http(app).get('/api/v1/orders').set(m.auth)).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    const limited = await http(b).get('/api/v1/orders').set(m.auth).expect(429);
    expect(limited.body.code).toBe('rate_limited');
    const retry = Number(limited.headers['retry-after']);
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(3600);
    // The other tenant has its own window.
    await http(a).get('/api/v1/orders').set(other.auth).expect(200);
  });

  it('limits a merchant API key with code 10007', async () => {
    const m = await newMerchant(a, {});
    const key = (await http(a).post('/api/v1/api-keys').set(m.auth).send({ name: 'k' })).body as {
      key_id: string;
      secret: string;
    };
    const call = (app: RunningPaymux) => signedRequest(app, key, 'GET', '/v1/payment/NoSuchOrder1');
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await call(i % 2 === 0 ? a : b)).status);
    expect(statuses.slice(0, 6)).toEqual([404, 404, 404, 404, 404, 404]);
    const limited = await call(b);
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ code: 10007, message: expect.any(String) });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });
});
