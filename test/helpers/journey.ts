import { randomUUID } from 'node:crypto';
import request from 'supertest';

/** The platform API's fields of a created order, exactly. */
export const SEED_000_FIELDS = [
  'id',
  'user_id',
  'application_id',
  'package_id',
  'amount',
  'price',
  'discount',
  'pay_way',
  'pay_id',
  'pay_url',
  'state',
  'remaining_amount',
  'tags',
  'metadata',
  'created_at',
  'updated_at',
];

const ISO_MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/**
 * The whole journey over real HTTP against a running paymux at `baseUrl`: register -> login ->
 * platform token -> application -> package -> order (every platform API field) -> /api/order/payment ->
 * sandbox complete -> Finished -> balance credited -> usage debit. Throws on the first deviation.
 */
export async function runJourney(baseUrl: string): Promise<{ orderId: string; balance: number }> {
  const api = request(baseUrl);
  const email = `journey-${randomUUID()}@example.test`;
  const password = 'journey-password-1';

  const reg = await api
    .post('/api/v1/auth/register')
    .send({ email, password, name: 'Journey', tenant_name: 'Journey Co' })
    .expect(201);
  expect(reg.body).toEqual({
    user: { id: expect.any(String), email, name: 'Journey' },
    tenant: { id: expect.any(String), name: 'Journey Co' },
  });

  const login = await api.post('/api/v1/auth/login').send({ email, password }).expect(200);
  expect(login.body).toEqual({
    access_token: expect.any(String),
    token_type: 'Bearer',
    expires_in: expect.any(Number),
  });

  const jwt = { authorization: `Bearer ${login.body.access_token}` };
  const created = await api.post('/api/v1/auth/tokens').set(jwt).send({ name: 'ci' }).expect(201);
  expect(created.body.token).toMatch(/^pmx_/);
  const auth = { authorization: `Bearer ${created.body.token}` };
  const me = await api.get('/api/v1/auth/me').set(auth).expect(200);
  expect(me.body).toMatchObject({
    user: { email },
    tenant: { id: reg.body.tenant.id },
    role: 'owner',
    auth: 'platform_token',
  });

  const app = await api.post('/api/v1/applications').set(auth).send({ name: 'Journey app' }).expect(201);
  expect(app.body).toMatchObject({ name: 'Journey app', balance: 0 });
  const pkg = await api
    .post('/api/v1/packages')
    .set(auth)
    .send({ name: '500 credits', amount: 500, price: '49.99', currency: 'USD' })
    .expect(201);

  const order = await api
    .post('/api/v1/orders/')
    .set(auth)
    .send({ application_id: app.body.id, package_id: pkg.body.id, pay_way: 'sandbox' })
    .expect(201);
  for (const field of SEED_000_FIELDS) expect(order.body).toHaveProperty(field);
  expect(order.body).toMatchObject({
    user_id: reg.body.user.id,
    application_id: app.body.id,
    package_id: pkg.body.id,
    amount: 500,
    price: 49.99,
    discount: 1,
    pay_way: 'Sandbox',
    state: 'Pending',
    remaining_amount: 0,
    tags: null,
    metadata: null,
  });
  expect(order.body.created_at).toMatch(ISO_MICROS);
  expect(order.body.updated_at).toMatch(ISO_MICROS);
  expect(order.body.pay_url).toMatch(new RegExp(`/checkout/${order.body.id}$`));

  const pay = await api
    .post('/api/order/payment')
    .set(auth)
    .send({ order_id: order.body.id, pay_way: 'sandbox' })
    .expect(200);
  expect(pay.body).toEqual({ code: 0, msg: '', data: { pay_way: 'sandbox', jump_url: order.body.pay_url } });

  const done = await api
    .post(`/api/v1/sandbox/payments/${order.body.pay_id}/complete`)
    .send({ outcome: 'succeeded' })
    .expect(200);
  expect(done.body).toMatchObject({ delivered: true, result: 'applied', order_state: 'Finished' });

  const finished = await api.get(`/api/v1/orders/${order.body.id}`).set(auth).expect(200);
  expect(finished.body).toMatchObject({ state: 'Finished', remaining_amount: 500 });
  expect(finished.body.paid_at).toMatch(ISO_MICROS);

  const credited = await api.get(`/api/v1/applications/${app.body.id}`).set(auth).expect(200);
  expect(credited.body.balance).toBe(500);

  const usage = await api
    .post(`/api/v1/applications/${app.body.id}/usage`)
    .set(auth)
    .send({ amount: '120.5', reference: 'job-1' })
    .expect(201);
  expect(usage.body).toMatchObject({ kind: 'usage', amount: -120.5, balance: 379.5, replayed: false });
  const replay = await api
    .post(`/api/v1/applications/${app.body.id}/usage`)
    .set(auth)
    .send({ amount: '120.5', reference: 'job-1' })
    .expect(200);
  expect(replay.body).toMatchObject({ id: usage.body.id, replayed: true, balance: 379.5 });
  const after = await api.get(`/api/v1/orders/${order.body.id}`).set(auth).expect(200);
  expect(after.body.remaining_amount).toBe(379.5);
  const short = await api
    .post(`/api/v1/applications/${app.body.id}/usage`)
    .set(auth)
    .send({ amount: 1000, reference: 'job-2' })
    .expect(409);
  expect(short.body.code).toBe('insufficient_balance');

  const ledger = await api.get(`/api/v1/applications/${app.body.id}/ledger`).set(auth).expect(200);
  expect(ledger.body.data.map((e: { kind: string; amount: number }) => [e.kind, e.amount])).toEqual([
    ['usage', -120.5],
    ['credit', 500],
  ]);
  return { orderId: order.body.id as string, balance: 379.5 };
}
