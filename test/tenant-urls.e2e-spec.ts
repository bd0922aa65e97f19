import { randomUUID } from 'node:crypto';
import type { LookupAddress } from 'node:dns';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunningPaymux } from '../src/bootstrap';
import { TenantUrlClient } from '../src/common/tenant-url-client';
import { NotificationsService } from '../src/notifications/notifications.service';
import {
  ApiKey,
  db,
  http,
  Merchant,
  newMerchant,
  newOrder,
  signedRequest,
  startTestApp,
} from './helpers/app';

/**
 * URLs tenants give paymux (webhook_url, notify_url, facilitator_url) reach only public addresses:
 * refused at save time when they name a private or special-purpose address, and refused at connect
 * when their name answers a private address to the connection's own lookup (DNS rebinding).
 */
describe('tenant-supplied URLs', () => {
  let app: RunningPaymux;
  let m: Merchant;
  let key: ApiKey;
  let listener: Server;
  let port = 0;
  let connections = 0;

  beforeAll(async () => {
    // No NOTIFY_ALLOW_PRIVATE, no PAYMUX_X402_ALLOW_PRIVATE_FACILITATOR: production's checks.
    app = await startTestApp({});
    m = await newMerchant(app);
    key = (await http(app).post('/api/v1/api-keys').set(m.auth).send({ name: 'k' }).expect(201))
      .body as ApiKey;
    // Where a rebinding name points in the end: paymux must never connect here.
    listener = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' }).end('success internal-secret-page');
    });
    listener.on('connection', () => connections++);
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    port = (listener.address() as AddressInfo).port;
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    listener.closeAllConnections();
    await new Promise<void>((resolve) => listener.close(() => resolve()));
    await app.close();
  });

  const merchantOrder = (notifyUrl: string) =>
    signedRequest(
      app,
      key,
      'POST',
      '/v1/payment',
      JSON.stringify({
        order_no: `R${randomUUID().replace(/-/g, '').slice(0, 20)}`,
        currency: 'USDT',
        amount: '1',
        chain_type: 'TRON',
        notify_url: notifyUrl,
      }),
    );

  /**
   * Resolves `rebind.test` to a public address, then to 127.0.0.1, then public again, and so on: each
   * delivery's early check sees the public answer, its connection the loopback one.
   */
  const rebindingResolver = (): jest.SpyInstance => {
    let calls = 0;
    const v4 = (address: string): LookupAddress[] => [{ address, family: 4 }];
    return jest
      .spyOn(app.app.get(TenantUrlClient), 'resolve')
      .mockImplementation((host: string) =>
        host === 'rebind.test'
          ? Promise.resolve(v4(calls++ % 2 === 0 ? '93.184.216.34' : '127.0.0.1'))
          : Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' })),
      );
  };

  /** Deliver the order's notifications now; their attempts read back over the API, and how many. */
  const deliverAndRead = async (
    orderId: string,
  ): Promise<{ count: number; attempts: Record<string, unknown>[] }> => {
    const rows = await db(app).query<{ id: string }[]>('SELECT id FROM notifications WHERE order_id = $1', [
      orderId,
    ]);
    expect(rows.length).toBeGreaterThan(0);
    for (const n of rows) await app.app.get(NotificationsService).deliver(n.id);
    const res = await http(app)
      .get('/api/v1/notifications')
      .query({ order_id: orderId })
      .set(m.auth)
      .expect(200);
    const attempts = (res.body.data as { attempt_log: Record<string, unknown>[] }[]).flatMap(
      (n) => n.attempt_log,
    );
    return { count: rows.length, attempts };
  };

  const refusedAtConnect = 'refused: rebind.test resolves to the private or loopback address 127.0.0.1';

  it('refuses at connect a notify_url whose name rebinds from a public address to 127.0.0.1', async () => {
    const created = await merchantOrder(`http://rebind.test:${port}/hook`).expect(200);
    const orderId = created.body.data.id as string;
    await http(app).post(`/api/v1/orders/${orderId}/cancel`).set(m.auth).expect(200);
    const resolve = rebindingResolver();
    connections = 0;
    const { count, attempts } = await deliverAndRead(orderId);
    // Each early check saw the public answer; each connection's own lookup saw 127.0.0.1 and stopped.
    expect(resolve).toHaveBeenCalledTimes(2 * count);
    expect(connections).toBe(0);
    // (Another suite's worker may also have tried the job: every attempt failed, none echoed anything.)
    expect(attempts).toContainEqual(
      expect.objectContaining({
        success: false,
        status_code: null,
        body_excerpt: null,
        error: refusedAtConnect,
      }),
    );
    for (const a of attempts) expect(a).toMatchObject({ success: false, body_excerpt: null });
    resolve.mockRestore();
  });

  it("refuses at connect a tenant's webhook_url whose name rebinds to 127.0.0.1", async () => {
    await http(app)
      .patch('/api/v1/tenant/settings')
      .set(m.auth)
      .send({ webhook_url: `http://rebind.test:${port}/platform-hook` })
      .expect(200);
    try {
      const order = await newOrder(app, m);
      await http(app)
        .post(`/api/v1/orders/${String(order.id)}/cancel`)
        .set(m.auth)
        .expect(200);
      const resolve = rebindingResolver();
      connections = 0;
      const { count, attempts } = await deliverAndRead(String(order.id));
      expect(resolve).toHaveBeenCalledTimes(2 * count);
      expect(connections).toBe(0);
      expect(attempts).toContainEqual(
        expect.objectContaining({ success: false, body_excerpt: null, error: refusedAtConnect }),
      );
      for (const a of attempts) expect(a).toMatchObject({ success: false, body_excerpt: null });
      resolve.mockRestore();
    } finally {
      await http(app).patch('/api/v1/tenant/settings').set(m.auth).send({ webhook_url: null }).expect(200);
    }
  });

  // Special-purpose ranges and a trailing-dot localhost, written as the URL parser writes them or not.
  const newlyRefused = [
    'https://[::ffff:7f00:1]/hook', // ::ffff:127.0.0.1 in hex form
    'https://[::ffff:8.8.8.8]/hook', // IPv4-mapped, refused whole
    'https://[2002:a00:1::1]/hook', // 6to4 with 10.0.0.1 inside
    'https://[2002:7f00:1::]/hook', // 6to4 with 127.0.0.1 inside
    'https://[64:ff9b:1::a00:1]/hook', // local-use NAT64
    'https://198.18.0.1/hook', // benchmarking
    'https://198.19.200.7/hook',
    'https://192.0.0.9/hook', // IETF protocol assignments
    'https://localhost./hook',
    'https://api.localhost./hook',
  ];

  it('refuses the special-purpose ranges and localhost. in a notify_url at save time (400 10003)', async () => {
    for (const url of newlyRefused) {
      const res = await merchantOrder(url);
      expect([url, res.status, res.body]).toEqual([
        url,
        400,
        { code: 10003, message: expect.stringContaining('Invalid parameter `notify_url`') },
      ]);
    }
  });

  it('refuses them in a webhook_url at save time (400 validation_failed)', async () => {
    for (const url of newlyRefused) {
      const res = await http(app).patch('/api/v1/tenant/settings').set(m.auth).send({ webhook_url: url });
      expect([url, res.status, res.body.code]).toEqual([url, 400, 'validation_failed']);
    }
    const [row] = await db(app).query<{ webhook_url: string | null }[]>(
      'SELECT webhook_url FROM tenants WHERE id = $1',
      [m.tenantId],
    );
    expect(row.webhook_url).toBeNull();
  });

  it('refuses them in an x402 facilitator_url at save time (400 invalid_provider_credentials)', async () => {
    const x402 = { networks: ['base'], pay_to_evm: `0x${'c'.repeat(40)}` };
    for (const facilitator_url of newlyRefused) {
      const res = await http(app)
        .put('/api/v1/providers/x402')
        .set(m.auth)
        .send({ credentials: { ...x402, facilitator_url } });
      expect([facilitator_url, res.status]).toEqual([facilitator_url, 400]);
      expect(res.body).toMatchObject({
        code: 'invalid_provider_credentials',
        details: { field: 'credentials.facilitator_url' },
      });
    }
    const stored = await db(app).query('SELECT 1 FROM provider_accounts WHERE tenant_id = $1', [m.tenantId]);
    expect(stored).toEqual([]);
  });
});
