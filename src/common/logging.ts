import type { IncomingMessage, ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import pino, { DestinationStream, Logger, LoggerOptions } from 'pino';
import type { Options as HttpLogOptions } from 'pino-http';

/**
 * Request headers that carry credentials or payment authorisations: never written to a log
 * (`requestLogged` replaces them with "[redacted]" wherever a request is logged: the request line,
 * errors).
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

/**
 * What pino's redaction covers: the response's Set-Cookie. A request's headers are censored by
 * `requestLogged` instead, once per request: pino-http binds the request to a child logger for every
 * request, even at a level that never writes it, and redaction paths on it made that middleware
 * cost about 10 µs per request (a clone and a path walk each time) where copying the headers costs
 * under 3 µs (pino-http on a fake request, LOG_LEVEL=warn, 200,000 requests).
 */
const REDACT_PATHS = ['res.headers["set-cookie"]'];

const REDACTED_HEADER_SET = new Set(REDACTED_HEADERS);

/** A request as pino-std-serializers maps it (pino-http's default `req` serializer, which wraps ours). */
interface SerializedRequest {
  id?: unknown;
  method?: string;
  url?: string;
  query?: unknown;
  params?: unknown;
  headers?: Record<string, unknown>;
  remoteAddress?: string;
  remotePort?: number;
}

/** The request as logged: as pino-std-serializers maps it, with REDACTED_HEADERS' values censored. */
export function requestLogged(req: SerializedRequest): SerializedRequest {
  const headers: Record<string, unknown> = {};
  for (const name in req.headers) {
    headers[name] = REDACTED_HEADER_SET.has(name) ? CENSOR : req.headers[name];
  }
  return {
    id: req.id,
    method: req.method,
    url: req.url,
    query: req.query,
    params: req.params,
    headers,
    remoteAddress: req.remoteAddress,
    remotePort: req.remotePort,
  };
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

/** Pino options shared by the request logger and the start-up logger. */
function baseOptions(s: LogSettings): LoggerOptions {
  return { level: s.logLevel, redact: { paths: REDACT_PATHS, censor: CENSOR } };
}

/** The logger for what happens before Nest is up (migrations): same level, format and redaction. */
export function startupLogger(s: LogSettings, destination?: DestinationStream): Logger {
  const dest = destination ?? (s.logPretty ? prettyStream() : undefined);
  return dest ? pino(baseOptions(s), dest) : pino(baseOptions(s));
}

/**
 * nestjs-pino's `pinoHttp`: one line per request at info (warn for a 4xx, error for a 5xx) saying
 * method, path, status and duration (`responseTime`, ms), with the request's id; credentials and
 * payment headers censored (REDACTED_HEADERS, by `requestLogged`; the response's Set-Cookie by pino).
 */
export function httpLogOptions(
  s: LogSettings,
  destination?: DestinationStream,
): HttpLogOptions | [HttpLogOptions, DestinationStream] {
  const options: HttpLogOptions = {
    ...baseOptions(s),
    serializers: { req: requestLogged },
    customLogLevel: (_req, res, err) =>
      err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    customSuccessMessage: (req: IncomingMessage, res: ServerResponse, ms: number) =>
      `${req.method} ${req.url} ${res.statusCode} ${Math.round(ms)}ms`,
    customErrorMessage: (req: IncomingMessage, res: ServerResponse, err: Error) =>
      `${req.method} ${req.url} ${res.statusCode} ${err.message}`,
  };
  const dest = destination ?? (s.logPretty ? prettyStream() : undefined);
  return dest ? [options, dest] : options;
}
