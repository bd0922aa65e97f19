import { Transform, TransformCallback } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from './domain-error';
import { dialectOf, fromDomain, render } from './error-dialect';
import { CommonErrors } from './common.errors';

/**
 * How big a parsed request may be, counted in values (every object, array, string, number, boolean
 * and null, the whole body included), whatever its size in bytes. The largest legitimate body in the
 * provider suites (measured: a PayPal webhook event) has 59 values, no DTO comes near 100, and real
 * provider callbacks stay in the low hundreds. Far above this, class-transformer's duplicate-key
 * filter is quadratic: 90,000 keys held the event loop for a minute; and JSON.parse alone spends
 * most of a second on 100,000 number-like keys, so JSON and form bodies are counted in their bytes
 * (BodyShapeScanner) before they are parsed.
 */
export const MAX_BODY_VALUES = 1000;
/** Deeper than any DTO or provider callback (see also validation.ts, which refuses the same depth). */
export const MAX_BODY_DEPTH = 32;

/**
 * Why a parsed body or query cannot be accepted (too many values, nested too deeply), or undefined.
 * Linear in the size of the input and stops as soon as a limit is passed; iterative, so no stack
 * overflow on deep nesting.
 */
export function bodyShapeProblem(
  value: unknown,
  limits: { values: number; depth: number } = { values: MAX_BODY_VALUES, depth: MAX_BODY_DEPTH },
): string | undefined {
  let values = 0;
  const stack: [unknown, number][] = [[value, 0]];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [v, depth] = next;
    if (++values > limits.values) return `the request has more than ${limits.values} values`;
    if (v === null || typeof v !== 'object' || Buffer.isBuffer(v)) continue;
    if (depth >= limits.depth) return `the request is nested deeper than ${limits.depth} levels`;
    // for...in with hasOwn: no array of keys or entries is built for a huge object.
    for (const k in v) {
      if (Object.prototype.hasOwnProperty.call(v, k)) {
        stack.push([(v as Record<string, unknown>)[k], depth + 1]);
        // The stack never holds more than the limit: a huge object is refused while being walked.
        if (stack.length + values > limits.values) return `the request has more than ${limits.values} values`;
      }
    }
  }
  return undefined;
}

const ASCII = {
  quote: 0x22,
  backslash: 0x5c,
  comma: 0x2c,
  amp: 0x26,
  open: [0x7b, 0x5b],
  close: [0x7d, 0x5d],
};

const tooComplex = (message: string): DomainError =>
  Object.assign(CommonErrors.body_too_complex(message), { statusCode: 413 });

/**
 * Counts the values of a JSON (or form) body in its bytes as they arrive, in one linear pass, and
 * fails the stream with 413 `body_too_complex` once there are more than MAX_BODY_VALUES (JSON:
 * containers + commas outside strings + 1, which is exact for non-empty containers and over by one
 * per empty one; form: `&` + 1) or JSON nesting passes MAX_BODY_DEPTH. After that it reads and drops
 * the rest of the body (up to `bodyLimit`), so the client gets the 413 rather than a reset.
 */
export class BodyShapeScanner extends Transform {
  private values = 1;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private refusal: DomainError | undefined;
  private dropped = 0;

  constructor(
    private readonly kind: 'json' | 'form',
    private readonly bodyLimit: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.refusal) {
      this.dropped += chunk.length;
      return done(this.dropped > this.bodyLimit ? this.refusal : undefined);
    }
    this.refusal = this.kind === 'json' ? this.scanJson(chunk) : this.scanForm(chunk);
    if (this.refusal) {
      this.dropped += chunk.length;
      return done();
    }
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    done(this.refusal);
  }

  private scanForm(chunk: Buffer): DomainError | undefined {
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] === ASCII.amp && ++this.values > MAX_BODY_VALUES)
        return tooComplex(`the request has more than ${MAX_BODY_VALUES} values`);
    }
    return undefined;
  }

  private scanJson(chunk: Buffer): DomainError | undefined {
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === ASCII.backslash) this.escaped = true;
        else if (b === ASCII.quote) this.inString = false;
      } else if (b === ASCII.quote) this.inString = true;
      else if (b === ASCII.comma) {
        if (++this.values > MAX_BODY_VALUES)
          return tooComplex(`the request has more than ${MAX_BODY_VALUES} values`);
      } else if (b === ASCII.open[0] || b === ASCII.open[1]) {
        if (++this.values > MAX_BODY_VALUES)
          return tooComplex(`the request has more than ${MAX_BODY_VALUES} values`);
        if (++this.depth > MAX_BODY_DEPTH)
          return tooComplex(`the request is nested deeper than ${MAX_BODY_DEPTH} levels`);
      } else if (b === ASCII.close[0] || b === ASCII.close[1]) this.depth--;
    }
    return undefined;
  }
}

/** Which scanner a content type gets: JSON (application/json, any +json), form, or none. */
export function scannedKind(contentType: string | undefined): 'json' | 'form' | undefined {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/json' || type.endsWith('+json')) return 'json';
  return type === 'application/x-www-form-urlencoded' ? 'form' : undefined;
}

/**
 * Refuse a too-complex body or query string with 413 `body_too_complex`, in the dialect of the API
 * being called: JSON and form bodies while they are read (BodyShapeScanner), anything parsed right
 * after parsing (bodyShapeProblem), before any guard, pipe or class-transformer sees it. Every route,
 * webhooks included; the raw body stays as it was.
 */
export function refuseComplexBodies(fastify: FastifyInstance, bodyLimit: number): void {
  // Before parsing: JSON and form bodies are counted in their bytes (BodyShapeScanner).
  fastify.addHook('preParsing', async (req: FastifyRequest, _reply: FastifyReply, payload) => {
    const kind = scannedKind(req.headers['content-type']);
    // A body declared larger than the limit is Fastify's 413 payload_too_large, answered from its
    // Content-Length before anything is read: left to Fastify, which drains it (no EPIPE for the client).
    if (!kind || Number(req.headers['content-length']) > bodyLimit) return payload;
    // pipe, not pipeline: a refusal must not destroy the request (the client would get a reset, not the 413).
    const scanner = new BodyShapeScanner(kind, bodyLimit);
    payload.on('error', (err) => scanner.destroy(err));
    return payload.pipe(scanner);
  });
  // After parsing, before any guard or pipe: the parsed body (whatever its type) and the query string.
  fastify.addHook('preValidation', async (req: FastifyRequest, reply: FastifyReply) => {
    const problem = bodyShapeProblem(req.body) ?? bodyShapeProblem(req.query);
    if (problem === undefined) return;
    return reply
      .code(413)
      .type('application/json; charset=utf-8')
      .send(render(dialectOf(req.url), fromDomain(tooComplex(problem))));
  });
}
