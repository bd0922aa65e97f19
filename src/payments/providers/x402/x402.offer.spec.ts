import { buildRequirements, checkPayment, configuredNetworks, OfferInput, paymentKeyOf } from './x402.offer';
import { payUrlFromCheckout, settleRefusalIsFinal, verdictOfResettle, X402Provider } from './x402.provider';
import {
  decodePaymentHeader,
  DecodedPayment,
  PaymentRefused,
  paymentRequiredHeader,
  paymentResponseHeader,
  settledValue,
  toV2,
} from './x402.wire';

/**
 * x402 signs nothing itself (the payer signs, the facilitator verifies); what paymux owns is the
 * base64-JSON header encoding, the requirements it offers and the checks it makes before settling.
 * The base64 vectors below were computed independently with the shell:
 *   printf '%s' '<json>' | base64 -w0
 */
const EVM_PAY_TO = '0x2222222222222222222222222222222222222222';
const SOL_PAY_TO = '9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin';

const X_PAYMENT_VECTOR =
  'eyJ4NDAyVmVyc2lvbiI6MSwic2NoZW1lIjoiZXhhY3QiLCJuZXR3b3JrIjoiYmFzZSIsInBheWxvYWQiOnsic2lnbmF0dXJlIjoiMHgxYiIsImF1dGhvcml6YXRpb24iOnsiZnJvbSI6IjB4MTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMSIsInRvIjoiMHgyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyIiwidmFsdWUiOiIxNTAwMDAwIiwidmFsaWRBZnRlciI6IjAiLCJ2YWxpZEJlZm9yZSI6IjIwMDAwMDAwMDAiLCJub25jZSI6IjB4MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMyJ9fX0=';
const RESPONSE_VECTOR =
  'eyJzdWNjZXNzIjp0cnVlLCJ0cmFuc2FjdGlvbiI6IjB4YWJjIiwibmV0d29yayI6ImJhc2UiLCJwYXllciI6IjB4MTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMSJ9';

const authorization = {
  from: '0x1111111111111111111111111111111111111111',
  to: EVM_PAY_TO,
  value: '1500000',
  validAfter: '0',
  validBefore: '2000000000',
  nonce: `0x${'3'.repeat(64)}`,
};

const input = (over: Partial<OfferInput> = {}): OfferInput => ({
  amountAtomic: '1500000',
  resource: 'https://pay.example/api/v1/x402/orders/o-1',
  description: 'Order o-1',
  maxTimeoutSeconds: 300,
  networks: 'base,base-sepolia,solana,solana-devnet',
  payToEvm: EVM_PAY_TO,
  payToSolana: SOL_PAY_TO,
  feePayers: { solana: 'FeePayerMain', 'solana-devnet': 'FeePayerDev' },
  ...over,
});

