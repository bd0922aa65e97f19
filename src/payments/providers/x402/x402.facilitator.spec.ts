import { Logger } from '@nestjs/common';
import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { lookup } from 'node:dns/promises';
import { ProviderContext, ProviderError } from '../../contract/payment-provider';
import { TenantUrlClient } from '../../../common/tenant-url-client';
import { FacilitatorClient } from './x402.facilitator';
import type { FacilitatorRequest } from './x402.wire';

// Name resolution is the test's to decide: `*.test` names resolve to whatever `resolvesTo` says.
jest.mock('node:dns/promises', () => {
  const actual = jest.requireActual<typeof import('node:dns/promises')>('node:dns/promises');
  return { ...actual, lookup: jest.fn(actual.lookup) };
});
const mockedLookup = lookup as unknown as jest.Mock;
const resolvesTo = (address: string): void => {
  mockedLookup.mockImplementation((host: string) =>
    host.endsWith('.test')
      ? Promise.resolve([{ address, family: address.includes(':') ? 6 : 4 }])
      : Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' })),
  );
};

const request: FacilitatorRequest = {
  x402Version: 1,
  paymentPayload: {},
  paymentRequirements: {},
} as unknown as FacilitatorRequest;

/** A tenant's facilitator_url is checked at each call, the operator's base URL is not. */
describe('FacilitatorClient: where it may call', () => {
  let server: Server;
  let local = '';
  const seen: string[] = [];

  beforeAll(async () => {
    Logger.overrideLogger(false);
    server = createServer((req: IncomingMessage, res) => {
      seen.push(req.url ?? '');
      req.resume();
      const body =
        req.url === '/supported'
          ? { kinds: [] }
          : req.url === '/verify'
            ? { isValid: true }
            : { success: true };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    local = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    seen.length = 0;
    mockedLookup.mockReset();
  });

  const ctx = (facilitatorUrl?: string): ProviderContext => ({
    tenantId: 't',
    mode: 'test',
    baseUrl: local,
    credentials: facilitatorUrl ? { facilitator_url: facilitatorUrl } : {},
    notifyUrl: '',
    returnBaseUrl: '',
    timeoutMs: 2000,
  });
  const refusal = async (client: FacilitatorClient, call: 'verify' | 'settle' | 'supported') => {
    const p = call === 'supported' ? client.supported() : client[call](request);
    const err = (await p.then(
      () => undefined,
      (e: unknown) => e,
    )) as ProviderError | undefined;
    return err && { name: err.name, kind: err.kind, code: err.providerCode, message: err.message };
  };

  it('calls the operator base URL (PAYMUX_X402_BASE_URL) wherever it points', async () => {
    const client = FacilitatorClient.of(ctx());
    await expect(client.verify(request)).resolves.toMatchObject({ isValid: true });
    await expect(client.settle(request)).resolves.toMatchObject({ success: true });
    expect(seen).toEqual(['/verify', '/settle']);
  });

  it('refuses a stored tenant facilitator_url on http or a loopback address without calling it', async () => {
    for (const url of [local, local.replace('http:', 'https:'), 'https://localhost:1', 'https://[::1]:1']) {
      const client = FacilitatorClient.of(ctx(url));
      for (const call of ['verify', 'settle', 'supported'] as const)
        expect(await refusal(client, call)).toMatchObject({
          name: 'ProviderError',
          kind: 'credentials',
          code: 'facilitator_url_refused',
        });
      await expect(client.feePayers()).resolves.toEqual({});
    }
    expect(seen).toEqual([]);
  });

  it('resolves a tenant facilitator name at each call and refuses one that points into a private network', async () => {
    const client = FacilitatorClient.of(ctx('https://facilitator.tenant.test/x402'));
    for (const address of [
      '10.0.0.7',
      '127.0.0.1',
      '169.254.169.254',
      '::1',
      'fd12::1',
      '::ffff:127.0.0.1',
    ]) {
      resolvesTo(address);
      const err = await refusal(client, 'verify');
      expect(err).toMatchObject({ kind: 'credentials', code: 'facilitator_url_refused' });
      expect(err?.message).toContain(address);
    }
    expect(mockedLookup).toHaveBeenCalledWith('facilitator.tenant.test', { all: true });
    // A public answer passes the check (the call itself then fails: nothing listens there).
    resolvesTo('192.0.2.1');
    const err = await refusal(client, 'verify');
    expect(err?.code).not.toBe('facilitator_url_refused');
    expect(seen).toEqual([]);
  });

  it('refuses at connect a facilitator name that answers a public address first and 127.0.0.1 next', async () => {
    let calls = 0;
    const resolve = jest.fn((_host: string) =>
      Promise.resolve([{ address: calls++ === 0 ? '93.184.216.34' : '127.0.0.1', family: 4 }]),
    );
    const urls = new TenantUrlClient(resolve);
    let connections = 0;
    const count = (): void => void connections++;
    server.on('connection', count);
    try {
      const port = (server.address() as AddressInfo).port;
      const client = FacilitatorClient.of(ctx(`https://rebind.tenant.test:${port}`), { urls });
      const err = await refusal(client, 'verify');
      expect(err).toMatchObject({ kind: 'credentials', code: 'facilitator_url_refused' });
      expect(err?.message).toContain(
        'rebind.tenant.test resolves to the private or loopback address 127.0.0.1',
      );
      expect(resolve).toHaveBeenCalledTimes(2);
      expect(resolve).toHaveBeenCalledWith('rebind.tenant.test');
      expect(connections).toBe(0);
      expect(seen).toEqual([]);
    } finally {
      server.off('connection', count);
      await urls.onModuleDestroy();
    }
  });
});
