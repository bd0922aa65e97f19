import Stripe from 'stripe';
import { NotificationRejected, ProviderError } from '../../contract/payment-provider';
import { fromStripeAmount, toStripeAmount } from './stripe.amount';
import { stripeError } from './stripe.client';
import { stripeV1Signature, verifyStripeEvent } from './stripe.signing';

describe('Stripe webhook signature', () => {
  // docs/providers.md's vector; also what `printf '1700000000.{"id":"evt_test","object":"event"}' |
  // openssl dgst -sha256 -hmac whsec_test_secret` prints.
  const secret = 'whsec_test_secret';
  const t = 1700000000;
  const body = Buffer.from('{"id":"evt_test","object":"event"}');
  const expected = '8042376f6ca064adbe037642a718227dfd59047137eb49497a54c49eb0cfb724';

  it('computes the known answer', () => {
    expect(stripeV1Signature(secret, t, body)).toBe(expected);
  });

  it('accepts the known header within the tolerance, at either edge', () => {
    expect(() => verifyStripeEvent(`t=${t},v1=${expected}`, body, secret, t)).not.toThrow();
    expect(() => verifyStripeEvent(`t=${t},v1=${expected}`, body, secret, t + 300)).not.toThrow();
    expect(() => verifyStripeEvent(`t=${t},v1=${expected}`, body, secret, t - 300)).not.toThrow();
  });

  it('accepts when any of several v1 signatures matches (secret rolling), ignoring v0', () => {
    const header = `t=${t},v1=${'0'.repeat(64)},v0=${'1'.repeat(64)},v1=${expected}`;
    expect(() => verifyStripeEvent(header, body, secret, t)).not.toThrow();
  });

  it('accepts what stripe-node signs, and stripe-node accepts what the vector says', () => {
    const payload = JSON.stringify({ id: 'evt_1', object: 'event', type: 'checkout.session.completed' });
    const now = Math.floor(Date.now() / 1000);
    const header = new Stripe('sk_test_x').webhooks.generateTestHeaderString({
      payload,
      secret,
      timestamp: now,
    });
    expect(() => verifyStripeEvent(header, Buffer.from(payload), secret, now)).not.toThrow();
    const event = new Stripe('sk_test_x').webhooks.constructEvent(
      body,
      `t=${t},v1=${expected}`,
      secret,
      300,
      undefined,
      t * 1000,
    );
    expect(event.id).toBe('evt_test');
  });

  it.each<[string, string | string[] | undefined, number]>([
    ['stale', `t=${t},v1=${expected}`, t + 301],
    ['from the future', `t=${t},v1=${expected}`, t - 301],
    ['signed with another secret', `t=${t},v1=${stripeV1Signature('whsec_other', t, body)}`, t],
    ['with another timestamp in the header', `t=${t + 1},v1=${expected}`, t],
    ['with only v0', `t=${t},v0=${expected}`, t],
    ['with no timestamp', `v1=${expected}`, t],
    ['with two timestamps', `t=${t},t=${t},v1=${expected}`, t],
    ['with a non-numeric timestamp', `t=17e8,v1=${expected}`, t],
    ['with an upper-case signature', `t=${t},v1=${expected.toUpperCase()}`, t],
    ['malformed', 'garbage', t],
    ['empty', '', t],
    ['missing', undefined, t],
    ['repeated as an array', [`t=${t},v1=${expected}`], t],
  ])('rejects a header %s', (_name, header, now) => {
    expect(() => verifyStripeEvent(header, body, secret, now)).toThrow(NotificationRejected);
  });

  it('rejects a body changed by one byte', () => {
    const changed = Buffer.from('{"id":"evt_tesT","object":"event"}');
    expect(() => verifyStripeEvent(`t=${t},v1=${expected}`, changed, secret, t)).toThrow(
      'Stripe-Signature does not match',
    );
  });

  it('rejects everything when no webhook secret is configured', () => {
    expect(() => verifyStripeEvent(`t=${t},v1=${stripeV1Signature('', t, body)}`, body, '', t)).toThrow(
      NotificationRejected,
    );
  });
});

describe('Stripe amounts', () => {
  it.each([
    ['USD', '49.99', 4999],
    ['EUR', '0.50', 50],
    ['JPY', '500', 500],
    ['VND', '25000', 25000],
    ['THB', '100', 10000],
    ['IDR', '15000', 1500000],
  ])('%s %s is unit_amount %i and back', (currency, amount, minor) => {
    expect(toStripeAmount(currency, amount)).toBe(minor);
    expect(fromStripeAmount(currency, minor)).toBe(amount);
  });

  it('never rounds: sub-unit amounts are refused going out and shown unrounded coming in', () => {
    expect(() => toStripeAmount('USD', '1.005')).toThrow(/minor units/);
    expect(() => toStripeAmount('JPY', '1.5')).toThrow(/minor units/);
    expect(fromStripeAmount('THB', 10050)).toBe('100.5');
  });
});

describe('Stripe SDK errors', () => {
  const raw = (type: string, statusCode: number | undefined, message: string, code?: string) =>
    ({ type, statusCode, message, code }) as Parameters<typeof Stripe.errors.StripeError.generate>[0];

  const gen = (type: string, status: number, message: string, code?: string) =>
    Stripe.errors.StripeError.generate(raw(type, status, message, code));
  const connection = (message: string, code: string) =>
    new Stripe.errors.StripeConnectionError({
      message,
      detail: Object.assign(new Error(code), { code }),
    });

  it.each<[string, ProviderError['kind'], Error]>([
    ['401', 'credentials', gen('invalid_request_error', 401, 'Invalid API Key')],
    ['403', 'credentials', gen('invalid_request_error', 403, 'no permission')],
    ['400', 'rejected', gen('invalid_request_error', 400, 'bad', 'parameter_missing')],
    ['429', 'unavailable', gen('invalid_request_error', 429, 'slow down', 'rate_limit')],
    ['500', 'unavailable', gen('api_error', 500, 'An unknown error occurred')],
    [
      'unreadable answer',
      'unavailable',
      new Stripe.errors.StripeAPIError({ message: 'Invalid JSON received from the Stripe API' }),
    ],
    [
      'socket timeout',
      'timeout',
      connection('Request aborted due to timeout being reached (800ms)', 'ETIMEDOUT'),
    ],
    [
      'connection refused',
      'unavailable',
      connection('An error occurred with our connection to Stripe.', 'ECONNREFUSED'),
    ],
  ])('%s is %s', (_name, kind, err) => {
    const mapped = stripeError(err);
    expect(mapped).toBeInstanceOf(ProviderError);
    expect(mapped).toMatchObject({ kind, message: err.message });
  });

  it('keeps Stripe code', () => {
    const mapped = stripeError(gen('invalid_request_error', 404, 'No such', 'resource_missing'));
    expect(mapped).toMatchObject({ kind: 'rejected', providerCode: 'resource_missing' });
  });

  it('leaves errors that are not Stripe errors alone', () => {
    const e = new TypeError('bug');
    expect(stripeError(e)).toBe(e);
  });
});
