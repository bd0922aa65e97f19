import type { LookupAddress } from 'node:dns';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_ANSWER_BYTES, ResolveHost, TenantUrlClient, TenantUrlRefused } from './tenant-url-client';

/** A local listener that counts every connection made to it and answers what the test says. */
describe('TenantUrlClient', () => {
  let server: Server;
  let port = 0;
  let connections = 0;
  const seen: string[] = [];
  let answer: (res: import('node:http').ServerResponse) => void = (res) => res.end('ok');

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      req.resume();
      answer(res);
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const clients: TenantUrlClient[] = [];
  const client = (resolve?: ResolveHost): TenantUrlClient => {
    const c = new TenantUrlClient(resolve);
    clients.push(c);
    return c;
  };
  beforeEach(() => {
    connections = 0;
    seen.length = 0;
    answer = (res) => res.end('ok');
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.onModuleDestroy()));
  });

  const v4 = (address: string): LookupAddress => ({ address, family: 4 });
  const post = { method: 'POST' as const, body: '{}', timeoutMs: 5000, allowPrivate: false };
  const failure = (p: Promise<unknown>): Promise<unknown> =>
    p.then(
      () => undefined,
      (e: unknown) => e,
    );

  it('refuses at connect a name that answers a public address first and 127.0.0.1 next (DNS rebinding)', async () => {
    const answers = [[v4('93.184.216.34')], [v4('127.0.0.1')]];
    const resolve = jest.fn<Promise<LookupAddress[]>, [string]>(() =>
      Promise.resolve(answers.shift() ?? [v4('127.0.0.1')]),
    );
    const urls = client(resolve);
    const url = `http://rebind.test:${port}/hook`;
    // The early check sees the public answer and lets the call go ahead...
    expect(await urls.refusal(url, false)).toBeNull();
    // ...and the connection's own lookup gets the loopback one: refused before any socket opens.
    const err = await failure(urls.request(url, post));
    expect(err).toBeInstanceOf(TenantUrlRefused);
    expect((err as Error).message).toBe('rebind.test resolves to the private or loopback address 127.0.0.1');
    expect(resolve).toHaveBeenCalledTimes(2);
    expect(resolve).toHaveBeenLastCalledWith('rebind.test');
    expect(connections).toBe(0);
    expect(seen).toEqual([]);
  });

  it('refuses a name when any of its addresses is private, even behind a public one', async () => {
    const urls = client(() => Promise.resolve([v4('93.184.216.34'), v4('10.0.0.7')]));
    const err = await failure(urls.request(`http://mixed.test:${port}/`, post));
    expect(err).toBeInstanceOf(TenantUrlRefused);
    expect((err as Error).message).toContain('10.0.0.7');
    expect(await urls.refusal(`http://mixed.test:${port}/`, false)).toContain('10.0.0.7');
    expect(connections).toBe(0);
  });

  it('checks a literal IP host (never looked up) and a trailing-dot localhost before connecting', async () => {
    const resolve = jest.fn<Promise<LookupAddress[]>, [string]>();
    const urls = client(resolve);
    for (const host of ['127.0.0.1', '[::ffff:7f00:1]', '[::1]', 'localhost', 'localhost.', 'a.localhost.']) {
      const url = `http://${host}:${port}/`;
      expect([host, await failure(urls.request(url, post))]).toEqual([host, expect.any(TenantUrlRefused)]);
      expect([host, await urls.refusal(url, false)]).toEqual([host, expect.any(String)]);
    }
    expect(resolve).not.toHaveBeenCalled();
    expect(connections).toBe(0);
  });

  it('with allowPrivate (tests with local fakes) calls a loopback address, and never follows a redirect', async () => {
    answer = (res) => res.writeHead(302, { location: `http://127.0.0.1:${port}/elsewhere` }).end('moved');
    const res = await client().request(`http://127.0.0.1:${port}/hook`, { ...post, allowPrivate: true });
    expect(res).toMatchObject({ status: 302, text: 'moved' });
    expect(res.headers.get('location')).toBe(`http://127.0.0.1:${port}/elsewhere`);
    expect(seen).toEqual(['POST /hook']);
  });

  it('reads at most MAX_ANSWER_BYTES of an answer, however long the tenant server goes on', async () => {
    const chunk = 'x'.repeat(16 * 1024);
    answer = (res) => {
      res.writeHead(200);
      // 8 MiB, written as long as the client reads.
      let left = 512;
      const more = (): void => {
        while (left-- > 0) if (!res.write(chunk)) return void res.once('drain', more);
        res.end();
      };
      more();
    };
    const res = await client().request(`http://127.0.0.1:${port}/big`, { ...post, allowPrivate: true });
    expect(res.status).toBe(200);
    expect(res.text.length).toBe(MAX_ANSWER_BYTES);
  });

  it('gives up after timeoutMs with a TimeoutError', async () => {
    answer = () => undefined; // never answers
    const err = await failure(
      client().request(`http://127.0.0.1:${port}/slow`, { ...post, timeoutMs: 200, allowPrivate: true }),
    );
    expect((err as Error).name).toBe('TimeoutError');
  });
});
