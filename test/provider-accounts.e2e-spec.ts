import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { RunningPaymux } from '../src/bootstrap';
import { ProviderRegistry } from '../src/payments/provider-registry';
import { SecretBox } from '../src/common/secret-box';
import { rotateSealedColumn, SEALED_COLUMNS } from '../src/tenants/master-key-rotation';
import { ProviderAccountsService } from '../src/tenants/provider-accounts.service';
import { db, http, Merchant, newMember, newMerchant, startTestApp, TEST_MASTER_KEY } from './helpers/app';

const pem = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PRIVATE_PEM = pem.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const PUBLIC_PEM = pem.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const PUBLIC_DER_B64 = pem.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

/** PUT/GET /api/v1/providers: per-tenant credentials, validated, sealed at rest, never returned. */
describe('provider accounts', () => {
  let app: RunningPaymux;
  let m: Merchant;
  const stripe = {
    secret_key: 'sk_test_51abcdefghijklmnopqrstu',
    webhook_secret: 'whsec_test_secret_value_1234',
  };

  beforeAll(async () => {
    app = await startTestApp({
      LOGIN_RATE_LIMIT: '1000',
      PAYMUX_STRIPE_BASE_URL: 'http://127.0.0.1:9/stripe-fake',
    });
    m = await newMerchant(app);
  });
  afterAll(() => app.close());

  const put = (provider: string, body: Record<string, unknown>, auth = m.auth) =>
    http(app).put(`/api/v1/providers/${provider}`).set(auth).send(body);

  it('stores Stripe credentials sealed in the database and returns them masked', async () => {
    const res = await put('stripe', { enabled: true, mode: 'test', credentials: stripe }).expect(200);
    expect(res.body).toMatchObject({
      provider: 'stripe',
      enabled: true,
      mode: 'test',
      key_id: expect.any(String),
    });
    // No part of a secret is shown, not even its last characters.
    expect(res.body.credentials).toEqual({ secret_key: '••••', webhook_secret: '••••' });
    expect(JSON.stringify(res.body)).not.toContain(stripe.secret_key.slice(-4));
    expect(JSON.stringify(res.body)).not.toContain(stripe.webhook_secret.slice(-4));

    const list = await http(app).get('/api/v1/providers').set(m.auth).expect(200);
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0].credentials).toEqual({ secret_key: '••••', webhook_secret: '••••' });

    const rows = await db(app).query<Record<string, unknown>[]>(
      'SELECT * FROM provider_accounts WHERE tenant_id = $1',
      [m.tenantId],
    );
    expect(rows).toHaveLength(1);
    const raw = JSON.stringify(rows[0]);
    expect(raw).not.toContain(stripe.secret_key);
    expect(raw).not.toContain(stripe.webhook_secret);
    expect(rows[0].credentials_sealed).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('shows no part of a secret from a view stored by an older version (which kept the last 4)', async () => {
    const other = await newMerchant(app);
    await put('stripe', { enabled: true, mode: 'test', credentials: stripe }, other.auth).expect(200);
    await db(app).query(
      `UPDATE provider_accounts SET credentials_masked = $2 WHERE tenant_id = $1 AND provider = 'stripe'`,
      [other.tenantId, JSON.stringify({ secret_key: '••••rstu', webhook_secret: '••••1234' })],
    );
    const list = await http(app).get('/api/v1/providers').set(other.auth).expect(200);
    expect(list.body.data[0].credentials).toEqual({ secret_key: '••••', webhook_secret: '••••' });
    // The rotation test below counts the accounts sealed under this suite's key.
    await db(app).query('DELETE FROM provider_accounts WHERE tenant_id = $1', [other.tenantId]);
  });

  it('opens the credentials for the adapters', async () => {
    const account = await app.app.get(ProviderAccountsService).unsealed(m.tenantId, 'stripe');
    expect(account?.credentials).toEqual(stripe);
    // The registry hands the Stripe adapter the opened credentials, the configured base and our callback URL.
    expect(await app.app.get(ProviderRegistry).contextFor(m.tenantId, 'stripe')).toMatchObject({
      tenantId: m.tenantId,
      credentials: stripe,
      baseUrl: 'http://127.0.0.1:9/stripe-fake',
      notifyUrl: expect.stringMatching(new RegExp(`/api/v1/webhooks/stripe/${m.tenantId}$`)),
    });
  });

  it('replaces an account on a second PUT (one row per tenant and provider)', async () => {
    await put('stripe', {
      enabled: false,
      credentials: { ...stripe, secret_key: 'sk_test_other_key_0000000' },
    }).expect(200);
    const rows = await db(app).query<{ enabled: boolean }[]>(
      'SELECT enabled FROM provider_accounts WHERE tenant_id = $1',
      [m.tenantId],
    );
    expect(rows).toEqual([{ enabled: false }]);
    const account = await app.app.get(ProviderAccountsService).unsealed(m.tenantId, 'stripe');
    expect(account?.credentials.secret_key).toBe('sk_test_other_key_0000000');
  });

  it('validates per provider and names the bad field, writing nothing', async () => {
    const before = await db(app).query<{ n: number }[]>(
      'SELECT count(*)::int AS n FROM provider_accounts WHERE tenant_id = $1',
      [m.tenantId],
    );
    const cases: [string, Record<string, unknown>, string][] = [
      [
        'alipay',
        { app_id: '2021', private_key: 'not a pem', alipay_public_key: PUBLIC_PEM },
        'credentials.private_key',
      ],
      [
        'alipay',
        { app_id: '2021', private_key: PRIVATE_PEM, alipay_public_key: 'garbage' },
        'credentials.alipay_public_key',
      ],
      ['stripe', { secret_key: 'sk_test_x' }, 'credentials.webhook_secret'],
      ['stripe', { ...stripe, extra: 'x' }, 'credentials.extra'],
      ['x402', { networks: ['base'], pay_to_evm: '0x123' }, 'credentials.pay_to_evm'],
      ['x402', { networks: ['base'] }, 'credentials.pay_to_evm'],
      ['x402', { networks: [], pay_to_evm: `0x${'a'.repeat(40)}` }, 'credentials.networks'],
    ];
    for (const [provider, credentials, field] of cases) {
      const res = await put(provider, { credentials }).expect(400);
      expect(res.body).toMatchObject({ code: 'invalid_provider_credentials', details: { field } });
    }
    const after = await db(app).query<{ n: number }[]>(
      'SELECT count(*)::int AS n FROM provider_accounts WHERE tenant_id = $1',
      [m.tenantId],
    );
    expect(after[0].n).toBe(before[0].n);
  });

  it('accepts Alipay keys as PEM or bare base64 DER, and WeChat and x402 accounts', async () => {
    await put('alipay', {
      credentials: { app_id: '2021000', private_key: PRIVATE_PEM, alipay_public_key: PUBLIC_DER_B64 },
    }).expect(200);
    await put('wechat', {
      credentials: {
        mchid: '1900000001',
        appid: 'wx0000000000000001',
        serial_no: 'ABC123',
        private_key: PRIVATE_PEM,
        apiv3_key: randomBytes(16).toString('hex'),
        platform_serial: 'PLAT1',
        platform_public_key: PUBLIC_PEM,
      },
    }).expect(200);
    const x = await put('x402', {
      credentials: { networks: ['base', 'solana'], pay_to_evm: `0x${'b'.repeat(40)}` },
    }).expect(200);
    expect(x.body.credentials).toEqual({ networks: ['base', 'solana'], pay_to_evm: `0x${'b'.repeat(40)}` });
    const list = await http(app).get('/api/v1/providers').set(m.auth).expect(200);
    expect(JSON.stringify(list.body)).not.toContain('PRIVATE KEY');
  });

  it('answers 404 for an unknown provider and 403 to a member', async () => {
    const unknown = await put('bitcoinpay', { credentials: {} }).expect(404);
    expect(unknown.body.code).toBe('provider_not_found');
    const member = await newMember(app, m);
    const denied = await put('stripe', { credentials: stripe }, member.auth).expect(403);
    expect(denied.body.code).toBe('forbidden');
  });

  it('keeps tenants apart', async () => {
    const other = await newMerchant(app);
    const list = await http(app).get('/api/v1/providers').set(other.auth).expect(200);
    expect(list.body.data).toEqual([]);
    expect(await app.app.get(ProviderAccountsService).unsealed(other.tenantId, 'stripe')).toBeNull();
  });

  it('rotates the master key: old values open with the previous key, then are re-sealed under the new one', async () => {
    const newKey = randomBytes(32).toString('base64');
    const rotated = await startTestApp({
      PAYMUX_MASTER_KEY: newKey,
      PAYMUX_MASTER_KEY_PREVIOUS: TEST_MASTER_KEY,
    });
    try {
      const accounts = rotated.app.get(ProviderAccountsService);
      expect((await accounts.unsealed(m.tenantId, 'alipay'))?.credentials.app_id).toBe('2021000');
      // Exactly this tenant's four accounts were under the previous key (other runs may have left others).
      const [column] = SEALED_COLUMNS.filter((c) => c.table === 'provider_accounts');
      const previous = [Buffer.from(TEST_MASTER_KEY, 'base64')];
      const box = new SecretBox(Buffer.from(newKey, 'base64'), previous);
      expect((await rotateSealedColumn(db(rotated), box, previous, column)).resealed).toBe(4);
      const keys = await db(rotated).query<{ key_id: string }[]>(
        'SELECT DISTINCT key_id FROM provider_accounts WHERE tenant_id = $1',
        [m.tenantId],
      );
      expect(keys).toHaveLength(1);
      const onlyNew = await startTestApp({ PAYMUX_MASTER_KEY: newKey });
      try {
        expect(
          (await onlyNew.app.get(ProviderAccountsService).unsealed(m.tenantId, 'stripe'))?.credentials
            .secret_key,
        ).toBe('sk_test_other_key_0000000');
      } finally {
        await onlyNew.close();
      }
    } finally {
      await rotated.close();
    }
  });

  /** A tenant's rows as stored, to show a refused PUT changed nothing. */
  const storedRows = (tenantId: string) =>
    db(app).query<Record<string, unknown>[]>(
      `SELECT provider, enabled, key_id, credentials_sealed, credentials_masked, updated_at
         FROM provider_accounts WHERE tenant_id = $1 ORDER BY provider`,
      [tenantId],
    );

  it('refuses a WeChat apiv3_key or TokenPay app_secret that is not 32 bytes (AES-256 keys), writing nothing', async () => {
    const owner = await newMerchant(app);
    const wechat = {
      mchid: '1900000002',
      appid: 'wx0000000000000002',
      serial_no: 'ABC124',
      private_key: PRIVATE_PEM,
      apiv3_key: randomBytes(16).toString('hex'),
      platform_serial: 'PLAT2',
      platform_public_key: PUBLIC_PEM,
    };
    const tokenpay = { app_id: 'tp-app', mch_id: '1234567890', app_secret: randomBytes(16).toString('hex') };
    // Valid accounts first (32 bytes, including multibyte characters): a refused PUT must leave them alone.
    await put('wechat', { credentials: wechat }, owner.auth).expect(200);
    await put(
      'tokenpay',
      { credentials: { ...tokenpay, app_secret: `${'é'.repeat(8)}${'a'.repeat(16)}` } },
      owner.auth,
    ).expect(200);
    await put('tokenpay', { credentials: tokenpay }, owner.auth).expect(200);
    const before = await storedRows(owner.tenantId);
    expect(before.map((r) => r.provider)).toEqual(['tokenpay', 'wechat']);

    const cases: [string, Record<string, unknown>, string][] = [
      ['wechat', { ...wechat, apiv3_key: 'a'.repeat(31) }, 'credentials.apiv3_key'],
      ['wechat', { ...wechat, apiv3_key: 'a'.repeat(33) }, 'credentials.apiv3_key'],
      ['wechat', { ...wechat, apiv3_key: randomBytes(32).toString('base64') }, 'credentials.apiv3_key'],
      // 32 characters, 33 bytes: the key is the UTF-8 bytes.
      ['wechat', { ...wechat, apiv3_key: `é${'a'.repeat(31)}` }, 'credentials.apiv3_key'],
      ['tokenpay', { ...tokenpay, app_secret: 'a'.repeat(16) }, 'credentials.app_secret'],
      ['tokenpay', { ...tokenpay, app_secret: randomBytes(32).toString('hex') }, 'credentials.app_secret'],
      ['tokenpay', { ...tokenpay, app_secret: `ü${'a'.repeat(31)}` }, 'credentials.app_secret'],
    ];
    for (const [provider, credentials, field] of cases) {
      const res = await put(provider, { enabled: false, credentials }, owner.auth).expect(400);
      expect(res.body).toMatchObject({ code: 'invalid_provider_credentials', details: { field } });
      expect(res.body.message).toContain(field);
      expect(res.body.message).toMatch(/32 bytes/);
    }
    expect(await storedRows(owner.tenantId)).toEqual(before);
    const accounts = app.app.get(ProviderAccountsService);
    expect((await accounts.unsealed(owner.tenantId, 'wechat'))?.credentials.apiv3_key).toBe(wechat.apiv3_key);
    expect((await accounts.unsealed(owner.tenantId, 'tokenpay'))?.credentials.app_secret).toBe(
      tokenpay.app_secret,
    );
  });

  it('refuses an x402 facilitator_url that is not https or names a private or loopback host, writing nothing', async () => {
    const owner = await newMerchant(app);
    const x402 = { networks: ['base'], pay_to_evm: `0x${'c'.repeat(40)}` };
    const good = 'https://facilitator.example.com/x402';
    const saved = await put('x402', { credentials: { ...x402, facilitator_url: good } }, owner.auth).expect(
      200,
    );
    expect(saved.body.credentials.facilitator_url).toBe(good);
    const before = await storedRows(owner.tenantId);

    const refused: [string, RegExp][] = [
      ['http://facilitator.example.com', /https/],
      ['ftp://facilitator.example.com', /https/],
      ['https://', /https/],
      ['https://user:secret@facilitator.example.com', /user name or password/],
      ['https://127.0.0.1:8080/facilitator', /private or loopback/],
      ['https://localhost', /private or loopback/],
      ['https://api.localhost:3000', /private or loopback/],
      ['https://10.1.2.3', /private or loopback/],
      ['https://172.16.0.1', /private or loopback/],
      ['https://192.168.1.10', /private or loopback/],
      ['https://169.254.169.254/latest/meta-data', /private or loopback/],
      ['https://100.64.0.1', /private or loopback/],
      ['https://0.0.0.0', /private or loopback/],
      ['https://2130706433', /private or loopback/],
      ['https://0x7f.1', /private or loopback/],
      ['https://[::1]', /private or loopback/],
      ['https://[fd00::1]', /private or loopback/],
      ['https://[fe80::1]', /private or loopback/],
      ['https://[::ffff:127.0.0.1]', /private or loopback/],
      ['https://[::ffff:a9fe:a9fe]', /private or loopback/],
    ];
    for (const [facilitator_url, why] of refused) {
      const res = await put('x402', { credentials: { ...x402, facilitator_url } }, owner.auth);
      expect({ facilitator_url, status: res.status }).toEqual({ facilitator_url, status: 400 });
      expect(res.body).toMatchObject({
        code: 'invalid_provider_credentials',
        details: { field: 'credentials.facilitator_url' },
      });
      expect(res.body.message).toMatch(why);
    }
    expect(await storedRows(owner.tenantId)).toEqual(before);
  });
});
