import { fastifyTrustProxy, parseTrustProxy } from './trust-proxy';

describe('TRUST_PROXY', () => {
  it('is off by default and for false/0', () => {
    for (const v of [undefined, '', 'false', 'off', '0'])
      expect(parseTrustProxy(v)).toEqual({ value: false });
  });

  it('takes a hop count or addresses/CIDRs', () => {
    expect(parseTrustProxy('1')).toEqual({ value: 1 });
    expect(parseTrustProxy(' 2 ')).toEqual({ value: 2 });
    expect(parseTrustProxy('10.0.0.0/8, 127.0.0.1,::1,fd00::/8,loopback')).toEqual({
      value: ['10.0.0.0/8', '127.0.0.1', '::1', 'fd00::/8', 'loopback'],
    });
  });

  it('refuses true (every hop trusted) saying what to use instead, and anything else unclear', () => {
    expect(parseTrustProxy('true')).toEqual({ problem: expect.stringMatching(/hop count.*TRUST_PROXY=1/s) });
    for (const v of ['10.0.0.0/33', 'proxy.internal', '1.2.3', '10.0.0.1/8/1', '99'])
      expect(parseTrustProxy(v)).toHaveProperty('problem');
  });

  it('gives Fastify a hop count as a trust test of the first hops (5.12 ignores a bare number)', () => {
    const twoHops = fastifyTrustProxy(2);
    if (typeof twoHops !== 'function') throw new Error('a hop count must become a trust test');
    expect([0, 1, 2, 3].map((hop) => twoHops('10.0.0.1', hop))).toEqual([true, true, false, false]);
    expect(fastifyTrustProxy(false)).toBe(false);
    expect(fastifyTrustProxy(['10.0.0.0/8'])).toEqual(['10.0.0.0/8']);
  });
});
