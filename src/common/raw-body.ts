import type { FastifyInstance } from 'fastify';

/** The bytes of the request body as received, where a parser kept them (Nest's `rawBody: true`). */
export interface WithRawBody {
  rawBody?: Buffer;
  body?: unknown;
}

/**
 * Keep the raw bytes of `text/plain` bodies too. Nest keeps them for JSON and urlencoded bodies only;
 * Fastify's own text parser dropped them, so a signed `text/plain` request was checked as if its body
 * were empty. The body is still handed on as a string.
 */
export function keepRawTextBodies(fastify: FastifyInstance, bodyLimit: number): void {
  fastify.removeContentTypeParser('text/plain');
  fastify.addContentTypeParser('text/plain', { parseAs: 'buffer', bodyLimit }, (req, body, done) => {
    const raw = body as Buffer;
    (req as WithRawBody).rawBody = raw;
    done(null, raw.toString('utf8'));
  });
}

/**
 * The raw body a signature must cover: the bytes received, an empty buffer when there was no body,
 * and undefined when a body was parsed but its bytes were not kept (never check such a body as empty).
 */
export function signedBodyOf(req: WithRawBody): Buffer | undefined {
  if (req.rawBody !== undefined) return req.rawBody;
  return req.body === undefined || req.body === null ? Buffer.alloc(0) : undefined;
}
