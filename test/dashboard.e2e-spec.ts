import { randomInt, randomUUID } from 'node:crypto';
import type { RunningPaymux } from '../src/bootstrap';
import { db, http, Merchant, newMember, newMerchant, newOrder, startTestAppWithAdmin } from './helpers/app';

type Auth = { authorization: string };

/** One order as the dashboard reads it: created at, provider, currency, price, state, seconds to pay. */
interface Seed {
  at: string;
  payWay: string;
  currency: string;
  price: string;
  state: string;
  /** Seconds from created_at to paid_at; undefined for an order never paid. */
  paidAfter?: number;
}

const DAY_MS = 86_400_000;
const dayText = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * Dashboard figures over real HTTP: per UTC day and provider, orders, paid orders, success rate,
 * median seconds to pay and paid volume per currency (exact decimal text), with totals. Staff see their
 * own tenant's figures (any role); operators every tenant's, or one's. The orders are written straight
 * into the table at known times on days no other suite uses (a random day in the 1900s, checked empty
 * first), so every figure is asserted exactly.
 */
describe('dashboard figures', () => {
  let app: RunningPaymux;
  let admin: Auth;
  let a: Merchant;
  let b: Merchant;
  let d1: string;
  let d2: string;
  let d3: string;

  const dashboard = (auth: Auth, query: Record<string, string> = {}) =>
    http(app).get('/api/v1/dashboard').query(query).set(auth);
  const adminDashboard = (query: Record<string, string> = {}, auth = admin) =>
    http(app).get('/api/v1/admin/dashboard').query(query).set(auth);

  async function seed(tenantId: string, orders: Seed[]): Promise<void> {
    for (const o of orders) {
      await db(app).query(
        `INSERT INTO orders (id, tenant_id, amount, price, currency, pay_way, state, expires_at, paid_at,
                             created_at, updated_at)
         VALUES ($1, $2, 1, $3, $4, $5, $6, $7::timestamptz + interval '30 minutes',
                 $7::timestamptz + $8 * interval '1 second', $7, $7)`,
        [randomUUID(), tenantId, o.price, o.currency, o.payWay, o.state, o.at, o.paidAfter ?? null],
      );
    }
  }

  beforeAll(async () => {
    ({ app, admin } = await startTestAppWithAdmin());
    a = await newMerchant(app);
    b = await newMerchant(app);

    // Three days in a row nobody else has orders on.
    for (let tries = 0; ; tries += 1) {
      const start = Date.UTC(1900, 0, 1) + randomInt(0, 36_000) * DAY_MS;
      [d1, d2, d3] = [start, start + DAY_MS, start + 2 * DAY_MS].map(dayText);
      const before = await adminDashboard({ from: dayText(start - DAY_MS), to: dayText(start + 3 * DAY_MS) });
      expect(before.status).toBe(200);
      if (before.body.totals.orders === 0) break;
      if (tries > 10) throw new Error('no free days found');
    }

    await seed(a.tenantId, [
      // d1 Stripe: USD paid after 60 s and after 120 s (since refunded), one failed; EUR paid after 300 s.
      {
        at: `${d1}T00:00:00Z`,
        payWay: 'Stripe',
        currency: 'USD',
        price: '49.99',
        state: 'Finished',
        paidAfter: 60,
      },
      {
        at: `${d1}T08:00:00Z`,
        payWay: 'Stripe',
        currency: 'USD',
        price: '10.01',
        state: 'Refunded',
        paidAfter: 120,
      },
      { at: `${d1}T09:00:00Z`, payWay: 'Stripe', currency: 'USD', price: '99.00', state: 'Failed' },
      {
        at: `${d1}T10:00:00Z`,
        payWay: 'Stripe',
        currency: 'EUR',
        price: '5.5',
        state: 'Paid',
        paidAfter: 300,
      },
      // d1 AliPay: nothing paid.
      { at: `${d1}T11:00:00Z`, payWay: 'AliPay', currency: 'CNY', price: '358', state: 'Pending' },
      { at: `${d1}T23:59:59.999999Z`, payWay: 'AliPay', currency: 'CNY', price: '358', state: 'Expired' },
      // d2: Stripe USD, both paid (30 s and 45.5 s); X402 USDC paid after 10 s.
      {
        at: `${d2}T01:00:00Z`,
        payWay: 'Stripe',
        currency: 'USD',
        price: '0.10',
        state: 'Finished',
        paidAfter: 30,
      },
      {
        at: `${d2}T02:00:00Z`,
        payWay: 'Stripe',
        currency: 'USD',
        price: '0.20',
        state: 'Finished',
        paidAfter: 45.5,
      },
      {
        at: `${d2}T03:00:00Z`,
        payWay: 'X402',
        currency: 'USDC',
        price: '1.5',
        state: 'Finished',
        paidAfter: 10,
      },
      // d3 Sandbox JPY: six of seven paid, after 1..6 s; the last one in the day's last microsecond.
      ...[1, 2, 3, 4, 5, 6].map((s) => ({
        at: `${d3}T0${s}:00:00Z`,
        payWay: 'Sandbox',
        currency: 'JPY',
        price: '100',
        state: 'Finished',
        paidAfter: s,
      })),
      { at: `${d3}T23:59:59.999999Z`, payWay: 'Sandbox', currency: 'JPY', price: '100', state: 'Cancelled' },
      // Outside [d1, d3]: the microsecond before d1 and the first of the day after d3.
      {
        at: new Date(Date.parse(`${d1}T00:00:00Z`) - 1).toISOString().replace('Z', '999Z'),
        payWay: 'Stripe',
        currency: 'USD',
        price: '1000',
        state: 'Finished',
        paidAfter: 1,
      },
      {
        at: `${dayText(Date.parse(`${d3}T00:00:00Z`) + DAY_MS)}T00:00:00Z`,
        payWay: 'Stripe',
        currency: 'USD',
        price: '1000',
        state: 'Finished',
        paidAfter: 1,
      },
    ]);
    // Tenant B, on d1 as well: one Stripe USD order paid after 20 s.
    await seed(b.tenantId, [
      {
        at: `${d1}T12:00:00Z`,
        payWay: 'Stripe',
        currency: 'USD',
        price: '10',
        state: 'Finished',
        paidAfter: 20,
      },
    ]);
  });
  afterAll(() => app.close());

  const figuresOfA = () => ({
    from: d1,
    to: d3,
    totals: {
      orders: 16,
      paid_orders: 12,
      success_rate: '0.7500',
      // 1 2 3 4 5 6 | 10 30 45.5 60 120 300: (6 + 10) / 2
      median_seconds_to_pay: 8,
      paid_volume: [
        { currency: 'EUR', amount: '5.50' },
        { currency: 'JPY', amount: '600' },
        { currency: 'USD', amount: '60.30' },
        { currency: 'USDC', amount: '1.500000' },
      ],
    },
    days: [
      {
        day: d1,
        provider: 'AliPay',
        orders: 2,
        paid_orders: 0,
        success_rate: '0.0000',
        median_seconds_to_pay: null,
        paid_volume: [],
      },
      {
        day: d1,
        provider: 'Stripe',
        orders: 4,
        paid_orders: 3,
        success_rate: '0.7500',
        median_seconds_to_pay: 120,
        paid_volume: [
          { currency: 'EUR', amount: '5.50' },
          { currency: 'USD', amount: '60.00' },
        ],
      },
      {
        day: d2,
        provider: 'Stripe',
        orders: 2,
        paid_orders: 2,
        success_rate: '1.0000',
        median_seconds_to_pay: 37.75,
        paid_volume: [{ currency: 'USD', amount: '0.30' }],
      },
      {
        day: d2,
        provider: 'X402',
        orders: 1,
        paid_orders: 1,
        success_rate: '1.0000',
        median_seconds_to_pay: 10,
        paid_volume: [{ currency: 'USDC', amount: '1.500000' }],
      },
      {
        day: d3,
        provider: 'Sandbox',
        orders: 7,
        paid_orders: 6,
        success_rate: '0.8571',
        median_seconds_to_pay: 3.5,
        paid_volume: [{ currency: 'JPY', amount: '600' }],
      },
    ],
  });

  const figuresOfB = () => ({
    from: d1,
    to: d3,
    totals: {
      orders: 1,
      paid_orders: 1,
      success_rate: '1.0000',
      median_seconds_to_pay: 20,
      paid_volume: [{ currency: 'USD', amount: '10.00' }],
    },
    days: [
      {
        day: d1,
        provider: 'Stripe',
        orders: 1,
        paid_orders: 1,
        success_rate: '1.0000',
        median_seconds_to_pay: 20,
        paid_volume: [{ currency: 'USD', amount: '10.00' }],
      },
    ],
  });

  it("gives a tenant's staff their figures per day and provider, exactly", async () => {
    const res = await dashboard(a.auth, { from: d1, to: d3 }).expect(200);
    expect(res.body).toEqual(figuresOfA());
  });

  it('lets a member read them', async () => {
    const member = await newMember(app, a);
    const res = await dashboard(member.auth, { from: d1, to: d3 }).expect(200);
    expect(res.body).toEqual(figuresOfA());
  });

  it("shows tenant B nothing of A's orders", async () => {
    expect((await dashboard(b.auth, { from: d1, to: d3 }).expect(200)).body).toEqual(figuresOfB());
    // B's default range (the last 30 days) holds none of them either.
    const res = await dashboard(b.auth).expect(200);
    expect(res.body.totals.orders).toBe(0);
    expect(res.body.days).toEqual([]);
  });

  it('gives operators one tenant with tenant_id, or every tenant', async () => {
    expect((await adminDashboard({ from: d1, to: d3, tenant_id: a.tenantId }).expect(200)).body).toEqual(
      figuresOfA(),
    );
    expect((await adminDashboard({ from: d1, to: d3, tenant_id: b.tenantId }).expect(200)).body).toEqual(
      figuresOfB(),
    );
    const all = (await adminDashboard({ from: d1, to: d3 }).expect(200)).body;
    const ofA = figuresOfA();
    expect(all).toEqual({
      ...ofA,
      totals: {
        orders: 17,
        paid_orders: 13,
        success_rate: '0.7647',
        // 1 2 3 4 5 6 | 10 | 20 30 45.5 60 120 300
        median_seconds_to_pay: 10,
        paid_volume: [
          { currency: 'EUR', amount: '5.50' },
          { currency: 'JPY', amount: '600' },
          { currency: 'USD', amount: '70.30' },
          { currency: 'USDC', amount: '1.500000' },
        ],
      },
      days: ofA.days.map((d) =>
        d.day === d1 && d.provider === 'Stripe'
          ? {
              ...d,
              orders: 5,
              paid_orders: 4,
              success_rate: '0.8000',
              median_seconds_to_pay: 90, // 20 60 | 120 300
              paid_volume: [
                { currency: 'EUR', amount: '5.50' },
                { currency: 'USD', amount: '70.00' },
              ],
            }
          : d,
      ),
    });
  });

  it('counts a paid order of today in the default range: the last 30 UTC days', async () => {
    const order = await newOrder(app, a);
    await http(app)
      .post(`/api/v1/sandbox/payments/${order.pay_id as string}/complete`)
      .send({ outcome: 'succeeded' })
      .expect(200);
    const res = await dashboard(a.auth).expect(200);
    const today = dayText(Date.now());
    expect(res.body.to).toBe(today);
    expect(res.body.from).toBe(dayText(Date.parse(`${today}T00:00:00Z`) - 29 * DAY_MS));
    expect(res.body.totals).toMatchObject({
      orders: 1,
      paid_orders: 1,
      success_rate: '1.0000',
      paid_volume: [{ currency: 'USD', amount: '49.99' }],
    });
    expect(res.body.totals.median_seconds_to_pay).toBeGreaterThanOrEqual(0);
    expect(res.body.days).toEqual([
      expect.objectContaining({ day: today, provider: 'Sandbox', orders: 1, paid_orders: 1 }),
    ]);
  });

  it('refuses a bad range with a 400 and a stable code', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ from: d3, to: d1 }, 'invalid_range'],
      [{ from: '2024-01-01', to: '2025-01-01' }, 'range_too_long'], // 367 days (2024 is a leap year)
      [{ from: '2025-01-01', to: '2026-01-02' }, 'range_too_long'],
      [{ from: '2020-01-01' }, 'range_too_long'], // to defaults to today
      [{ from: '2025-02-30' }, 'validation_failed'],
      [{ to: '2025-1-01' }, 'validation_failed'],
      [{ from: '2025-01-01T00:00:00Z' }, 'validation_failed'],
    ];
    for (const [query, code] of cases) {
      const res = await dashboard(a.auth, query);
      expect([query, res.status, res.body.code]).toEqual([query, 400, code]);
      const asAdmin = await adminDashboard(query);
      expect([query, asAdmin.status, asAdmin.body.code]).toEqual([query, 400, code]);
    }
    const notUuid = await adminDashboard({ tenant_id: 'nope' });
    expect([notUuid.status, notUuid.body.code]).toEqual([400, 'validation_failed']);
    // 366 days is the longest range.
    await dashboard(a.auth, { from: '2024-01-01', to: '2024-12-31' }).expect(200);
    await dashboard(a.auth, { from: d1, to: d1 }).expect(200);
  });

  it('keeps the operator route to operators', async () => {
    const res = await adminDashboard({}, a.auth);
    expect([res.status, res.body.code]).toEqual([403, 'forbidden']);
    await http(app).get('/api/v1/dashboard').expect(401);
  });
});
