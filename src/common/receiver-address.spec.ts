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
    for (const ip of ['::ffff:808:808', '::ffff:8.8.8.8', '2606:4700::1111', '8.8.8.8'])
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
    ])
      expect([url, isLiteralPrivateHost(url)]).toEqual([url, true]);
    for (const url of ['https://[::ffff:8.8.8.8]/', 'https://facilitator.example.com/', 'https://8.8.8.8/'])
      expect([url, isLiteralPrivateHost(url)]).toEqual([url, false]);
  });
});