describe('x402 wire encodings', () => {
  it('decodes the X-PAYMENT known-answer vector with the core schema', () => {
    expect(decodePaymentHeader(X_PAYMENT_VECTOR)).toEqual({
      x402Version: 1,
      payload: {
        x402Version: 1,
        scheme: 'exact',
        network: 'base',
        payload: { signature: '0x1b', authorization },
      },
    });
  });

  it('encodes X-PAYMENT-RESPONSE as the known-answer vector', () => {
    expect(
      paymentResponseHeader({
        success: true,
        transaction: '0xabc',
        network: 'base',
        payer: '0x1111111111111111111111111111111111111111',
      }),
    ).toBe(RESPONSE_VECTOR);
  });

  it('refuses headers that are not base64 JSON or not a payment payload', () => {
    expect(() => decodePaymentHeader('%%%')).toThrow(PaymentRefused);
    expect(() => decodePaymentHeader(Buffer.from('{"x402Version":3}').toString('base64'))).toThrow(
      /malformed/,
    );
    expect(() =>
      decodePaymentHeader(
        Buffer.from('{"x402Version":1,"scheme":"exact","network":"base"}').toString('base64'),
      ),
    ).toThrow(/payload/);
  });

  it('builds the v2 PAYMENT-REQUIRED header from the v1 requirements', () => {
    const reqs = buildRequirements(input({ networks: 'base,solana' }));
    const decoded = JSON.parse(Buffer.from(paymentRequiredHeader(reqs, 'pay'), 'base64').toString('utf8'));
    expect(decoded).toEqual({
      x402Version: 2,
      error: 'pay',
      resource: { url: input().resource, description: 'Order o-1', mimeType: 'application/json' },
      accepts: [
        {
          scheme: 'exact',
          network: 'eip155:8453',
          amount: '1500000',
          asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
          payTo: EVM_PAY_TO,
          maxTimeoutSeconds: 300,
          extra: { name: 'USD Coin', version: '2' },
        },
        {
          scheme: 'exact',
          network: 'solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp',
          amount: '1500000',
          asset: 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v',
          payTo: SOL_PAY_TO,
          maxTimeoutSeconds: 300,
          extra: { feePayer: 'FeePayerMain' },
        },
      ],
    });
  });
});

describe('x402 requirements', () => {
  it('offers one exact USDC requirement per configured network, with its asset and extra', () => {
    const reqs = buildRequirements(input());
    const common = {
      scheme: 'exact',
      maxAmountRequired: '1500000',
      resource: input().resource,
      description: 'Order o-1',
      mimeType: 'application/json',
      maxTimeoutSeconds: 300,
    };
    expect(reqs).toEqual([
      {
        ...common,
        network: 'base',
        payTo: EVM_PAY_TO,
        asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
        extra: { name: 'USD Coin', version: '2' },
      },
      {
        ...common,
        network: 'base-sepolia',
        payTo: EVM_PAY_TO,
        asset: '0x036CbD53842c5426634e7929541eC2318f3dCF7e',
        extra: { name: 'USDC', version: '2' },
      },
      {
        ...common,
        network: 'solana',
        payTo: SOL_PAY_TO,
        asset: 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v',
        extra: { feePayer: 'FeePayerMain' },
      },
      {
        ...common,
        network: 'solana-devnet',
        payTo: SOL_PAY_TO,
        asset: '4zMMC9srt5Ri5X14GAgXhaHii3GnPAEERYPJgZJDncDU',
        extra: { feePayer: 'FeePayerDev' },
      },
    ]);
  });

  it('skips networks without an address, unknown names and duplicates; filters by routed chain', () => {
    expect(buildRequirements(input({ payToSolana: undefined })).map((r) => r.network)).toEqual([
      'base',
      'base-sepolia',
    ]);
    expect(configuredNetworks(' Solana ,polygon,base,solana')).toEqual(['solana', 'base']);
    expect(configuredNetworks('base,base-sepolia,solana', 'SOL')).toEqual(['solana']);
    // An unknown fee payer is left out rather than guessed.
    expect(buildRequirements(input({ networks: 'solana', feePayers: {} }))[0].extra).toEqual({});
  });

  it('derives the pay_url from the checkout URL like PaymentsService.payUrlOf', () => {
    expect(payUrlFromCheckout('https://pay.example/checkout/abc', 'abc')).toBe(
      'https://pay.example/api/v1/x402/orders/abc',
    );
    expect(payUrlFromCheckout('https://pay.example/base/checkout/abc', 'abc')).toBe(
      'https://pay.example/base/api/v1/x402/orders/abc',
    );
  });

  it('supports USDC on the four networks and on routing chains BASE and SOL / SOLANA', () => {
    const p = new X402Provider(undefined as never);
    for (const network of [
      undefined,
      'base',
      'Base-Sepolia',
      'solana',
      'solana-devnet',
      'BASE',
      'SOL',
      'solana',
    ])
      expect(p.supports({ method: 'x402', currency: 'usdc', network })).toBe(true);
    expect(p.supports({ method: 'x402', currency: 'USDT', network: 'base' })).toBe(false);
    expect(p.supports({ method: 'x402', currency: 'USDC', network: 'TRON' })).toBe(false);
    expect(p.supports({ method: 'sandbox', currency: 'USDC' })).toBe(false);
  });
});

