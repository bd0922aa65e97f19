import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pinoHttp, { Options } from 'pino-http';
import { httpLogOptions, prettyLine, startupLogger } from './logging';

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
    const [options] = httpLogOptions({ logLevel: 'info', logPretty: false }, out.stream) as [
      Options,
      Writable,
    ];
    const logger = pinoHttp(options, out.stream);
    const server = createServer((req, res) => {
      logger(req, res);
      res.statusCode = req.url === '/paid' ? 402 : 200;
      res.end('x');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const secrets = {
      'x-payment': 'eyJ4NDAyVmVyc2lvbiI6MSwic2lnbmF0dXJlIjoiMHhzZWNyZXQifQ==',
      'payment-signature': 'sig-v2-secret-value',
      authorization: 'Bearer secret-token-value',
      'x-api-key': 'mk_secret_key_id',
      'x-signature': 'deadbeefsignaturevalue',
      cookie: 'session=secret-cookie',
    };
    try {
      await fetch(`${base}/paid`, { headers: secrets });
      await fetch(`${base}/ok`);
    } finally {
      await new Promise((r) => server.close(r));
    }
    const lines = out
      .text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 40, msg: expect.stringMatching(/^GET \/paid 402 \d+ms$/) });
    expect(lines[1]).toMatchObject({ level: 30, msg: expect.stringMatching(/^GET \/ok 200 \d+ms$/) });
    expect(typeof lines[1].responseTime).toBe('number');
    for (const value of Object.values(secrets)) expect(out.text()).not.toContain(value);
    const headers = (lines[0].req as { headers: Record<string, string> }).headers;
    for (const name of Object.keys(secrets)) expect(headers[name]).toBe('[redacted]');
  });

  it('writes readable lines when pretty, JSON otherwise, and keeps the level', () => {
    const json = sink();
    startupLogger({ logLevel: 'info', logPretty: false }, json.stream)
      .child({ context: 'Migrations' })
      .info('applying X');
    expect(JSON.parse(json.text())).toMatchObject({ level: 30, context: 'Migrations', msg: 'applying X' });
    const silent = sink();
    startupLogger({ logLevel: 'silent', logPretty: false }, silent.stream).info('nothing');
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
