import { isIP } from 'node:net';

/** TRUST_PROXY as parsed: off, a hop count, or the trusted proxies' addresses. */
export type TrustProxy = false | number | string[];

/** proxy-addr's trust test: whether the address `hop` steps from the socket (0: the socket's) is ours. */
type TrustHop = (address: string, hop: number) => boolean;

/**
 * What Fastify's `trustProxy` is given for TRUST_PROXY. Fastify 5.12 no longer honours a bare hop
 * count (it trusts no hop then), so a hop count goes as the trust test Fastify used to build from it:
 * the socket's address and the next `hops - 1` X-Forwarded-For entries are our proxies, and the entry
 * before them is the client. Like any hop count, this holds only while paymux is reachable through
 * those proxies alone (README, "TRUST_PROXY").
 */
export function fastifyTrustProxy(tp: TrustProxy): false | string[] | TrustHop {
  if (typeof tp !== 'number') return tp;
  const hops = tp;
  return (_address, hop) => hop < hops;
}

/** proxy-addr's names for address ranges, which Fastify accepts beside addresses and CIDRs. */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isAddressOrCidr(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  const [addr, prefix, ...rest] = entry.split('/');
  const family = isIP(addr);
  if (!family || rest.length > 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * TRUST_PROXY: `false` (default: the socket's address is the client), a hop count (`1`: one proxy
 * of ours in front, the client is the right-most X-Forwarded-For entry it added), or a
 * comma-separated list of our proxies' addresses or CIDRs. `true` is refused: it trusts every hop,
 * so a client picks its own address with X-Forwarded-For and escapes the per-address limits.
 */
export function parseTrustProxy(raw: string | undefined): { value: TrustProxy } | { problem: string } {
  const v = (raw ?? '').trim().toLowerCase();
  if (v === '' || ['false', 'off', 'no', '0'].includes(v)) return { value: false };
  if (['true', 'on', 'yes'].includes(v)) {
    return {
      problem:
        'true would trust every X-Forwarded-For hop, so any client could choose its own address and escape ' +
        'the per-address login and registration limits; set a hop count, the number of proxies in front of ' +
        'paymux (e.g. TRUST_PROXY=1 behind one load balancer) or their addresses/CIDRs (e.g. TRUST_PROXY=10.0.0.0/8)',
    };
  }
  if (/^\d+$/.test(v)) {
    const hops = Number(v);
    if (hops > 32) return { problem: 'a hop count must be between 0 and 32' };
    return { value: hops };
  }
  const entries = v
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e.length > 0);
  const bad = entries.filter((e) => !isAddressOrCidr(e));
  if (entries.length === 0 || bad.length > 0) {
    return {
      problem:
        `${bad.map((b) => JSON.stringify(b)).join(', ') || 'the list'} is not an IP address or CIDR; use false, ` +
        'a hop count (e.g. 1) or a comma-separated list of proxy addresses/CIDRs (e.g. 10.0.0.0/8,127.0.0.1)',
    };
  }
  return { value: entries };
}