describe('x402 checks before settling', () => {
  const offer = buildRequirements(input());
  const NOW = 1_900_000_000;
  const v1 = (
    auth: Partial<typeof authorization> = {},
    over: Record<string, unknown> = {},
  ): DecodedPayment => ({
    x402Version: 1,
    payload: {
      x402Version: 1,
      scheme: 'exact',
      network: 'base',
      payload: { signature: `0x${'ab'.repeat(65)}`, authorization: { ...authorization, ...auth } },
      ...over,
    },
  });

  it('accepts a matching authorization (payTo compared case-insensitively) and returns its requirement', () => {
    const checked = checkPayment(v1({ to: EVM_PAY_TO.toUpperCase().replace('0X', '0x') }), offer, NOW);
    expect(checked).toEqual({
      requirement: offer[0],
      value: '1500000',
      payer: authorization.from,
      nonce: authorization.nonce,
    });
  });

  it.each([
    ['another recipient', { to: `0x${'4'.repeat(40)}` }, /is not the payee/],
    ['one atomic unit less', { value: '1499999' }, /differs from the required amount 1500000/],
    ['one atomic unit more', { value: '1500001' }, /differs from the required amount/],
    ['a value beyond 2^53', { value: '9007199254740993000000' }, /differs from the required amount/],
    ['a decimal value', { value: '1.5' }, /value is missing or malformed/],
    ['an expired authorization', { validBefore: String(NOW) }, /expired/],
    ['one expiring within the margin', { validBefore: String(NOW + 6) }, /expired/],
    ['one not valid yet', { validAfter: String(NOW + 1) }, /not valid yet/],
    ['a short nonce', { nonce: '0x01' }, /nonce is missing or malformed/],
  ])('refuses %s', (_name, auth, error) => {
    expect(() => checkPayment(v1(auth), offer, NOW)).toThrow(error);
  });

  it('accepts validBefore just past the margin, and exact BigInt equality of large amounts', () => {
    expect(() => checkPayment(v1({ validBefore: String(NOW + 7) }), offer, NOW)).not.toThrow();
    const big = buildRequirements(input({ amountAtomic: '9007199254740993000000', networks: 'base' }));
    expect(checkPayment(v1({ value: '9007199254740993000000' }), big, NOW).value).toBe(
      '9007199254740993000000',
    );
  });

  it('refuses another scheme, an unoffered network and a Solana payment without a transaction', () => {
    expect(() => checkPayment(v1({}, { scheme: 'upto' }), offer, NOW)).toThrow(/only exact/);
    expect(() => checkPayment(v1({}, { network: 'avalanche' }), offer, NOW)).toThrow(/not offered/);
    const onlyBase = offer.slice(0, 1);
    expect(() => checkPayment(v1({}, { network: 'solana' }), onlyBase, NOW)).toThrow(/not offered/);
    expect(() => checkPayment(v1({}, { network: 'solana', payload: {} }), offer, NOW)).toThrow(/transaction/);
    expect(
      checkPayment(v1({}, { network: 'solana', payload: { transaction: 'AQID' } }), offer, NOW).requirement
        .network,
    ).toBe('solana');
  });

  it('v2: the echoed requirement must be the offer (network in CAIP-2, asset, amount, payTo)', () => {
    const accepted = toV2(offer[0]);
    const v2 = (over: Record<string, unknown>): DecodedPayment => ({
      x402Version: 2,
      payload: {
        x402Version: 2,
        accepted: { ...accepted, ...over },
        payload: { signature: '0x1b', authorization },
      },
    });
    expect(checkPayment(v2({}), offer, NOW).requirement).toBe(offer[0]);
    expect(() => checkPayment(v2({ asset: '0xdead' }), offer, NOW)).toThrow(/accepted\.asset/);
    expect(() => checkPayment(v2({ amount: '1' }), offer, NOW)).toThrow(/accepted\.amount/);
    expect(() => checkPayment(v2({ network: 'eip155:1' }), offer, NOW)).toThrow(/not offered/);
  });

  it('keys a payment by payer and nonce (EVM) or by its transaction (Solana), whatever else differs', () => {
    const keyOf = (d: DecodedPayment): string => paymentKeyOf(d, checkPayment(d, offer, NOW));
    const first = keyOf(v1());
    expect(keyOf(v1({ from: authorization.from.toUpperCase().replace('0X', '0x') }))).toBe(first);
    expect(keyOf(v1({}, { payload: { signature: '0x1b', authorization } }))).toBe(first);
    expect(keyOf(v1({ nonce: `0x${'4'.repeat(64)}` }))).not.toBe(first);
    expect(keyOf(v1({ from: '0x2222222222222222222222222222222222222222' }))).not.toBe(first);
    const sol = (transaction: string): DecodedPayment =>
      v1({}, { network: 'solana', payload: { transaction } });
    expect(keyOf(sol('AQID'))).toBe(keyOf(sol('AQID')));
    expect(keyOf(sol('AQID'))).not.toBe(keyOf(sol('AQIE')));
  });
});

