import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { merchantSignature } from '../src/auth/merchant-signature';
import { apiKeyAad } from '../src/auth/api-keys.service';
import type { RunningPaymux } from '../src/bootstrap';
import { keyIdOf, SecretBox } from '../src/common/secret-box';
import { StripeFake } from './fakes/stripe/stripe.fake';
import { db, http, Merchant, newMerchant, signedRequest, startTestApp } from './helpers/app';
import { FreshDatabase, freshDatabase } from './helpers/fresh-database';

const STRIPE_KEY = 'sk_test_51paymuxRotationKey00000000';
const OLD_KEY = randomBytes(32).toString('base64');
const NEW_KEY = randomBytes(32).toString('base64');
/** A key the first rotation does not know about: its values wait for a second run. */
const FORGOTTEN_KEY = randomBytes(32).toString('base64');

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Master key rotation end to end, on a database of its own (the CLI rotates a whole database): a
 * tenant with a provider account, a merchant API key (which also signs notifications), rotated with
 * the built CLI (`node dist/src/cli/paymux.js keys rotate`), then the app started with ONLY the new key
 * uses every secret: a signed merchant request, a signed notification, a Stripe payment on the fake.
 */
describe('master key rotation (keys:rotate)', () => {
  let fresh: FreshDatabase;
  let fake: StripeFake;
  let m: Merchant;
  let key: { id: string; key_id: string; secret: string };
  let forgotten: { id: string; key_id: string; secret: string };

  const env = (extra: Record<string, string>): Record<string, string> => ({
    ...fresh.env,
    PAYMUX_STRIPE_BASE_URL: fake.url,
    NOTIFY_ALLOW_PRIVATE: 'true',
    NOTIFY_RETRY_SCALE: '0.001',
    NOTIFY_WORKER: 'true',
    PAYMUX_MASTER_KEY_PREVIOUS: '',
    ...extra,
  });
  const rotate = (previous: string, ...args: string[]) => {
    const run = spawnSync(
      process.execPath,
      [join(__dirname, '../dist/src/cli/paymux.js'), 'keys', 'rotate', ...args],
      {
        env: {
          PATH: process.env.PATH,
          NODE_ENV: 'test',
          ...fresh.env,
          JWT_SECRET: randomBytes(32).toString('hex'),
          PAYMUX_MASTER_KEY: NEW_KEY,
          PAYMUX_MASTER_KEY_PREVIOUS: previous,
        },
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    return { status: run.status, out: `${run.stdout}${run.stderr}` };
  };
  const keyIds = async (app: RunningPaymux): Promise<string[]> =>
    (
      await db(app).query<{ k: string }[]>(
        `SELECT key_id AS k FROM provider_accounts UNION ALL SELECT master_key_id AS k FROM api_keys`,
      )
    ).map((r) => r.k);

  beforeAll(async () => {
    fresh = await freshDatabase('keys', { served: true });
    fake = await new StripeFake([STRIPE_KEY]).start();
    const before = await startTestApp(env({ PAYMUX_MASTER_KEY: OLD_KEY }));
    try {
      m = await newMerchant(before);
      await http(before)
        .put('/api/v1/providers/stripe')
        .set(m.auth)
        .send({
          enabled: true,
          mode: 'test',
          credentials: { secret_key: STRIPE_KEY, webhook_secret: 'whsec_rotation_endpoint_secret' },
        })
        .expect(200);
      forgotten = (
        await http(before).post('/api/v1/api-keys').set(m.auth).send({ name: 'older' }).expect(201)
      ).body as typeof forgotten;
      // The newest key signs notifications.
      key = (await http(before).post('/api/v1/api-keys').set(m.auth).send({ name: 'server' }).expect(201))
        .body as typeof key;
      // This key's secret was sealed under a key older still (as if an earlier rotation never ran).
      const sealed = new SecretBox(Buffer.from(FORGOTTEN_KEY, 'base64')).seal(
        forgotten.secret,
        apiKeyAad(m.tenantId, forgotten.key_id),
      );
      await db(before).query('UPDATE api_keys SET master_key_id = $2, secret_sealed = $3 WHERE id = $1', [
        forgotten.id,
        sealed.keyId,
        sealed.ciphertext,
      ]);
    } finally {
      await before.close();
    }
  });
  afterAll(async () => {
    await fake?.stop();
    await fresh?.drop();
  });

  it('re-seals every sealed secret, resumably, and the app then works with only the new key', async () => {
    // First run: knows only the old key. Everything under it is re-sealed (in batches of one); the value
    // under the forgotten key is left, named, and the run fails so the operator keeps the old key.
    const first = rotate(OLD_KEY, '--batch-size', '1');
    expect(first.out).toMatch(/provider accounts: re-sealed 1 /);
    expect(first.out).toMatch(/merchant API key secrets.*: re-sealed 1 /);
    expect(first.out).toMatch(/1 sealed under a key that is not configured/);
    expect(first.status).toBe(1);
    // Second run, with the forgotten key: only what is left is touched.
    const second = rotate(`${OLD_KEY},${FORGOTTEN_KEY}`);
    expect(second.out).toMatch(/provider accounts: re-sealed 0 /);
    expect(second.out).toMatch(/merchant API key secrets.*: re-sealed 1 /);
    expect(second.out).toMatch(/the previous key may be removed/);
    expect(second.status).toBe(0);
    // Nothing left: a third run changes nothing.
    const third = rotate(OLD_KEY);
    expect(third.out).toMatch(/merchant API key secrets.*: re-sealed 0 /);
    expect(third.status).toBe(0);

    const rx: { path: string; headers: IncomingMessage['headers']; body: string }[] = [];
    const receiver: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        rx.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'content-type': 'text/plain' }).end('SUCCESS');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    // ONLY the new key: no PAYMUX_MASTER_KEY_PREVIOUS.
    const after = await startTestApp(env({ PAYMUX_MASTER_KEY: NEW_KEY }));
    try {
      expect(new Set(await keyIds(after))).toEqual(new Set([keyIdOf(Buffer.from(NEW_KEY, 'base64'))]));
      // A signed merchant request (the API key secret opens), with both keys.
      await signedRequest(after, forgotten, 'GET', '/v1/payment/NoSuchOrder1').expect(404);
      const orderNo = `Rot${Date.now()}${randomBytes(3).toString('hex')}`;
      const notifyUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/notify`;
      const created = await signedRequest(after, key, 'POST', '/v1/payment', {
        order_no: orderNo,
        currency: 'USDT',
        amount: '5',
        chain_type: 'TRON',
        notify_url: notifyUrl,
      }).expect(200);
      expect(created.body.code).toBe(10000);
      // A notification, signed with the re-sealed secret and verifiable by the merchant.
      const [p] = await db(after).query<{ provider_ref: string }[]>(
        'SELECT provider_ref FROM payments WHERE order_id = $1',
        [created.body.data.id],
      );
      await http(after)
        .post(`/api/v1/sandbox/payments/${p.provider_ref}/complete`)
        .send({ outcome: 'succeeded' })
        .expect(200);
      const delivered = await until('a notification', () => Promise.resolve(rx[0]));
      expect(delivered.headers['x-api-key']).toBe(key.key_id);
      expect(delivered.headers['x-signature']).toBe(
        merchantSignature(key.secret, {
          timestamp: String(delivered.headers['x-timestamp']),
          nonce: String(delivered.headers['x-nonce']),
          method: 'POST',
          pathWithQuery: delivered.path,
          body: delivered.body,
        }),
      );
      // A provider payment: the Stripe credentials open and the fake accepts the secret key.
      const login = await http(after)
        .post('/api/v1/auth/login')
        .send({ email: m.email, password: m.password })
        .expect(200);
      const order = await http(after)
        .post('/api/v1/orders/')
        .set({ authorization: `Bearer ${login.body.access_token as string}` })
        .set('Idempotency-Key', randomUUID())
        .send({ application_id: m.applicationId, package_id: m.packageId, pay_way: 'Stripe' })
        .expect(201);
      expect(order.body.pay_url).toEqual(expect.stringContaining('checkout.stripe'));
      expect(fake.sessions.size).toBe(1);
    } finally {
      await after.close();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });
});
