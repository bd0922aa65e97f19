import { isLiteralPrivateHost, isPrivateAddress } from './receiver-address';

describe('private and loopback addresses', () => {
  it('sees IPv4 inside IPv6 (mapped or compatible), in dotted or hex form', () => {
    for (const ip of [
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:a9fe:a9fe',
      '::ffff:0a00:0001',
      '::7f00:1',
      '::127.0.0.1',
    ])
      expect([ip, isPrivateAddress(ip)]).toEqual([ip, true]);
    for (const ip of ['2606:4700::1111', '8.8.8.8', '64:ff9b::808:808', '::8.8.8.8'])
      expect([ip, isPrivateAddress(ip)]).toEqual([ip, false]);
  });

  it('refuses the special-purpose ranges that reach IPv4 or are not the internet', () => {
    for (const ip of [
      // IPv4-mapped ::ffff:0:0/96, whole: a mapped public address is no tenant's receiver either.
      '::ffff:7f00:0001',
      '0:0:0:0:0:ffff:7f00:1',
      '::ffff:808:808',
      '::ffff:8.8.8.8',
      // 6to4 2002::/16, here with 127.0.0.1 and 10.0.0.1 inside, and with a public one.
      '2002:7f00:1::1',
      '2002:a00:1::',
      '2002:808:808::1',
      // Local-use NAT64 64:ff9b:1::/48.
      '64:ff9b:1::a00:1',
      '64:ff9b:1:ffff::808:808',
      // Benchmarking 198.18.0.0/15 and IETF protocol assignments 192.0.0.0/24.
      '198.18.0.1',
      '198.19.255.254',
      '192.0.0.1',
      '192.0.0.170',
      // Teredo 2001::/32 (its server and client's IPv4 addresses inside).
      '2001:0:4136:e378:8000:63bf:3fff:fdd2',
    ])
      expect([ip, isPrivateAddress(ip)]).toEqual([ip, true]);
    for (const ip of [
      '198.17.255.255',
      '198.20.0.1',
      '192.0.1.1',
      '192.0.3.1',
      '64:ff9b:2::1',
      '2003::1',
      '2001:4860::8888',
      '203.0.114.1',
    ])
      expect([ip, isPrivateAddress(ip)]).toEqual([ip, false]);
  });

  it('reads URL hosts the way the URL parser writes them', () => {
    for (const url of [
      'https://[::ffff:127.0.0.1]/',
      'https://[::ffff:169.254.169.254]/latest',
      'https://2130706433/',
      'https://0x7f.1/',
      'https://[::1]:8443/',
      'https://localhost/',
      'https://localhost./',
      'https://api.localhost./',
      'https://[::ffff:808:808]/',
      'https://[2002:7f00:1::1]/',
      'https://[64:ff9b:1::a00:1]/',
      'https://198.18.0.1/',
      'https://192.0.0.8/',
    ])
      expect([url, isLiteralPrivateHost(url)]).toEqual([url, true]);
    for (const url of [
      'https://facilitator.example.com/',
      'https://8.8.8.8/',
      'https://localhost.example.com/',
    ])
      expect([url, isLiteralPrivateHost(url)]).toEqual([url, false]);
  });
});
