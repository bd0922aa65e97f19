/** Where a request came from, as the audit log records it: its request id (X-Request-Id) and client IP. */
export interface RequestOrigin {
  requestId: string;
  /** Fastify's req.ip: behind proxies only as good as TRUST_PROXY. */
  ip: string;
}

/** The origin of a Fastify request (its id is set by genReqId in bootstrap.ts). */
export function requestOriginOf(req: { id?: string; ip?: string }): RequestOrigin {
  return { requestId: req.id ?? '', ip: req.ip ?? '' };
}
