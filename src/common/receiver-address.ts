import { isIP } from 'node:net';

/**
 * Loopback, private, link-local, CGNAT, unique-local, multicast, unspecified and special-purpose
 * addresses (IETF protocol assignments 192.0.0.0/24, benchmarking 198.18.0.0/15; in IPv6 every
 * IPv4-mapped address, 6to4 2002::/16, Teredo 2001::/32 and local-use NAT64 64:ff9b:1::/48, which carry
 * an IPv4 address).
 */
export function isPrivateAddress(ip: string): boolean {
  const v = isIP(ip);
  if (v === 4) {
    const [a, b] = ip.split('.').map(Number);
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 192 && b === 0 && ip.split('.')[2] === '0') || // 192.0.0.0/24
      (a === 198 && (b === 18 || b === 19)) || // 198.18.0.0/15
      a >= 224
    );
  }
  if (v === 6) {
    const g = ipv6Groups(ip);
    if (!g) return true;
    const zeros = (n: number): boolean => g.slice(0, n).every((x) => x === 0);
    const v4 = `${g[6] >> 8}.${g[6] & 255}.${g[7] >> 8}.${g[7] & 255}`;
    if (zeros(8) || (zeros(7) && g[7] === 1)) return true; // :: and ::1
    // An IPv4 address inside IPv6, however it is written (`::ffff:127.0.0.1` is `::ffff:7f00:1`):
    // mapped (::ffff:0:0/96) is never a tenant's public receiver, and is refused whole (so is 6to4,
    // 2002::/16, and local-use NAT64, 64:ff9b:1::/48); compatible (::/96) and well-known NAT64
    // (64:ff9b::/96) reach the IPv4 address.
    if (zeros(5) && g[5] === 0xffff) return true;
    if (g[0] === 0x2002) return true;
    if (g[0] === 0x2001 && g[1] === 0) return true; // Teredo 2001::/32 (carries an IPv4 address)
    if (g[0] === 0x64 && g[1] === 0xff9b && g[2] === 1) return true;
    if (zeros(6)) return isPrivateAddress(v4);
    if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return isPrivateAddress(v4);
    return (
      (g[0] & 0xfe00) === 0xfc00 || // unique local fc00::/7
      (g[0] & 0xffc0) === 0xfe80 || // link-local fe80::/10
      (g[0] & 0xffc0) === 0xfec0 || // site-local fec0::/10 (deprecated)
      (g[0] & 0xff00) === 0xff00 // multicast ff00::/8
    );
  }
  return true;
}

/** The eight 16-bit groups of an IPv6 address (a trailing dotted IPv4 part counts as two), or null. */
function ipv6Groups(ip: string): number[] | null {
  let x = ip.toLowerCase().replace(/%.*$/, '');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(x);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number);
    x = `${x.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = x.split('::');
  if (halves.length > 2) return null;
  const part = (h: string): string[] => (h === '' ? [] : h.split(':'));
  const head = part(halves[0]);
  const tail = halves.length === 2 ? part(halves[1]) : [];
  const fill = 8 - head.length - tail.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? fill : 0).fill('0'), ...tail];
  if (!groups.every((h) => /^[0-9a-f]{1,4}$/.test(h))) return null;
  return groups.map((h) => parseInt(h, 16));
}

/** `localhost`, `localhost.` or a name under it: loopback by definition (RFC 6761), never looked up. */
export function isLoopbackName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/**
 * A URL whose host is, literally, a loopback name or a private address: refused when a merchant
 * gives it, before any lookup (a name is checked again at each call, by TenantUrlClient).
 */
export function isLiteralPrivateHost(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return false;
  }
  return isLoopbackName(host) || (isIP(host) !== 0 && isPrivateAddress(host));
}
