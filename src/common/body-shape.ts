import type { FastifyInstance } from 'fastify';
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
 * (bodyBytesProblem) before they are parsed.
 */
export const MAX_BODY_VALUES = 1000;
/** Deeper than any DTO or provider callback (see also validation.ts, which refuses the same depth). */
export const MAX_BODY_DEPTH = 32;

/** The refusals' wording, for parsed values (bodyShapeProblem) and bytes (bodyBytesProblem) alike. */
const tooManyValues = (limit: number): string => `the request has more than ${limit} values`;
const nestedTooDeep = (limit: number): string => `the request is nested deeper than ${limit} levels`;

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
    if (++values > limits.values) return tooManyValues(limits.values);
    if (v === null || typeof v !== 'object' || Buffer.isBuffer(v)) continue;
    if (depth >= limits.depth) return nestedTooDeep(limits.depth);
    // for...in with hasOwn: no array of keys or entries is built for a huge object.
    for (const k in v) {
      if (Object.prototype.hasOwnProperty.call(v, k)) {
        stack.push([(v as Record<string, unknown>)[k], depth + 1]);
        // The stack never holds more than the limit: a huge object is refused while being walked.
        if (stack.length + values > limits.values) return tooManyValues(limits.values);
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

/** The 413 `body_too_complex` a body or query string too big in values or depth gets. */
export const tooComplex = (message: string): DomainError =>
  Object.assign(CommonErrors.body_too_complex(message), { statusCode: 413 });

/**
 * Why a JSON (or form) body cannot be accepted, counted in its bytes before it is parsed, or
 * undefined: more than MAX_BODY_VALUES values (JSON: containers + commas outside strings + 1, which
 * is exact for non-empty containers and over by one per empty one; form: `&` + 1) or JSON nesting
 * deeper than MAX_BODY_DEPTH. One linear pass that stops at the first problem.
 */
export function bodyBytesProblem(kind: 'json' | 'form', bytes: Buffer): string | undefined {
  let values = 1;
  if (kind === 'form') {
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] === ASCII.amp && ++values > MAX_BODY_VALUES) return tooManyValues(MAX_BODY_VALUES);
    }
    return undefined;
  }
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (b === ASCII.backslash) escaped = true;
      else if (b === ASCII.quote) inString = false;
    } else if (b === ASCII.quote) inString = true;
    else if (b === ASCII.comma) {
      if (++values > MAX_BODY_VALUES) return tooManyValues(MAX_BODY_VALUES);
    } else if (b === ASCII.open[0] || b === ASCII.open[1]) {
      if (++values > MAX_BODY_VALUES) return tooManyValues(MAX_BODY_VALUES);
      if (++depth > MAX_BODY_DEPTH) return nestedTooDeep(MAX_BODY_DEPTH);
    } else if (b === ASCII.close[0] || b === ASCII.close[1]) depth--;
  }
  return undefined;
}

/**
 * Refuse a too-complex query string with 413 `body_too_complex`, in the dialect of the API being
 * called, before any guard, pipe or class-transformer sees it. Bodies are refused by their parsers
 * (`registerBodyParsers`), from their bytes, before they are parsed.
 */
export function refuseComplexQueries(fastify: FastifyInstance): void {
  fastify.addHook('preValidation', (req, reply, done) => {
    const problem = bodyShapeProblem(req.query);
    if (problem === undefined) return done();
    void reply
      .code(413)
      .type('application/json; charset=utf-8')
      .send(render(dialectOf(req.url), fromDomain(tooComplex(problem))));
  });
}
