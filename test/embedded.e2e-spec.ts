import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { DEMO } from '../src/demo/demo.service';
import { runJourney } from './helpers/journey';
import { ServerProcess, startServerProcess } from './helpers/server-process';

/**
 * The embedded default, as a newcomer runs it: the built server with no DATABASE_URL, on PGlite in a
 * fresh DATA_DIR, started as its own process.
 */
describe('embedded default (no DATABASE_URL)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'paymux-embedded-'));
  const env = { DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
  let server: ServerProcess;

  // 600 s: not a budget, only the ceiling for a start that hangs. PGlite compiles its WebAssembly
  // and migrates a fresh database on start, which takes minutes on a loaded machine.
  beforeAll(async () => {
    server = await startServerProcess(env);
  }, 600_000);
  afterAll(async () => {
    if (server) await server.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('migrates, seeds the demo and prints how to log in and create an order', async () => {
    expect(server.output()).toContain('embedded PostgreSQL');
    expect(server.output()).toContain(`demo login: ${DEMO.email} / ${DEMO.password}`);
    expect(server.output()).toContain('/api/v1/orders/');
    const login = await request(server.url)
      .post('/api/v1/auth/login')
      .send({ email: DEMO.email, password: DEMO.password })
      .expect(200);
    const order = await request(server.url)
      .post('/api/v1/orders/')
      .set('authorization', `Bearer ${login.body.access_token}`)
      .send({ application_id: DEMO.applicationId, package_id: DEMO.packages[0].id, pay_way: 'Sandbox' })
      .expect(201);
    expect(order.body).toMatchObject({ amount: 500, price: 49.99, state: 'Pending', pay_way: 'Sandbox' });
  });

  it('seeds a demo operator and a few demo orders, so the console is not empty on first open', async () => {
    const { email, password } = DEMO.operator;
    expect(server.output()).toContain(`operator login: ${email} / ${password}`);
    expect(server.output()).toMatch(/console: http:\/\/\S+\/admin\n/);
    const login = await request(server.url).post('/api/v1/auth/login').send({ email, password }).expect(200);
    const operator = { authorization: `Bearer ${login.body.access_token}` };
    const me = await request(server.url).get('/api/v1/auth/me').set(operator).expect(200);
    expect(me.body.user).toMatchObject({ email, is_platform_admin: true });
    // The demo merchant's orders as the operator sees them, oldest first, before any test added one.
    const demo = await request(server.url)
      .post('/api/v1/auth/login')
      .send({ email: DEMO.email, password: DEMO.password })
      .expect(200);
    const tenantId = (
      await request(server.url)
        .get('/api/v1/auth/me')
        .set('authorization', `Bearer ${demo.body.access_token}`)
    ).body.tenant.id as string;
    const orders = await request(server.url)
      .get('/api/v1/admin/orders')
      .query({ tenant_id: tenantId, sort: 'created_at', order: 'asc', limit: 4 })
      .set(operator)
      .expect(200);
    expect(orders.body.data.map((o: { state: string; flagged: boolean }) => [o.state, o.flagged])).toEqual([
      ['Finished', false],
      ['Refunded', false],
      ['Pending', true], // paid another amount: flagged, not credited
      ['Pending', false],
    ]);
    const refunded = orders.body.data[1] as { id: string };
    const timeline = await request(server.url)
      .get(`/api/v1/admin/orders/${refunded.id}/timeline`)
      .set(operator)
      .expect(200);
    expect(timeline.body.refunds).toEqual([
      expect.objectContaining({ status: 'succeeded', amount: '49.99' }),
    ]);
  });

  it('runs the whole recharge journey', async () => {
    const { balance } = await runJourney(server.url);
    expect(balance).toBe(379.5);
  });

  it('serves concurrent requests from many connections without mixing their statements', async () => {
    // PGlite has one backend: statements from different pool connections must not interleave.
    const login = await request(server.url)
      .post('/api/v1/auth/login')
      .send({ email: DEMO.email, password: DEMO.password })
      .expect(200);
    const auth = { authorization: `Bearer ${login.body.access_token}` };
    const body = { application_id: DEMO.applicationId, package_id: DEMO.packages[1].id, pay_way: 'Sandbox' };
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        i % 2 === 0
          ? request(server.url).post('/api/v1/orders/').set(auth).send(body)
          : request(server.url).get(`/api/v1/orders?limit=5&pay_way=Sandbox`).set(auth),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([...Array(30).fill(200), ...Array(30).fill(201)]);
    for (const r of results.filter((x) => x.status === 201))
      expect(r.body).toMatchObject({ price: 159.2, amount: 2000 });
  });

  it('documents the DTOs in OpenAPI (swagger CLI plugin, in the built server)', async () => {
    const doc = await request(server.url).get('/docs-json').expect(200);
    const schema = doc.body.components.schemas.CreateOrderDto as {
      properties: Record<string, unknown>;
      required: string[];
    };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['application_id', 'package_id', 'pay_way', 'amount']),
    );
    expect(schema.required).toEqual(expect.arrayContaining(['application_id', 'package_id', 'pay_way']));
  });

  it('answers readiness from the embedded database', async () => {
    const ready = await request(server.url).get('/health/ready').expect(200);
    expect(ready.body.info.database.status).toBe('up');
  });

  it('shuts down gracefully and keeps its data across a restart', async () => {
    const { orderId } = await runJourney(server.url);
    expect(await server.stop('SIGTERM')).toBe(0);
    server = await startServerProcess(env);
    expect(server.output()).not.toContain('demo tenant just created');
    expect(server.output()).toContain(`operator login: ${DEMO.operator.email}`);
    const status = await request(server.url).get(`/checkout/${orderId}/status`).expect(200);
    expect(status.body.state).toBe('Finished');
  }, 600_000);
});