describe('x402 settle outcomes', () => {
  it('treats only refusals that prove nothing moved as final', () => {
    expect(settleRefusalIsFinal('insufficient_funds')).toBe(true);
    expect(settleRefusalIsFinal('invalid_exact_evm_payload_signature')).toBe(true);
    expect(settleRefusalIsFinal('unexpected_settle_error')).toBe(false);
    expect(settleRefusalIsFinal('settle_exact_svm_transaction_confirmation_timed_out')).toBe(false);
    expect(settleRefusalIsFinal('something_new')).toBe(false);
    expect(settleRefusalIsFinal(undefined)).toBe(false);
  });

  it('decides a re-sent settle: success, a payload fault, or unknown (used nonce, expiry)', () => {
    const answer = (success: boolean, errorReason?: string) => ({
      success,
      errorReason,
      transaction: '',
      network: 'base',
    });
    expect(verdictOfResettle(answer(true))).toBe('succeeded');
    expect(verdictOfResettle(answer(false, 'invalid_exact_evm_payload_signature'))).toBe('failed');
    expect(verdictOfResettle(answer(false, 'invalid_exact_evm_payload_authorization_nonce'))).toBe('pending');
    expect(verdictOfResettle(answer(false, 'invalid_exact_evm_payload_authorization_valid_before'))).toBe(
      'pending',
    );
    expect(verdictOfResettle(answer(false, 'insufficient_funds'))).toBe('pending');
    expect(verdictOfResettle(answer(false))).toBe('pending');
  });

  it('takes the settled value from the answer, else the authorization, else the requirement', () => {
    const requirement = buildRequirements(input({ networks: 'base' }))[0];
    const request = {
      x402Version: 1 as const,
      paymentPayload: {
        x402Version: 1 as const,
        scheme: 'exact',
        network: 'base',
        payload: { authorization },
      },
      paymentRequirements: requirement,
    };
    expect(settledValue(request, { success: true, transaction: '', network: 'base', amount: '7' })).toBe('7');
    expect(settledValue({ ...request, paymentPayload: { ...request.paymentPayload, payload: {} } })).toBe(
      '1500000',
    );
    expect(
      settledValue({
        ...request,
        paymentPayload: {
          ...request.paymentPayload,
          payload: { authorization: { ...authorization, value: '9' } },
        },
      }),
    ).toBe('9');
  });
});
