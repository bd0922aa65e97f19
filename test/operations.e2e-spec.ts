import type { RunningPaymux } from '../src/bootstrap';
import { http, newMerchant, newOrder, startTestApp } from './helpers/app';

/** Health, readiness, metrics, request ids and unknown routes, over HTTP. */
describe('operations', () => {
  let app: RunningPaymux;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it('answers liveness and readiness (the database is pinged)', async () => {
    await http(app).get('/health').expect(200, { status: 'ok' });
    const ready = await http(app).get('/health/ready').expect(200);
    expect(ready.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
  });

  it('counts orders created and entering each state, by provider, in /metrics', async () => {
    const m = await newMerchant(app);
    const counter = async (line: string): Promise<number> => {
      const res = await http(app).get('/metrics').expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      const found = res.text.split('\n').find((l) => l.startsWith(line));
      return found ? Number(found.split(' ').pop()) : 0;
    };
    const pending = 'paymux_order_transitions_total{state="Pending",provider="Sandbox"}';
    const finished = 'paymux_order_transitions_total{state="Finished",provider="Sandbox"}';
    const pendingBefore = await counter(pending);
    const finishedBefore = await counter(finished);
    const order = await newOrder(app, m);
    // Counters live in this app's process: only this suite's requests move them.
    expect(await counter(pending)).toBe(pendingBefore + 1);
    await http(app)
      .post(`/api/v1/sandbox/payments/${order.pay_id as string}/complete`)
      .send({ outcome: 'succeeded' })
      .expect(200);
    expect(await counter(finished)).toBe(finishedBefore + 1);
    const res = await http(app).get('/metrics').expect(200);
    expect(res.text).toContain('paymux_process_resident_memory_bytes');
  });

  it('echoes a sane X-Request-Id and makes one up otherwise', async () => {
    const given = await http(app).get('/health').set('x-request-id', 'trace-abc.123').expect(200);
    expect(given.headers['x-request-id']).toBe('trace-abc.123');
    const made = await http(app).get('/health').set('x-request-id', 'bad id with spaces').expect(200);
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const none = await http(app).get('/health').expect(200);
    expect(none.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(none.headers['x-request-id']).not.toBe(made.headers['x-request-id']);
  });

  it('answers an unknown route with a 404 in the platform envelope', async () => {
    const res = await http(app).get('/api/v1/nothing-here').expect(404);
    expect(res.body).toEqual({ code: 'not_found', message: expect.any(String) });
  });

  it('serves the OpenAPI UI and document', async () => {
    const ui = await http(app).get('/docs').expect(200);
    expect(ui.text).toContain('swagger');
    const doc = await http(app).get('/docs-json').expect(200);
    for (const path of [
      '/api/v1/orders',
      '/api/order/payment',
      '/api/v1/auth/login',
      '/api/v1/applications/{id}/usage',
    ]) {
      expect(Object.keys(doc.body.paths as Record<string, unknown>)).toContain(path);
    }
  });
});
