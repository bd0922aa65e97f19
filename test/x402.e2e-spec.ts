import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { RunningPaymux } from '../src/bootstrap';
import { OrderExpirySweeper } from '../src/payments/reconciliation/order-expiry.sweeper';
import { X402Store } from '../src/payments/x402/x402.store';
import type { X402Action } from '../src/payments/providers/x402/x402.wire';
import { ReconciliationService } from '../src/payments/reconciliation/reconciliation.service';
import { base58ish, Wallet, X402FacilitatorFake } from './fakes/x402/x402.fake';
import { db, http, Merchant, newMerchant, startTestApp, balanceOf } from './helpers/app';
import { expectOneRefusal } from './helpers/webhook-refusal';

/**
 * x402 against a fake facilitator over real HTTP on PostgreSQL: the 402 for each network, a settled
 * payment (Finished, credited once), replays and concurrent duplicates, payments refused before the
 * facilitator is asked, v2 headers, Solana, and a settle whose answer is lost (timeout, 500, landed
 * but unanswered) going to reconciliation without ever asking the payer to pay again.
 * The FX pair USD/USDC belongs to this suite only.
 */
describe('x402', () => {
  const fake = new X402FacilitatorFake();
  let app: RunningPaymux;
  let m: Merchant;
  let recon: ReconciliationService;
  const PAY_TO_EVM = `0x${randomBytes(20).toString('hex')}`;
  const PAY_TO_SOLANA = base58ish(44);
  const NETWORKS = ['base', 'base-sepolia', 'solana', 'solana-devnet'];

  type Requirement = {
    network: string;
    payTo: string;
    maxAmountRequired: string;
    asset: string;
    resource: string;
    extra: Record<string, unknown>;
  };
  type XOrder = { id: string; pay_url: string; path: string };

  const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64');
  const unb64 = (value: string) => JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
  const now = (): number => Math.floor(Date.now() / 1000);

  const configure = async (who: Merchant, extra: Record<string, unknown> = {}): Promise<void> => {
    await http(app)
      .put('/api/v1/providers/x402')
      .set(who.auth)
      .send({
        enabled: true,
        mode: 'test',
        credentials: { pay_to_evm: PAY_TO_EVM, pay_to_solana: PAY_TO_SOLANA, networks: NETWORKS, ...extra },
      })
      .expect(200);
  };
  const newX402Order = async (who: Merchant = m, body: Record<string, unknown> = {}): Promise<XOrder> => {
    const res = await http(app)
      .post('/api/v1/orders')
      .set(who.auth)
      .send({ application_id: who.applicationId, package_id: who.packageId, pay_way: 'X402', ...body })
      .expect(201);
    return { id: res.body.id, pay_url: res.body.pay_url, path: new URL(res.body.pay_url as string).pathname };
  };
  const offerOf = async (order: XOrder): Promise<Requirement[]> =>
    (await http(app).get(order.path).expect(402)).body.accepts as Requirement[];
  const reqOf = (accepts: Requirement[], network: string): Requirement =>
    accepts.find((r) => r.network === network)!;
  const evmHeader = (
    w: Wallet,
    r: Requirement,
    overrides: Parameters<X402FacilitatorFake['evmPayload']>[2] = {},
    signFor: Parameters<X402FacilitatorFake['evmPayload']>[3] = {},
  ): string =>
    b64({
      x402Version: 1,
      scheme: 'exact',
      network: r.network,
      payload: fake.evmPayload(w, r, overrides, signFor),
    });
  const pay = (order: XOrder, header: string, name = 'X-PAYMENT') =>
    http(app).post(order.path).set(name, header).send({});
  const orderState = async (id: string, who: Merchant = m): Promise<string> =>
    (await http(app).get(`/api/v1/orders/${id}`).set(who.auth).expect(200)).body.state as string;
  const credits = async (orderId: string): Promise<number> =>
    (
      await db(app).query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM ledger_entries WHERE order_id = $1 AND kind = 'credit'`,
        [orderId],
      )
    )[0].n;
  const paymentOf = async (orderId: string) =>
    (
      await db(app).query<
        { id: string; status: string; amount: string; currency: string; action: X402Action }[]
      >(
        `SELECT id, status, amount::text, currency, action FROM payments WHERE order_id = $1 AND provider = 'x402'`,
        [orderId],
      )
    )[0];
  const balance = (who: Merchant = m): Promise<number> => balanceOf(app, who);
  const facilitatorCalls = (): number =>
    fake.requestsTo('/verify').length + fake.requestsTo('/settle').length;

  beforeAll(async () => {
    await fake.start();
    const email = `admin-${randomUUID()}@example.test`;
    app = await startTestApp({
      ADMIN_EMAIL: email,
      ADMIN_PASSWORD: 'admin-password-1',
      LOGIN_RATE_LIMIT: '1000',
      PAYMUX_X402_BASE_URL: fake.url,
      // Tenants' own facilitators are local fakes here (http, loopback): production refuses both.
      PAYMUX_X402_ALLOW_PRIVATE_FACILITATOR: 'true',
      // Not 500 ms: a busy machine missed that on plain calls to the fake (502). Only hangs wait it out.
      PROVIDER_TIMEOUT_MS: '5000',
      RECONCILE_INTERVAL_MS: '0',
      RECONCILE_DELAY_SECONDS: '0',
      EXPIRY_SWEEP_INTERVAL_MS: '0',
    });
    const login = await http(app)
      .post('/api/v1/auth/login')
      .send({ email, password: 'admin-password-1' })
      .expect(200);
    const admin = { authorization: `Bearer ${login.body.access_token as string}` };
    await http(app).put('/api/v1/admin/fx-rates/USD/USDC').set(admin).send({ rate: '1.0' }).expect(200);
    m = await newMerchant(app);
    await configure(m);
    recon = app.app.get(ReconciliationService);
  });
  afterAll(async () => {
    await app.close();
    await fake.stop();
  });
  afterEach(() => {
    fake.settleMode = 'ok';
    fake.settleDelayMs = 0;
    fake.verifyDelayMs = 0;
  });

  it('opens an X402 order: pay_url is its x402 endpoint, the charge is USDC converted with the FX table', async () => {
    const order = await newX402Order();
    expect(order.pay_url).toBe(`${app.url}/api/v1/x402/orders/${order.id}`);
    const payment = await paymentOf(order.id);
    expect(payment).toMatchObject({ status: 'pending', currency: 'USDC' });
    expect(payment.amount).toMatch(/^49\.990*$/);
    const row = await http(app).get(`/api/v1/orders/${order.id}`).set(m.auth).expect(200);
    expect(row.body).toMatchObject({
      pay_way: 'X402',
      charge_currency: 'USDC',
      charge_amount: 49.99,
      fx_rate: 1,
    });
    expect(row.body.pay_id).toBe(`x402_${payment.id.replace(/-/g, '')}`);
    // Opening the payment asked the facilitator only for its Solana fee payer, never to verify or settle.
    expect(fake.requestsTo('/supported').length).toBeGreaterThanOrEqual(1);
    expect(facilitatorCalls()).toBe(0);
  });

  it("accepts the README's x402 configuration example as written, and offers its networks", async () => {
    // The body under `PUT /api/v1/providers/x402` in README.md's x402 section, up to the closing fence.
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### x402'));
    const start = section.indexOf('PUT /api/v1/providers/x402');
    expect(start).toBeGreaterThan(0);
    const block = section.slice(start).split('\n').slice(1);
    const body = JSON.parse(
      block
        .slice(
          0,
          block.findIndex((l) => l.trim() === '```'),
        )
        .join('\n'),
    ) as {
      credentials: { pay_to_evm: string; pay_to_solana: string; networks: string[] };
    };
    const who = await newMerchant(app);
    await http(app).put('/api/v1/providers/x402').set(who.auth).send(body).expect(200);
    const order = await newX402Order(who);
    const offered = await offerOf(order);
    expect(offered.map((r) => r.network)).toEqual(body.credentials.networks);
    expect(reqOf(offered, 'base').payTo).toBe(body.credentials.pay_to_evm);
    expect(reqOf(offered, 'solana').payTo).toBe(body.credentials.pay_to_solana);
  });

  it('answers 402 with the exact requirements for each network (v1 body, v2 PAYMENT-REQUIRED header)', async () => {
    const order = await newX402Order();
    for (const method of ['get', 'post'] as const) {
      const res = await http(app)[method](order.path).expect(402);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      const common = {
        scheme: 'exact',
        maxAmountRequired: '49990000',
        resource: order.pay_url,
        description: `Order ${order.id}`,
        mimeType: 'application/json',
        maxTimeoutSeconds: 300,
      };
      expect(res.body).toEqual({
        x402Version: 1,
        error: 'X-PAYMENT header is required',
        accepts: [
          {
            ...common,
            network: 'base',
            payTo: PAY_TO_EVM,
            asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
            extra: { name: 'USD Coin', version: '2' },
          },
          {
            ...common,
            network: 'base-sepolia',
            payTo: PAY_TO_EVM,
            asset: '0x036CbD53842c5426634e7929541eC2318f3dCF7e',
            extra: { name: 'USDC', version: '2' },
          },
          {
            ...common,
            network: 'solana',
            payTo: PAY_TO_SOLANA,
            asset: 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v',
            extra: { feePayer: fake.feePayer },
          },
          {
            ...common,
            network: 'solana-devnet',
            payTo: PAY_TO_SOLANA,
            asset: '4zMMC9srt5Ri5X14GAgXhaHii3GnPAEERYPJgZJDncDU',
            extra: { feePayer: fake.feePayer },
          },
        ],
      });
      const v2 = unb64(res.headers['payment-required']);
      expect(v2).toMatchObject({
        x402Version: 2,
        error: 'X-PAYMENT header is required',
        resource: { url: order.pay_url, description: `Order ${order.id}`, mimeType: 'application/json' },
      });
      expect(v2.accepts.map((a: Record<string, unknown>) => [a.network, a.amount, a.payTo, a.asset])).toEqual(
        [
          ['eip155:8453', '49990000', PAY_TO_EVM, '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913'],
          ['eip155:84532', '49990000', PAY_TO_EVM, '0x036CbD53842c5426634e7929541eC2318f3dCF7e'],
          [
            'solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp',
            '49990000',
            PAY_TO_SOLANA,
            'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v',
          ],
          [
            'solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1',
            '49990000',
            PAY_TO_SOLANA,
            '4zMMC9srt5Ri5X14GAgXhaHii3GnPAEERYPJgZJDncDU',
          ],
        ],
      );
    }
  });

  it('settles a valid payment: 200 with X-PAYMENT-RESPONSE, Finished, credited once; a replay changes nothing', async () => {
    const order = await newX402Order();
    const before = await balance();
    const base = reqOf(await offerOf(order), 'base');
    const payer = fake.wallet();
    const header = evmHeader(payer, base);
    const calls = fake.requests.length;

    const res = await pay(order, header).expect(200);
    const nonce = unb64(header).payload.authorization.nonce as string;
    const landed = fake.transfers.get(nonce)!;
    expect(landed).toMatchObject({ network: 'base', from: payer.address, to: PAY_TO_EVM, value: '49990000' });
    expect(unb64(res.headers['x-payment-response'])).toEqual({
      success: true,
      transaction: landed.transaction,
      network: 'base',
      payer: payer.address,
    });
    expect(res.body).toMatchObject({
      order_id: order.id,
      state: 'Finished',
      paid: true,
      transaction: landed.transaction,
    });

    // The facilitator got exactly /verify then /settle, each with the v1 body for the base requirement.
    const sent = fake.requests.slice(calls);
    expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /verify', 'POST /settle']);
    const expectedBody = { x402Version: 1, paymentPayload: unb64(header), paymentRequirements: base };
    expect(JSON.parse(sent[0].body)).toEqual(expectedBody);
    expect(JSON.parse(sent[1].body)).toEqual(expectedBody);
    expect(sent[1].headers['content-type']).toBe('application/json');

    expect(await orderState(order.id)).toBe('Finished');
    expect(await credits(order.id)).toBe(1);
    expect(await balance()).toBe(before + 500);
    expect((await paymentOf(order.id)).status).toBe('succeeded');

    // The same X-PAYMENT again, and a bare GET: the stored settlement, no facilitator call, no credit.
    const again = await pay(order, header).expect(200);
    expect(unb64(again.headers['x-payment-response'])).toEqual(unb64(res.headers['x-payment-response']));
    const bare = await http(app).get(order.path).expect(200);
    expect(unb64(bare.headers['x-payment-response']).transaction).toBe(landed.transaction);
    expect(fake.requests.length).toBe(calls + 2);
    expect(await credits(order.id)).toBe(1);
    expect(await balance()).toBe(before + 500);

    // The same authorization on another order of the same price: the facilitator refuses the used nonce.
    const other = await newX402Order();
    await offerOf(other);
    const settles = fake.requestsTo('/settle').length;
    const replay = await pay(other, header).expect(402);
    expect(replay.body.error).toBe('invalid_exact_evm_payload_authorization_nonce');
    expect(fake.requestsTo('/settle')).toHaveLength(settles);
    expect(await orderState(other.id)).toBe('Pending');
    expect(await balance()).toBe(before + 500);
  });

  it('settles two simultaneous requests carrying the same payment once, verifying it once', async () => {
    const order = await newX402Order();
    const header = evmHeader(fake.wallet(), reqOf(await offerOf(order), 'base'));
    const verifiesBefore = fake.requestsTo('/verify').length;
    const settlesBefore = fake.requestsTo('/settle').length;
    // The first to take the guard verifies and settles slowly; its twin is recognised before /verify.
    fake.verifyDelayMs = 300;
    fake.settleDelayMs = 300;
    const [a, b] = await Promise.all([pay(order, header), pay(order, header)]);
    expect([a.status, b.status].sort()).toEqual([200, 202]);
    expect(fake.requestsTo('/verify').length - verifiesBefore).toBe(1);
    expect(fake.requestsTo('/settle').length - settlesBefore).toBe(1);
    // Once the first has finished, everyone gets the settlement.
    const later = await http(app).get(order.path).expect(200);
    expect(unb64(later.headers['x-payment-response']).success).toBe(true);
    expect(await credits(order.id)).toBe(1);
    expect(await orderState(order.id)).toBe('Finished');
  });

  it('answers the same X-PAYMENT sent many times at once 200 or 202, never 402 or 410, and settles it once', async () => {
    const nonceOf = (body: string): string =>
      (JSON.parse(body) as { paymentPayload: { payload: { authorization: { nonce: string } } } })
        .paymentPayload.payload.authorization.nonce;
    const ROUNDS = 6;
    const COPIES = 4;
    for (let round = 0; round < ROUNDS; round++) {
      const order = await newX402Order();
      const before = await balance();
      const header = evmHeader(fake.wallet(), reqOf(await offerOf(order), 'base'));
      const nonce = unb64(header).payload.authorization.nonce as string;
      // Copies start a few ms apart, so across rounds they meet the first one at every stage: before
      // its guard, verifying, settling, settled but not yet applied, applied.
      fake.settleDelayMs = 20 * (round % 3);
      const answers = await Promise.all(
        Array.from({ length: COPIES }, async (_, i) => {
          await new Promise((r) => setTimeout(r, ((round + i) % COPIES) * 7 * (round % 2)));
          return pay(order, header);
        }),
      );
      const statuses = answers.map((a) => a.status);
      expect({ round, statuses }).toEqual({
        round,
        statuses: statuses.map((s) => (s === 200 || s === 202 ? s : 'not 200 or 202')),
      });
      expect(statuses).toContain(200);
      for (const a of answers.filter((x) => x.status === 202))
        expect(a.body).toMatchObject({ status: 'pending', order_id: order.id });
      const paid = answers.filter((x) => x.status === 200);
      for (const a of paid) expect(unb64(a.headers['x-payment-response']).success).toBe(true);
      expect(new Set(paid.map((a) => a.body.transaction)).size).toBe(1);

      // One settle of this payment at the facilitator, and asking again is the same 200.
      expect(fake.requestsTo('/settle').filter((r) => nonceOf(r.body) === nonce)).toHaveLength(1);
      const again = await pay(order, header).expect(200);
      expect(again.body.transaction).toBe(fake.transfers.get(nonce)!.transaction);
      expect(await orderState(order.id)).toBe('Finished');
      expect(await credits(order.id)).toBe(1);
      expect(await balance()).toBe(before + 500);
    }
  });

  it('lets exactly one of many racing claims take the settle guard', async () => {
    const order = await newX402Order();
    const payment = await paymentOf(order.id);
    const store = new X402Store(db(app));
    const record = (claim: string) => ({
      claim,
      phase: 'in_flight' as const,
      started_at: new Date().toISOString(),
      request: { x402Version: 1 as const, paymentPayload: {} as never, paymentRequirements: {} as never },
    });
    const claims = Array.from({ length: 8 }, () => randomUUID());
    const won = await Promise.all(claims.map((c) => store.claim(m.tenantId, payment.id, record(c))));
    expect(won.filter(Boolean)).toHaveLength(1);
    const winner = claims[won.indexOf(true)];
    expect((await paymentOf(order.id)).action.settling?.claim).toBe(winner);
    // Another tenant cannot claim it, and only the winner can release it.
    await store.release(
      m.tenantId,
      payment.id,
      claims.find((c) => c !== winner)!,
    );
    expect((await paymentOf(order.id)).action.settling?.claim).toBe(winner);
    await store.release(m.tenantId, payment.id, winner);
    expect(await store.claim(randomUUID(), payment.id, record(randomUUID()))).toBe(false);
    const last = randomUUID();
    expect(await store.claim(m.tenantId, payment.id, record(last))).toBe(true);
    await store.release(m.tenantId, payment.id, last);
    expect((await paymentOf(order.id)).action.settling).toBeUndefined();
  });

  it('refuses a wrong payTo, amount, network, scheme, an expired or not yet valid authorization, and malformed headers, before asking the facilitator', async () => {
    const order = await newX402Order();
    const accepts = await offerOf(order);
    const base = reqOf(accepts, 'base');
    const w = fake.wallet();
    const calls = facilitatorCalls();
    const cases: [string, string | RegExp][] = [
      [
        evmHeader(w, base, { to: `0x${randomBytes(20).toString('hex')}` }),
        /^authorization\.to 0x[0-9a-f]{40} is not the payee/,
      ],
      [
        evmHeader(w, base, { value: '49989999' }),
        'authorization.value 49989999 differs from the required amount 49990000',
      ],
      [evmHeader(w, base, { value: '49990001' }), /differs from the required amount/],
      [evmHeader(w, base, { value: '4999000000000000000000000000' }), /differs from the required amount/],
      [evmHeader(w, base, { validBefore: String(now() - 1) }), 'the authorization has expired (validBefore)'],
      [evmHeader(w, base, { validBefore: String(now() + 3) }), 'the authorization has expired (validBefore)'],
      [
        evmHeader(w, base, { validAfter: String(now() + 60) }),
        'the authorization is not valid yet (validAfter)',
      ],
      [evmHeader(w, base, { value: '49.99' }), 'payload.authorization.value is missing or malformed'],
      [
        b64({ x402Version: 1, scheme: 'exact', network: 'polygon', payload: fake.evmPayload(w, base) }),
        /^network polygon is not offered for this order/,
      ],
      [
        b64({ x402Version: 1, scheme: 'upto', network: 'base', payload: fake.evmPayload(w, base) }),
        'scheme upto is not offered; only exact is',
      ],
      [b64({ x402Version: 1, scheme: 'exact', network: 'solana', payload: {} }), /payload\.transaction/],
      [b64({ x402Version: 1, scheme: 'exact', network: 'base' }), /^the payment header is malformed/],
      ['not base64 at all!', 'the payment header is not base64 JSON'],
    ];
    for (const [header, error] of cases) {
      const res = await pay(order, header).expect(402);
      if (typeof error === 'string') expect(res.body.error).toBe(error);
      else expect(res.body.error).toMatch(error);
      expect(res.body.accepts).toEqual(accepts);
    }
    // v2: the echoed requirement must be the offer's (asset, payTo, amount).
    const v2 = unb64((await http(app).get(order.path).expect(402)).headers['payment-required']);
    const accepted = v2.accepts[0];
    for (const [field, value] of [
      ['asset', '0x0000000000000000000000000000000000000001'],
      ['payTo', `0x${randomBytes(20).toString('hex')}`],
      ['amount', '1'],
    ]) {
      const header = b64({
        x402Version: 2,
        accepted: { ...accepted, [field]: value },
        payload: fake.evmPayload(w, base),
      });
      const res = await pay(order, header, 'PAYMENT-SIGNATURE').expect(402);
      expect(res.body.error).toMatch(new RegExp(`^accepted\\.${field} .* differs from the offer`));
    }
    expect(facilitatorCalls()).toBe(calls);
    expect(await orderState(order.id)).toBe('Pending');
    expect(await paymentOf(order.id)).toMatchObject({ status: 'pending' });

    // A signature for another token passes the local checks; the facilitator's /verify refuses it.
    const wrongAsset = evmHeader(w, base, {}, { asset: '0x036CbD53842c5426634e7929541eC2318f3dCF7e' });
    const settles = fake.requestsTo('/settle').length;
    const refused = await pay(order, wrongAsset).expect(402);
    expect(refused.body.error).toBe('invalid_exact_evm_payload_signature');
    expect(fake.requestsTo('/settle')).toHaveLength(settles);
    expect(await credits(order.id)).toBe(0);
  });

  it('pays with protocol v2 (PAYMENT-SIGNATURE, PAYMENT-RESPONSE) on Base Sepolia', async () => {
    const order = await newX402Order();
    const sepolia = reqOf(await offerOf(order), 'base-sepolia');
    const v2 = unb64((await http(app).get(order.path).expect(402)).headers['payment-required']);
    const accepted = v2.accepts.find((a: { network: string }) => a.network === 'eip155:84532');
    const w = fake.wallet();
    const paymentPayload = {
      x402Version: 2,
      resource: v2.resource,
      accepted,
      payload: fake.evmPayload(w, sepolia),
    };
    const res = await pay(order, b64(paymentPayload), 'PAYMENT-SIGNATURE').expect(200);
    const settle = fake.requestsTo('/settle').at(-1)!;
    expect(JSON.parse(settle.body)).toEqual({
      x402Version: 2,
      paymentPayload,
      paymentRequirements: accepted,
    });
    expect(unb64(res.headers['payment-response'])).toMatchObject({
      success: true,
      network: 'eip155:84532',
      payer: w.address,
    });
    expect(await orderState(order.id)).toBe('Finished');
    expect(await credits(order.id)).toBe(1);
  });

  it('pays on Solana devnet through the facilitator fee payer', async () => {
    const order = await newX402Order();
    const devnet = reqOf(await offerOf(order), 'solana-devnet');
    const w = fake.wallet('svm');
    const header = b64({
      x402Version: 1,
      scheme: 'exact',
      network: 'solana-devnet',
      payload: fake.svmPayload(w, devnet),
    });
    const res = await pay(order, header).expect(200);
    expect(unb64(res.headers['x-payment-response'])).toMatchObject({
      success: true,
      network: 'solana-devnet',
      payer: w.address,
    });
    expect(JSON.parse(fake.requestsTo('/settle').at(-1)!.body).paymentRequirements).toEqual(devnet);
    expect(await credits(order.id)).toBe(1);
  });

  it('lets the payer pay again after the facilitator refuses the settle outright', async () => {
    const order = await newX402Order();
    const base = reqOf(await offerOf(order), 'base');
    const w = fake.wallet();
    fake.settleMode = { refuse: 'insufficient_funds' };
    const refused = await pay(order, evmHeader(w, base)).expect(402);
    expect(refused.body.error).toBe('insufficient_funds');
    expect((await paymentOf(order.id)).action.settling).toBeUndefined();
    fake.settleMode = 'ok';
    await pay(order, evmHeader(w, base)).expect(200);
    expect(await credits(order.id)).toBe(1);
  });

  it.each(['hang', 'fail500'] as const)(
    'leaves a settle that gets no answer (%s) to reconciliation, never asking to pay again',
    async (mode) => {
      const order = await newX402Order();
      const base = reqOf(await offerOf(order), 'base');
      const w = fake.wallet();
      const header = evmHeader(w, base);
      fake.settleMode = mode;
      const res = await pay(order, header);
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ status: 'pending', order_id: order.id });
      const payment = await paymentOf(order.id);
      expect(payment.status).toBe('pending');
      expect(payment.action.settling).toMatchObject({
        phase: 'unknown',
        nonce: unb64(header).payload.authorization.nonce,
        request: { x402Version: 1, paymentRequirements: base },
      });
      expect(await orderState(order.id)).toBe('Pending');
      expect(await credits(order.id)).toBe(0);

      // Asking again, bare or with a fresh payment: still pending, and the facilitator is not asked.
      const calls = facilitatorCalls();
      expect((await http(app).get(order.path)).status).toBe(202);
      expect((await pay(order, evmHeader(w, base))).status).toBe(202);
      expect(facilitatorCalls()).toBe(calls);

      // The facilitator works again: reconciliation sends the same settle and finishes the order.
      fake.settleMode = 'ok';
      const settles = fake.requestsTo('/settle');
      await recon.runOnce({ tenantId: m.tenantId });
      const resent = fake.requestsTo('/settle');
      expect(resent).toHaveLength(settles.length + 1);
      expect(JSON.parse(resent.at(-1)!.body)).toEqual(JSON.parse(settles.at(-1)!.body));
      expect(await orderState(order.id)).toBe('Finished');
      expect(await credits(order.id)).toBe(1);
      const done = await http(app).get(order.path).expect(200);
      expect(unb64(done.headers['x-payment-response'])).toMatchObject({
        success: true,
        transaction: fake.transfers.get(unb64(header).payload.authorization.nonce as string)!.transaction,
      });
    },
  );

  it('keeps a settle that landed but went unanswered pending: neither credited, failed nor expired', async () => {
    const order = await newX402Order();
    const base = reqOf(await offerOf(order), 'base');
    fake.settleMode = 'land-then-hang';
    const header = evmHeader(fake.wallet(), base);
    expect((await pay(order, header)).status).toBe(202);
    expect(fake.transfers.has(unb64(header).payload.authorization.nonce as string)).toBe(true);

    // The re-sent settle meets a used nonce: paymux cannot tell who used it, so it does not guess.
    fake.settleMode = 'ok';
    await recon.runOnce({ tenantId: m.tenantId });
    expect(JSON.parse(fake.requestsTo('/settle').at(-1)!.body).paymentPayload).toEqual(unb64(header));
    expect(await paymentOf(order.id)).toMatchObject({ status: 'pending' });
    expect(await credits(order.id)).toBe(0);

    // Past its expiry the order is not expired either: the money may have moved.
    // Due before anything else: the sweep takes the database's 100 longest-due orders first.
    await db(app).query(`UPDATE orders SET expires_at = now() - interval '10 years' WHERE id = $1`, [
      order.id,
    ]);
    await app.app.get(OrderExpirySweeper).sweepOnce();
    expect(await orderState(order.id)).toBe('Pending');
    // And the payer is still told to wait, not that the order is gone or to pay again.
    expect((await http(app).get(order.path)).status).toBe(202);
  });

  it('answers 404 for unknown orders, 410 for closed ones, and refuses callbacks', async () => {
    await http(app).get(`/api/v1/x402/orders/${randomUUID()}`).expect(404);
    await http(app).get('/api/v1/x402/orders/not-a-uuid').expect(404);
    const cancelled = await newX402Order();
    await http(app).post(`/api/v1/orders/${cancelled.id}/cancel`).set(m.auth).expect(200);
    const res = await http(app).get(cancelled.path).expect(410);
    expect(res.body).toMatchObject({ error: 'the order is Cancelled', state: 'Cancelled' });
    const calls = facilitatorCalls();
    await pay(
      cancelled,
      evmHeader(fake.wallet(), {
        network: 'base',
        payTo: PAY_TO_EVM,
        maxAmountRequired: '49990000',
        asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
        resource: '',
        extra: {},
      }),
    ).expect(410);
    expect(facilitatorCalls()).toBe(calls);
    await http(app).post(`/api/v1/webhooks/x402/${m.tenantId}`).send({ any: 'thing' }).expect(400);
    // x402 has no callbacks: refused alike for this tenant, an unknown one and one without x402.
    expect(await expectOneRefusal(app, 'x402', m.tenantId)).toMatchObject({ status: 400 });
  });

  it('routes USDC on Solana to x402 with only the Solana networks', async () => {
    const res = await http(app)
      .post('/api/v1/orders')
      .set(m.auth)
      .send({
        application_id: m.applicationId,
        package_id: m.packageId,
        pay_way: 'Crypto',
        pay_currency: 'USDC',
        chain: 'solana',
      })
      .expect(201);
    expect(res.body.pay_way).toBe('X402');
    const accepts = await offerOf({
      id: res.body.id,
      pay_url: res.body.pay_url,
      path: new URL(res.body.pay_url).pathname,
    });
    expect(accepts.map((a) => a.network)).toEqual(['solana', 'solana-devnet']);
  });

  it("answers the payer a stable code and a short message, never the facilitator's own answer", async () => {
    const LEAK = 'internal-only: db password=hunter2 <html><body>stack trace at 10.0.0.5</body></html>';
    // A tenant's facilitator that answers with whatever it likes (an internal service, say).
    let answers: Record<string, { status: number; body: string }> = {};
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const a = answers[(req.url ?? '').split('?')[0]] ?? { status: 404, body: LEAK };
        res.writeHead(a.status, { 'content-type': 'text/html' }).end(a.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const other = await newMerchant(app);
      await http(app)
        .put('/api/v1/providers/x402')
        .set(other.auth)
        .send({
          enabled: true,
          mode: 'test',
          credentials: {
            pay_to_evm: PAY_TO_EVM,
            networks: ['base'],
            facilitator_url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
          },
        })
        .expect(200);
      const order = await newX402Order(other);
      const base = reqOf(await offerOf(order), 'base');
      const leaks = (res: { text: string; headers: Record<string, unknown> }): boolean =>
        `${res.text}${JSON.stringify(res.headers)}`.includes('hunter2');

      // /verify fails with a 500 and a body of its own.
      answers = { '/verify': { status: 500, body: LEAK } };
      const unverified = await pay(order, evmHeader(fake.wallet(), base)).expect(502);
      expect(unverified.body).toEqual({
        x402Version: 1,
        code: 'provider_unavailable',
        error: 'the facilitator could not verify the payment; nothing was charged, try again later',
      });
      expect(leaks(unverified)).toBe(false);

      // /settle refuses the request itself (a 4xx that is no settle answer): nothing moved.
      answers = {
        '/verify': { status: 200, body: JSON.stringify({ isValid: true, payer: '0x' }) },
        '/settle': { status: 400, body: LEAK },
      };
      const unsettled = await pay(order, evmHeader(fake.wallet(), base)).expect(502);
      expect(unsettled.body).toEqual({
        x402Version: 1,
        code: 'provider_rejected',
        error: 'the facilitator could not settle the payment; nothing was charged, try again later',
      });
      expect(leaks(unsettled)).toBe(false);
      expect((await paymentOf(order.id)).action.settling).toBeUndefined();

      // A refusal reason that is not a reason code is not passed on either.
      answers = { '/verify': { status: 200, body: JSON.stringify({ isValid: false, invalidReason: LEAK }) } };
      const invalid = await pay(order, evmHeader(fake.wallet(), base)).expect(402);
      expect(invalid.body.error).toBe('invalid_payment');
      expect(leaks(invalid)).toBe(false);
      answers = {
        '/verify': { status: 200, body: JSON.stringify({ isValid: true, payer: '0x' }) },
        '/settle': {
          status: 200,
          body: JSON.stringify({
            success: false,
            errorReason: `invalid_${LEAK}`,
            transaction: '',
            network: 'base',
          }),
        },
      };
      const failed = await pay(order, evmHeader(fake.wallet(), base)).expect(402);
      expect(failed.body.error).toBe('settle_failed');
      expect(leaks(failed)).toBe(false);
      expect(await orderState(order.id, other)).toBe('Pending');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("uses the tenant's facilitator_url, and fills in a Solana fee payer it could not read at creation", async () => {
    const own = await new X402FacilitatorFake().start();
    try {
      const other = await newMerchant(app);
      await configure(other, { facilitator_url: own.url });
      own.supportedMode = 'fail500';
      const order = await newX402Order(other);
      expect(own.requestsTo('/supported')).toHaveLength(1);
      expect(reqOf((await paymentOf(order.id)).action.requirements, 'solana').extra).toEqual({});
      own.supportedMode = 'ok';
      const solana = reqOf(await offerOf(order), 'solana');
      expect(solana.extra).toEqual({ feePayer: own.feePayer });

      const calls = facilitatorCalls();
      const w = own.wallet('svm');
      const header = b64({
        x402Version: 1,
        scheme: 'exact',
        network: 'solana',
        payload: own.svmPayload(w, solana),
      });
      await pay(order, header).expect(200);
      expect(own.requestsTo('/verify')).toHaveLength(1);
      expect(own.requestsTo('/settle')).toHaveLength(1);
      expect(facilitatorCalls()).toBe(calls);
      expect(await orderState(order.id, other)).toBe('Finished');
    } finally {
      await own.stop();
    }
  });
});
