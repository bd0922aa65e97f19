import { Writable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import pino, { DestinationStream, Logger, LoggerOptions } from 'pino';

/**
 * Request headers that carry credentials or payment authorisations: never written to a log
 * (`requestLogged` replaces them with "[redacted]" in every line that carries a request).
 */
export const REDACTED_HEADERS = [
  'authorization',
  'cookie',
  'x-api-key',
  'x-signature',
  'x-payment',
  'payment-signature',
  'stripe-signature',
  'paypal-transmission-sig',
  'wechatpay-signature',
];

const CENSOR = '[redacted]';

const REDACTED_HEADER_SET = new Set(REDACTED_HEADERS);

/** A request as its log line carries it (its id is the line's `reqId`). */
export interface LoggedRequest {
  method: string;
  url: string;
  headers: Record<string, unknown>;
  remoteAddress: string;
  remotePort: number | undefined;
}

/** The request as logged: REDACTED_HEADERS' values censored, the client address as TRUST_PROXY sees it. */
export function requestLogged(req: FastifyRequest): LoggedRequest {
  const headers: Record<string, unknown> = {};
  for (const name in req.headers) {
    headers[name] = REDACTED_HEADER_SET.has(name) ? CENSOR : req.headers[name];
  }
  return {
    method: req.method,
    url: req.url,
    headers,
    remoteAddress: req.ip,
    remotePort: req.socket.remotePort,
  };
}

/** The level of a request's line: error for a 5xx, warn for a 4xx, info otherwise. */
export function requestLevel(statusCode: number): 'error' | 'warn' | 'info' {
  return statusCode >= 500 ? 'error' : statusCode >= 400 ? 'warn' : 'info';
}

/**
 * One line per request, written by Fastify hooks when the answer is sent: method, path, status and
 * duration (`responseTime`, ms), the request id (`reqId`, also the X-Request-Id answered) and the
 * request (`requestLogged`); a request the client abandoned before its answer, at warn.
 *
 * Nothing is built for a line the level drops. This replaces pino-http as nestjs-pino mounts it (a
 * Nest middleware per request, through @fastify/middie, that made a child logger and ran the rest of
 * the request inside an AsyncLocalStorage): that cost about a fifth of an order creation's server CPU,
 * a quarter of it the promise hooks AsyncLocalStorage switches on for every promise in Node 20.
 */
export function logRequests(fastify: FastifyInstance, logger: Logger): void {
  fastify.addHook('onResponse', (req, reply, done) => {
    const level = requestLevel(reply.statusCode);
    if (logger.isLevelEnabled(level)) {
      const ms = Math.round(reply.elapsedTime);
      logger[level](
        {
          reqId: req.id,
          req: requestLogged(req),
          res: { statusCode: reply.statusCode },
          responseTime: ms,
        },
        `${req.method} ${req.url} ${reply.statusCode} ${ms}ms`,
      );
    }
    done();
  });
  fastify.addHook('onRequestAbort', (req, done) => {
    if (logger.isLevelEnabled('warn')) {
      logger.warn(
        { reqId: req.id, req: requestLogged(req) },
        `${req.method} ${req.url} aborted by the client`,
      );
    }
    done();
  });
}

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/**
 * One readable line per log entry (LOG_FORMAT=pretty, the default outside production; pino-pretty is
 * not a dependency): `12:00:01.234 INFO  [Context] message`, then any stack on the next lines.
 */
export function prettyLine(line: string): string {
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = new Date(typeof e.time === 'number' ? e.time : Date.now()).toISOString().slice(11, 23);
  const level = (LEVEL_NAMES[Number(e.level)] ?? String(e.level)).padEnd(5);
  const context = typeof e.context === 'string' ? ` [${e.context}]` : '';
  const err = e.err as { stack?: unknown; message?: unknown } | undefined;
  const stack = typeof err?.stack === 'string' ? `\n${err.stack}` : '';
  return `${time} ${level}${context} ${typeof e.msg === 'string' ? e.msg : JSON.stringify(e.msg ?? '')}${stack}\n`;
}

/** A pino destination writing prettyLine()s to `out`. */
export function prettyStream(out: NodeJS.WritableStream = process.stdout): DestinationStream {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      const text = chunk
        .toString('utf8')
        .split('\n')
        .filter((l) => l.length > 0)
        .map(prettyLine)
        .join('');
      out.write(text);
      done();
    },
  });
}

/** The settings logging is built from (a subset of AppConfig). */
export interface LogSettings {
  logLevel: string;
  logPretty: boolean;
}

/**
 * A process's one pino logger, at LOG_LEVEL in LOG_FORMAT: the migrations log through a child of it,
 * Nest's Logger through nestjs-pino over it (AppModule), and each request's line (`logRequests`).
 */
export function rootLogger(s: LogSettings, destination?: DestinationStream): Logger {
  const options: LoggerOptions = { level: s.logLevel };
  const dest = destination ?? (s.logPretty ? prettyStream() : undefined);
  return dest ? pino(options, dest) : pino(options);
}
