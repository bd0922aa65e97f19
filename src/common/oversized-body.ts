import type { FastifyInstance } from 'fastify';

/** Declared bodies up to this many times the limit are read and dropped before the 413; larger ones are cut off. */
const DRAIN_FACTOR = 4;

/**
 * A body declared larger than the limit is refused by Fastify (413 `payload_too_large`) from its
 * Content-Length, without reading it, and the connection is closed. A client still writing its body
 * then gets EPIPE or a reset instead of the 413 (its response is lost with the connection). So such a
 * body is read and dropped first, when it is at most DRAIN_FACTOR times the limit, and the 413 is sent
 * once it has arrived; a larger one is refused at once as before.
 */
export function drainOversizedBodies(fastify: FastifyInstance, bodyLimit: number): void {
  fastify.addHook('onRequest', (req, _reply, done) => {
    const declared = Number(req.headers['content-length']);
    if (!(declared > bodyLimit) || declared > bodyLimit * DRAIN_FACTOR) return done();
    const raw = req.raw;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      done();
    };
    raw.on('data', () => undefined);
    raw.once('end', finish);
    raw.once('error', finish);
    raw.once('close', finish);
    raw.resume();
  });
}
