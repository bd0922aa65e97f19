import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { dialectOf, render } from './error-dialect';

/**
 * How big a parsed request may be, counted in values (every object, array, string, number, boolean
 * and null, the whole body included), whatever its size in bytes. The largest legitimate body in the
 * provider suites (measured: a PayPal webhook event) has 59 values, no DTO comes near 100, and real
 * provider callbacks stay in the low hundreds. Far above this, class-transformer's duplicate-key
 * filter is quadratic: 90,000 keys held the event loop for a minute.
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

/**
 * Refuse a too-complex body or query string (see bodyShapeProblem) with 413 `body_too_complex`, in
 * the dialect of the API being called, right after parsing: before any guard, pipe or
 * class-transformer sees it. Every route, webhooks included; the raw body stays as it was.
 */
export function refuseComplexBodies(fastify: FastifyInstance): void {
  fastify.addHook('preValidation', async (req: FastifyRequest, reply: FastifyReply) => {
    const problem = bodyShapeProblem(req.body) ?? bodyShapeProblem(req.query);
    if (problem === undefined) return;
    return reply
      .code(413)
      .type('application/json; charset=utf-8')
      .send(render(dialectOf(req.url), { status: 413, code: 'body_too_complex', message: problem }));
  });
}
