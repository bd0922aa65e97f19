import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunningPaymux } from '../src/bootstrap';
import { merchantSignature } from '../src/auth/merchant-signature';
import { RETRY_SCHEDULE_SECONDS } from '../src/notifications/notify-schedule';
import { NotificationDeliveryStore } from '../src/notifications/notification-delivery.store';
import { DataSource } from 'typeorm';
import {
  db,
  http,
  Merchant,
  newMember,
  newMerchant,
  newOrder,
  startTestApp,
  signedRequest,
} from './helpers/app';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

/** A merchant's notification receiver: records every request, answers from a script. */
async function startReceiver(answer: (n: number, r: Received) => [number, string]): Promise<{
  url: string;
  received: Received[];
  close: () => Promise<void>;
}> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = {
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      received.push(r);
      const [status, body] = answer(received.length, r);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Poll until true. Not a budget: the ceiling only names what a hung test waited for (under Jest's). */
async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 100_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Merchant notifications on the durable queue: written with the state change, signed like a
 * merchant request, retried on the schedule (compressed 1000x here) until a 2xx `success`, every
 * attempt recorded, one order's notifications in order, private receivers refused by default.
 */
describe('merchant notifications', () => {
  let app: RunningPaymux;
  let m: Merchant;
  let key: { key_id: string; secret: string };

  beforeAll(async () => {
    app = await startTestApp({
      NOTIFY_ALLOW_PRIVATE: 'true',
      NOTIFY_RETRY_SCALE: '0.001',
      NOTIFY_WORKER: 'true',
    });
    m = await newMerchant(app);
    key = (await http(app).post('/api/v1/api-keys').set(m.auth).send({ name: 'n' }).expect(201))
      .body as typeof key;
  });
  afterAll(() => app.close());

  async function merchantOrder(notifyUrl: string): Promise<{ id: string; orderNo: string; payId: string }> {
    const orderNo = `N${Date.now()}${randomBytes(3).toString('hex')}`;
    const raw = JSON.stringify({
      order_no: orderNo,
      currency: 'USDT',
      amount: '5',
      chain_type: 'TRON',
      notify_url: notifyUrl,
      meta: 'm-1',
    });
    const res = await signedRequest(app, key, 'POST', '/v1/payment', raw).expect(200);
    const id = res.body.data.id as string;
    const [p] = await db(app).query<{ provider_ref: string }[]>(
      'SELECT provider_ref FROM payments WHERE order_id = $1',
      [id],
    );
    return { id, orderNo, payId: p.provider_ref };
  }
  const pay = (payId: string) =>
    http(app).post(`/api/v1/sandbox/payments/${payId}/complete`).send({ outcome: 'succeeded' }).expect(200);
  const rowsOf = (orderId: string) =>
    db(app).query<{ id: string; event: string; status: string; attempts: number }[]>(
      'SELECT id, event, status, attempts FROM notifications WHERE order_id = $1 ORDER BY seq',
      [orderId],
    );

  it('delivers Paid then Finished, signed with the merchant key, and stops on `success`', async () => {
    const rx = await startReceiver(() => [200, 'SUCCESS']);
    try {
      const o = await merchantOrder(`${rx.url}/hooks/paymux?src=test`);
      await pay(o.payId);
      await until(
        'two deliveries',
        async () => (await rowsOf(o.id)).every((r) => r.status === 'delivered') && rx.received.length >= 2,
      );
      const rows = await rowsOf(o.id);
      expect(rows.map((r) => [r.event, r.status, r.attempts])).toEqual([
        ['Paid', 'delivered', 1],
        ['Finished', 'delivered', 1],
      ]);
      const bodies = rx.received.map((r) => JSON.parse(r.body) as Record<string, unknown>);
      expect(bodies.map((b) => [b.event, b.state])).toEqual([
        ['order.paid', 2],
        ['order.finished', 3],
      ]);
      expect(bodies[1]).toMatchObject({
        id: o.id,
        order_no: o.orderNo,
        currency: 'USDT',
        amount: '5',
        meta: 'm-1',
      });
      for (const r of rx.received) {
        expect(r.path).toBe('/hooks/paymux?src=test');
        expect(r.headers['x-api-key']).toBe(key.key_id);
        const expected = merchantSignature(key.secret, {
          timestamp: String(r.headers['x-timestamp']),
          nonce: String(r.headers['x-nonce']),
          method: 'POST',
          pathWithQuery: r.path,
          body: r.body,
        });
        expect(r.headers['x-signature']).toBe(expected);
      }
      // Nothing more arrives.
      await new Promise((r) => setTimeout(r, 1200));
      expect(rx.received).toHaveLength(2);
    } finally {
      await rx.close();
    }
  });

  it('retries a failing receiver on the schedule and delivers exactly once, keeping the order', async () => {
    // The first four answers fail (500, a 200 that is not `success`, a 404, a 503); then `success`.
    const script: [number, string][] = [
      [500, 'oops'],
      [200, 'ok'],
      [404, 'nope'],
      [503, 'busy'],
    ];
    const rx = await startReceiver((n) => script[n - 1] ?? [200, 'success']);
    try {
      const o = await merchantOrder(`${rx.url}/n`);
      await pay(o.payId);
      await until('both delivered', async () => (await rowsOf(o.id)).every((r) => r.status === 'delivered'));
      const rows = await rowsOf(o.id);
      expect(rows.map((r) => [r.event, r.attempts])).toEqual([
        ['Paid', 5],
        ['Finished', 1],
      ]);
      const successes = rx.received.filter(
        (_, i) => (script[i]?.[0] ?? 200) === 200 && (script[i]?.[1] ?? 'success') === 'success',
      );
      expect(successes.map((r) => (JSON.parse(r.body) as { event: string }).event)).toEqual([
        'order.paid',
        'order.finished',
      ]);
      // Finished waited for Paid: its one delivery came after Paid's successful one.
      const events = rx.received.map((r) => (JSON.parse(r.body) as { event: string }).event);
      expect(events.lastIndexOf('order.paid')).toBeLessThan(events.indexOf('order.finished'));
      const attempts = await db(app).query<
        { attempt: number; status_code: number; success: boolean; attempted_at: Date; body_excerpt: string }[]
      >(
        'SELECT attempt, status_code, success, attempted_at, body_excerpt FROM notification_attempts WHERE notification_id = $1 ORDER BY attempt',
        [rows[0].id],
      );
      expect(attempts.map((a) => [a.attempt, a.status_code, a.success])).toEqual([
        [1, 500, false],
        [2, 200, false],
        [3, 404, false],
        [4, 503, false],
        [5, 200, true],
      ]);
      expect(attempts[0].body_excerpt).toBe('oops');
      // Each retry waited at least its scheduled (compressed) delay.
      for (let i = 1; i < attempts.length; i++) {
        const gap = attempts[i].attempted_at.getTime() - attempts[i - 1].attempted_at.getTime();
        expect(gap).toBeGreaterThanOrEqual(RETRY_SCHEDULE_SECONDS[i - 1] * 1000 * 0.001 - 5);
      }
      const listed = await http(app).get(`/api/v1/notifications?order_id=${o.id}`).set(m.auth).expect(200);
      expect(listed.body.data[0]).toMatchObject({ event: 'Paid', status: 'delivered', attempts: 5 });
      expect(listed.body.data[0].attempt_log).toHaveLength(5);
      expect(listed.body.data[0].attempt_log[0]).toMatchObject({
        status_code: 500,
        success: false,
        body_excerpt: 'oops',
      });
    } finally {
      await rx.close();
    }
  });

  it('resends a notification on request, and hides other tenants’ notifications', async () => {
    const rx = await startReceiver(() => [200, 'success']);
    try {
      const o = await merchantOrder(`${rx.url}/r`);
      await pay(o.payId);
      await until(
        'delivered',
        async () => (await rowsOf(o.id)).every((r) => r.status === 'delivered') && rx.received.length === 2,
      );
      const [paid] = await rowsOf(o.id);
      await http(app).post(`/api/v1/notifications/${paid.id}/resend`).set(m.auth).expect(201);
      await until('the resend', () => Promise.resolve(rx.received.length === 3));
      expect((JSON.parse(rx.received[2].body) as { event: string }).event).toBe('order.paid');
      const other = await newMerchant(app);
      await http(app).post(`/api/v1/notifications/${paid.id}/resend`).set(other.auth).expect(404);
      const theirs = await http(app)
        .get(`/api/v1/notifications?order_id=${o.id}`)
        .set(other.auth)
        .expect(200);
      expect(theirs.body.data).toEqual([]);
    } finally {
      await rx.close();
    }
  });

  it('reads and records concurrent deliveries in one statement each, every one its own row', async () => {
    const rx = await startReceiver(() => [200, 'success']);
    try {
      const a = await merchantOrder(`${rx.url}/a`);
      const b = await merchantOrder(`${rx.url}/b`);
      await pay(a.payId);
      await pay(b.payId);
      await until('both orders notified', async () =>
        [...(await rowsOf(a.id)), ...(await rowsOf(b.id))].every((r) => r.status === 'delivered'),
      );
      const [aPaid] = await rowsOf(a.id);
      const [, bFinished] = await rowsOf(b.id);
      const store = app.app.get(NotificationDeliveryStore);
      const query = jest.spyOn(app.app.get(DataSource), 'query');
      try {
        const ids = [aPaid.id, bFinished.id, randomUUID(), 'not-a-uuid'];
        const reads = await Promise.all(ids.map((id) => store.read(id)));
        expect(reads.map((r) => r?.notification.id ?? null)).toEqual([aPaid.id, bFinished.id, null, null]);
        expect(reads.map((r) => r?.notification.event)).toEqual(['Paid', 'Finished', undefined, undefined]);
        expect(reads[0]?.key?.keyId).toBe(key.key_id);
        expect(reads[1]?.earlier).toBe(false);
        const attempt = (error: string) => ({
          attemptedAt: new Date(),
          statusCode: null,
          latencyMs: 7,
          bodyExcerpt: null,
          error,
          success: false,
        });
        await Promise.all([
          store.recordFinal({
            notification: reads[0]!.notification,
            number: 9,
            status: 'failed',
            delaySeconds: 0,
            attempt: attempt('a "quoted", {braced} error'),
          }),
          store.recordFinal({
            notification: reads[1]!.notification,
            number: 8,
            status: 'failed',
            delaySeconds: 0,
            attempt: attempt('another\\one'),
          }),
        ]);
        // This app's worker may deliver other suites' notifications meanwhile: count only the
        // statements that carry these two.
        const mine = (text: string, param: number) =>
          query.mock.calls.filter(([sql, params]) => {
            const ids = (params as unknown[] | undefined)?.[param];
            return (
              String(sql).includes(text) &&
              Array.isArray(ids) &&
              [aPaid.id, bFinished.id].some((id) => ids.includes(id))
            );
          });
        expect(mine('FROM notifications n', 0)).toHaveLength(1);
        expect(mine('INSERT INTO notification_attempts', 1)).toHaveLength(1);
      } finally {
        query.mockRestore();
      }
      const after = await db(app).query<{ id: string; status: string; attempts: number; error: string }[]>(
        `SELECT n.id, n.status, n.attempts, a.error FROM notifications n
           JOIN notification_attempts a ON a.notification_id = n.id AND a.attempt = n.attempts
          WHERE n.id = ANY($1) ORDER BY n.attempts DESC`,
        [[aPaid.id, bFinished.id]],
      );
      expect(after).toEqual([
        { id: aPaid.id, status: 'failed', attempts: 9, error: 'a "quoted", {braced} error' },
        { id: bFinished.id, status: 'failed', attempts: 8, error: 'another\\one' },
      ]);
    } finally {
      await rx.close();
    }
  });

  it('writes no notification for an order without notify_url', async () => {
    const order = await newOrder(app, m);
    await pay(order.pay_id as string);
    expect(await rowsOf(order.id as string)).toEqual([]);
  });
  describe('tenant settings', () => {
    it('notifies a platform order at the tenant webhook_url, signed, in the platform dialect', async () => {
      const t = await newMerchant(app);
      const tKey = (await http(app).post('/api/v1/api-keys').set(t.auth).send({ name: 'w' }).expect(201))
        .body as typeof key;
      const rx = await startReceiver(() => [200, 'success']);
      try {
        expect((await http(app).get('/api/v1/tenant/settings').set(t.auth).expect(200)).body).toEqual({
          webhook_url: null,
          order_ttl_seconds: null,
        });
        const set = await http(app)
          .patch('/api/v1/tenant/settings')
          .set(t.auth)
          .send({ webhook_url: `${rx.url}/platform-hook` })
          .expect(200);
        expect(set.body).toEqual({ webhook_url: `${rx.url}/platform-hook`, order_ttl_seconds: null });

        const order = await newOrder(app, t);
        await pay(order.pay_id as string);
        // The receiver has the request before the worker records the answer: wait for both.
        await until(
          'two deliveries, recorded',
          async () =>
            rx.received.length >= 2 &&
            (await rowsOf(order.id as string)).every((r) => r.status === 'delivered'),
        );
        const rows = await rowsOf(order.id as string);
        expect(rows.map((r) => [r.event, r.status])).toEqual([
          ['Paid', 'delivered'],
          ['Finished', 'delivered'],
        ]);
        const bodies = rx.received.map(
          (r) => JSON.parse(r.body) as { event: string; order: Record<string, unknown> },
        );
        expect(bodies.map((b) => [b.event, b.order.state])).toEqual([
          ['order.paid', 'Paid'],
          ['order.finished', 'Finished'],
        ]);
        expect(bodies[1].order).toMatchObject({
          id: order.id,
          application_id: t.applicationId,
          price: 49.99,
        });
        expect(bodies[0].order.finished_at).toBeNull();
        expect(bodies[1].order.finished_at).toEqual(expect.any(String));
        for (const r of rx.received) {
          expect(r.path).toBe('/platform-hook');
          expect(r.headers['x-api-key']).toBe(tKey.key_id);
          expect(r.headers['x-signature']).toBe(
            merchantSignature(tKey.secret, {
              timestamp: String(r.headers['x-timestamp']),
              nonce: String(r.headers['x-nonce']),
              method: 'POST',
              pathWithQuery: r.path,
              body: r.body,
            }),
          );
        }

        // Switched off: the next order writes no notification at all.
        await http(app).patch('/api/v1/tenant/settings').set(t.auth).send({ webhook_url: null }).expect(200);
        const quiet = await newOrder(app, t);
        await pay(quiet.pay_id as string);
        expect(await rowsOf(quiet.id as string)).toEqual([]);
      } finally {
        await rx.close();
      }
    });

    it('gives merchant orders the tenant order_ttl_seconds as cancel_time', async () => {
      const before = Math.floor(Date.now() / 1000);
      await http(app)
        .patch('/api/v1/tenant/settings')
        .set(m.auth)
        .send({ order_ttl_seconds: 600 })
        .expect(200);
      try {
        const o = await merchantOrder('http://127.0.0.1:9/hook');
        const after = Math.ceil(Date.now() / 1000);
        const [row] = await db(app).query<{ expires_at: Date }[]>(
          'SELECT expires_at FROM orders WHERE id = $1',
          [o.id],
        );
        const ttl = Math.round(row.expires_at.getTime() / 1000) - before;
        expect(ttl).toBeGreaterThanOrEqual(600);
        // Created between `before` and `after`, however long that took on a busy machine.
        expect(ttl).toBeLessThanOrEqual(after - before + 600);
      } finally {
        await http(app)
          .patch('/api/v1/tenant/settings')
          .set(m.auth)
          .send({ order_ttl_seconds: null })
          .expect(200);
      }
    });

    it('validates the settings and lets only owners and admins change them', async () => {
      const t = await newMerchant(app);
      for (const body of [
        { webhook_url: 'ftp://example.com/x' },
        { webhook_url: 'not a url' },
        { webhook_url: 42 },
        { order_ttl_seconds: 59 },
        { order_ttl_seconds: 604801 },
        { order_ttl_seconds: 90.5 },
        { order_ttl_seconds: '600' },
        { unknown_field: true },
      ]) {
        const res = await http(app).patch('/api/v1/tenant/settings').set(t.auth).send(body);
        expect([JSON.stringify(body), res.status, res.body.code]).toEqual([
          JSON.stringify(body),
          400,
          'validation_failed',
        ]);
      }
      const member = await newMember(app, t);
      expect(
        (await http(app).get('/api/v1/tenant/settings').set(member.auth).expect(200)).body.webhook_url,
      ).toBeNull();
      await http(app)
        .patch('/api/v1/tenant/settings')
        .set(member.auth)
        .send({ webhook_url: 'https://example.com/hook' })
        .expect(403);
      await http(app).patch('/api/v1/tenant/settings').send({ order_ttl_seconds: 600 }).expect(401);
      const [row] = await db(app).query<{ webhook_url: string | null; order_ttl_seconds: number | null }[]>(
        'SELECT webhook_url, order_ttl_seconds FROM tenants WHERE id = $1',
        [t.tenantId],
      );
      expect(row).toEqual({ webhook_url: null, order_ttl_seconds: null });
    });
  });
});

describe('merchant notifications to private addresses', () => {
  it('refuses a loopback notify_url unless NOTIFY_ALLOW_PRIVATE is set', async () => {
    const app = await startTestApp({});
    try {
      const m = await newMerchant(app);
      const key = (await http(app).post('/api/v1/api-keys').set(m.auth).send({ name: 'p' }).expect(201))
        .body as {
        key_id: string;
        secret: string;
      };
      for (const url of [
        'http://127.0.0.1:9/hook',
        'http://localhost/hook',
        'http://10.1.2.3/x',
        'http://[::1]/x',
      ]) {
        const raw = JSON.stringify({
          order_no: `P${randomUUID().replace(/-/g, '').slice(0, 20)}`,
          currency: 'USDT',
          amount: '1',
          chain_type: 'TRON',
          notify_url: url,
        });
        const res = await signedRequest(app, key, 'POST', '/v1/payment', raw);
        expect(res.status).toBe(400);
        expect(res.body).toEqual({
          code: 10003,
          message: expect.stringContaining('Invalid parameter `notify_url`'),
        });
      }
      for (const url of ['http://127.0.0.1:9/hook', 'http://localhost/hook', 'http://[::1]/x']) {
        const res = await http(app).patch('/api/v1/tenant/settings').set(m.auth).send({ webhook_url: url });
        expect([url, res.status, res.body.code]).toEqual([url, 400, 'validation_failed']);
      }
      await http(app)
        .patch('/api/v1/tenant/settings')
        .set(m.auth)
        .send({ webhook_url: 'https://merchant.example.com/hook' })
        .expect(200);
    } finally {
      await app.close();
    }
  });
});

describe('the notification worker', () => {
  it('delivers different orders’ notifications at once, and each order’s in order without waiting', async () => {
    // Written while no worker runs, then delivered by a worker started afterwards.
    const writer = await startTestApp({ NOTIFY_ALLOW_PRIVATE: 'true' });
    // Each answer is held until two deliveries are in flight together (once seen, answers go at
    // once); a worker delivering one at a time is answered after the fallback and fails below.
    let inFlight = 0;
    let maxInFlight = 0;
    const held: (() => void)[] = [];
    const arrivals: { orderId: string; event: string }[] = [];
    const rx = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string; state: number };
        arrivals.push({ orderId: body.id, event: body.state === 2 ? 'Paid' : 'Finished' });
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        const answer = () => {
          inFlight--;
          res.writeHead(200, { 'content-type': 'text/plain' }).end('success');
        };
        if (maxInFlight >= 2) {
          held.splice(0).forEach((release) => release());
          answer();
        } else {
          const fallback = setTimeout(() => held.splice(0).forEach((release) => release()), 10_000);
          held.push(() => {
            clearTimeout(fallback);
            answer();
          });
        }
      });
    });
    await new Promise<void>((resolve) => rx.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(rx.address() as AddressInfo).port}/c`;
    let worker: RunningPaymux | undefined;
    try {
      const merchant = await newMerchant(writer);
      const k = (
        await http(writer).post('/api/v1/api-keys').set(merchant.auth).send({ name: 'k' }).expect(201)
      ).body as { key_id: string; secret: string };
      const orders: string[] = [];
      for (let i = 0; i < 6; i++) {
        const raw = JSON.stringify({
          order_no: `C${randomUUID().replace(/-/g, '').slice(0, 20)}`,
          currency: 'USDT',
          amount: '1',
          chain_type: 'TRON',
          notify_url: url,
        });
        const res = await signedRequest(writer, k, 'POST', '/v1/payment', raw).expect(200);
        const id = res.body.data.id as string;
        const [p] = await db(writer).query<{ provider_ref: string }[]>(
          'SELECT provider_ref FROM payments WHERE order_id = $1',
          [id],
        );
        await http(writer)
          .post(`/api/v1/sandbox/payments/${p.provider_ref}/complete`)
          .send({ outcome: 'succeeded' })
          .expect(200);
        orders.push(id);
      }
      const rows = () =>
        db(writer).query<{ id: string; order_id: string; event: string; status: string; attempts: number }[]>(
          'SELECT id, order_id, event, status, attempts FROM notifications WHERE order_id = ANY($1) ORDER BY seq',
          [orders],
        );
      expect((await rows()).map((r) => r.event)).toEqual(orders.flatMap(() => ['Paid', 'Finished']));

      worker = await startTestApp({ NOTIFY_ALLOW_PRIVATE: 'true', NOTIFY_WORKER: 'true' });
      await until('all 12 delivered', async () => (await rows()).every((r) => r.status === 'delivered'));
      expect(maxInFlight).toBeGreaterThanOrEqual(2);
      for (const id of orders)
        expect(arrivals.filter((a) => a.orderId === id).map((a) => a.event)).toEqual(['Paid', 'Finished']);
      const delivered = await rows();
      expect(delivered.every((r) => r.attempts === 1)).toBe(true);
      // In order without waiting: no Finished was put back behind its Paid (that would queue a second
      // job), and each Paid job's id sorts before its Finished job's (pg-boss fetches one transaction's
      // jobs by id, so a batch boundary between them, e.g. other suites' jobs in the batch, cannot
      // take the Finished first).
      const jobs = await db(writer).query<{ id: string; notification_id: string }[]>(
        `SELECT j.id::text AS id, j.data->>'notificationId' AS notification_id FROM pgboss.job j
          WHERE j.name = 'merchant-notification' AND j.data->>'notificationId' = ANY($1)`,
        [delivered.map((r) => r.id)],
      );
      expect(new Set(jobs.map((j) => j.notification_id)).size).toBe(12);
      expect(jobs).toHaveLength(12);
      const jobOf = (notificationId: string) => jobs.find((j) => j.notification_id === notificationId)!.id;
      for (const id of orders) {
        const [paid, finished] = delivered.filter((r) => r.order_id === id);
        expect([paid.event, finished.event]).toEqual(['Paid', 'Finished']);
        expect(jobOf(paid.id) < jobOf(finished.id)).toBe(true);
      }
    } finally {
      await worker?.close();
      await new Promise<void>((resolve) => rx.close(() => resolve()));
      await writer.close();
    }
  });

  it('fails a poisoned job alone: the other jobs of its batch are delivered at once', async () => {
    // Written while no worker runs, so the worker's first fetch takes both jobs in one batch.
    const writer = await startTestApp({ NOTIFY_ALLOW_PRIVATE: 'true' });
    const rx = await startReceiver(() => [200, 'success']);
    let worker: RunningPaymux | undefined;
    try {
      const orderFor = async (m: Merchant, key: { key_id: string; secret: string }): Promise<string> => {
        const raw = JSON.stringify({
          order_no: `W${randomUUID().replace(/-/g, '').slice(0, 20)}`,
          currency: 'USDT',
          amount: '1',
          chain_type: 'TRON',
          notify_url: `${rx.url}/w`,
        });
        const res = await signedRequest(writer, key, 'POST', '/v1/payment', raw).expect(200);
        const id = res.body.data.id as string;
        await http(writer).post(`/api/v1/orders/${id}/cancel`).set(m.auth).expect(200);
        return id;
      };
      const newKey = async (m: Merchant) =>
        (await http(writer).post('/api/v1/api-keys').set(m.auth).send({ name: 'k' }).expect(201)).body as {
          key_id: string;
          secret: string;
        };
      const poisoned = await newMerchant(writer);
      const healthy = await newMerchant(writer);
      const poisonedOrder = await orderFor(poisoned, await newKey(poisoned));
      const healthyOrder = await orderFor(healthy, await newKey(healthy));
      // The poisoned tenant's signing key names a master key nobody has: delivering it throws.
      await db(writer).query(
        `UPDATE api_keys SET master_key_id = 'no-such-master-key' WHERE tenant_id = $1`,
        [poisoned.tenantId],
      );
      worker = await startTestApp({ NOTIFY_ALLOW_PRIVATE: 'true', NOTIFY_WORKER: 'true' });
      const state = async (orderId: string) =>
        (
          await db(writer).query<{ status: string; attempts: number }[]>(
            'SELECT status, attempts FROM notifications WHERE order_id = $1',
            [orderId],
          )
        )[0];
      await until(
        'the healthy notification delivered',
        async () => (await state(healthyOrder)).status === 'delivered',
      );
      // Had the batch failed with its poisoned job, pg-boss would have retried the healthy job too
      // (retry_count 1, 5 s later): it completes on its first try.
      const healthyJob = await until('the healthy job completed', async () => {
        const [job] = await db(writer).query<{ state: string; retry_count: number }[]>(
          `SELECT j.state, j.retry_count FROM pgboss.job j
             JOIN notifications n ON n.id::text = j.data->>'notificationId' WHERE n.order_id = $1`,
          [healthyOrder],
        );
        return job?.state === 'completed' && job;
      });
      expect(healthyJob.retry_count).toBe(0);
      expect(rx.received.filter((r) => r.path === '/w')).toHaveLength(1);
      expect(await state(healthyOrder)).toEqual({ status: 'delivered', attempts: 1 });
      expect(await state(poisonedOrder)).toEqual({ status: 'pending', attempts: 0 });
      // Failed alone: it waits for its retry (5 s each time; a slow machine may catch it re-fetched).
      const jobs = await until('the poisoned job waiting for its retry', async () => {
        const rows = await db(writer).query<{ state: string }[]>(
          `SELECT j.state FROM pgboss.job j JOIN notifications n ON n.id::text = j.data->>'notificationId'
            WHERE n.order_id = $1`,
          [poisonedOrder],
        );
        return rows.some((j) => j.state === 'retry') && rows;
      });
      expect(jobs.map((j) => j.state)).toContain('retry');
    } finally {
      await worker?.close();
      await rx.close();
      await writer.close();
    }
  });

  it('a receiver that does not answer holds only its own delivery: the others complete, and later ones are fetched', async () => {
    // Written while no worker runs, so the worker's first fetch takes the slow one with the others.
    const writer = await startTestApp({ NOTIFY_ALLOW_PRIVATE: 'true' });
    const rx = await startReceiver(() => [200, 'success']);
    // Holds every request it gets until the end of the test (answered at the timeout at the earliest).
    const held: ServerResponse[] = [];
    const slow = createServer((req, res) => {
      req.resume();
      held.push(res);
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/slow`;
    let worker: RunningPaymux | undefined;
    try {
      const tenant = async () => {
        const merchant = await newMerchant(writer);
        const k = (
          await http(writer).post('/api/v1/api-keys').set(merchant.auth).send({ name: 'k' }).expect(201)
        ).body as { key_id: string; secret: string };
        return { merchant, k };
      };
      /** A merchant order to `url`, cancelled: one notification. */
      const notified = async (t: Awaited<ReturnType<typeof tenant>>, url: string): Promise<string> => {
        const raw = JSON.stringify({
          order_no: `S${randomUUID().replace(/-/g, '').slice(0, 20)}`,
          currency: 'USDT',
          amount: '1',
          chain_type: 'TRON',
          notify_url: url,
        });
        const res = await signedRequest(writer, t.k, 'POST', '/v1/payment', raw).expect(200);
        const id = res.body.data.id as string;
        await http(writer).post(`/api/v1/orders/${id}/cancel`).set(t.merchant.auth).expect(200);
        return id;
      };
      const jobState = async (orderId: string) =>
        (
          await db(writer).query<{ state: string; status: string }[]>(
            `SELECT j.state, n.status FROM pgboss.job j
               JOIN notifications n ON n.id::text = j.data->>'notificationId' WHERE n.order_id = $1`,
            [orderId],
          )
        )[0];
      const [slowTenant, healthy] = [await tenant(), await tenant()];
      const slowOrder = await notified(slowTenant, slowUrl);
      const before = [await notified(healthy, `${rx.url}/h`), await notified(healthy, `${rx.url}/h`)];

      worker = await startTestApp({
        NOTIFY_ALLOW_PRIVATE: 'true',
        NOTIFY_WORKER: 'true',
        NOTIFY_TIMEOUT_MS: '60000',
      });
      await until('the slow receiver holding its request', () => Promise.resolve(held.length === 1));
      for (const id of before)
        await until('a notification fetched with the slow one completed', async () => {
          const s = await jobState(id);
          return s?.state === 'completed' && s.status === 'delivered';
        });
      // Written while the slow delivery is in flight: fetched and delivered without waiting for it.
      const later = await notified(healthy, `${rx.url}/h`);
      await until(
        'a later notification completed',
        async () => (await jobState(later))?.state === 'completed',
      );
      expect(rx.received.filter((r) => r.path === '/h')).toHaveLength(3);
      expect(held).toHaveLength(1);
      expect(await jobState(slowOrder)).toEqual({ state: 'active', status: 'pending' });
    } finally {
      for (const res of held) res.end('success');
      await worker?.close();
      await new Promise<void>((resolve) => slow.close(() => resolve()));
      await rx.close();
      await writer.close();
    }
  });
});
