/** The bytes of the request body as received, where a parser kept them (`registerBodyParsers`). */
export interface WithRawBody {
  rawBody?: Buffer;
  body?: unknown;
}

/**
 * The raw body a signature must cover: the bytes received, an empty buffer when there was no body,
 * and undefined when a body was parsed but its bytes were not kept (never check such a body as empty).
 */
export function signedBodyOf(req: WithRawBody): Buffer | undefined {
  if (req.rawBody !== undefined) return req.rawBody;
  return req.body === undefined || req.body === null ? Buffer.alloc(0) : undefined;
}
