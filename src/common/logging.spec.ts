import { request } from 'node:http';
import { Writable } from 'node:stream';
import fastify from 'fastify';
import { logRequests, prettyLine, requestLevel, rootLogger } from './logging';

/** Collects what a logger writes. */
function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('logging', () => {
  it('logs one line per request with status and duration, credentials and payment headers redacted', async () => {
    const out = sink();
    const app = fastify();
    logRequests(app, rootLogger({ logLevel: 'info', logPretty: false }, out.stream));
    app.get('/paid', (req, reply) => reply.code(402).send({ id: req.id }));
    app.get('/ok', (req) => ({ id: req.id }));
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const secrets = {
      'x-payment': 'eyJ4NDAyVmVyc2lvbiI6MSwic2lnbmF0dXJlIjoiMHhzZWNyZXQifQ==',
      'payment-signature': 'sig-v2-secret-value',
      authorization: 'Bearer secret-token-value',
      'x-api-key': 'mk_secret_key_id',
      'x-signature': 'deadbeefsignaturevalue',
      cookie: 'session=secret-cookie',
    };
    let ids: string[];
    try {
      const paid = (await (await fetch(`${base}/paid`, { headers: secrets })).json()) as { id: string };
      const ok = (await (await fetch(`${base}/ok?x=1`)).json()) as { id: string };
      ids = [paid.id, ok.id];
    } finally {
      await app.close();
    }
    const lines = out
      .text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      level: 40,
      reqId: ids[0],
      res: { statusCode: 402 },
      msg: expect.stringMatching(/^GET \/paid 402 \d+ms$/),
    });
    expect(lines[1]).toMatchObject({
      level: 30,
      reqId: ids[1],
      req: { method: 'GET', url: '/ok?x=1', remoteAddress: '127.0.0.1' },
      msg: expect.stringMatching(/^GET \/ok\?x=1 200 \d+ms$/),
    });
    expect(typeof lines[1].responseTime).toBe('number');
    for (const value of Object.values(secrets)) expect(out.text()).not.toContain(value);
    const headers = (lines[0].req as { headers: Record<string, string> }).headers;
    for (const name of Object.keys(secrets)) expect(headers[name]).toBe('[redacted]');
  });

  it('logs a request at the level its status gives, and nothing the level drops', async () => {
    expect([200, 302, 400, 404, 500, 503].map(requestLevel)).toEqual([
      'info',
      'info',
      'warn',
      'warn',
      'error',
      'error',
    ]);
    const out = sink();
    const app = fastify();
    logRequests(app, rootLogger({ logLevel: 'warn', logPretty: false }, out.stream));
    app.get('/ok', () => ({ ok: true }));
    app.get('/boom', (_req, reply) => reply.code(500).send({ ok: false }));
    await app.ready();
    try {
      expect((await app.inject({ url: '/ok' })).statusCode).toBe(200);
      expect((await app.inject({ url: '/boom' })).statusCode).toBe(500);
    } finally {
      await app.close();
    }
    const lines = out.text().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 50, msg: expect.stringMatching(/^GET \/boom 500 /) });
  });

  it('logs a request the client abandoned before its answer, at warn', async () => {
    const out = sink();
    const app = fastify();
    logRequests(app, rootLogger({ logLevel: 'info', logPretty: false }, out.stream));
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let arrived!: () => void;
    const arrival = new Promise<void>((r) => (arrived = r));
    app.get('/slow', async () => {
      arrived();
      await released;
      return { late: true };
    });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const call = new Promise<string>((resolve) => {
        const req = request(`${base}/slow`, { agent: false });
        req.on('error', (err) => resolve(err.message));
        req.end();
        void arrival.then(() => req.destroy());
      });
      expect(await call).toBe('socket hang up');
      while (!out.text().includes('aborted by the client')) await new Promise((r) => setTimeout(r, 10));
    } finally {
      release();
      await app.close();
    }
    const aborted = out
      .text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => String(l.msg).includes('aborted'));
    expect(aborted).toMatchObject({ level: 40, msg: 'GET /slow aborted by the client' });
  });

  it('writes readable lines when pretty, JSON otherwise, and keeps the level', () => {
    const json = sink();
    rootLogger({ logLevel: 'info', logPretty: false }, json.stream)
      .child({ context: 'Migrations' })
      .info('applying X');
    expect(JSON.parse(json.text())).toMatchObject({ level: 30, context: 'Migrations', msg: 'applying X' });
    const silent = sink();
    rootLogger({ logLevel: 'silent', logPretty: false }, silent.stream).info('nothing');
    expect(silent.text()).toBe('');
    const line = JSON.stringify({
      level: 40,
      time: Date.UTC(2026, 0, 1, 12, 0, 1, 234),
      context: 'Notify',
      msg: 'failed',
    });
    expect(prettyLine(line)).toBe('12:00:01.234 WARN  [Notify] failed\n');
    expect(prettyLine('not json')).toBe('not json');
  });
});
