import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CommonErrors } from './common.errors';
import { DomainError } from './domain-error';
import { dialectOf, fromDomain, fromStatus, NormalisedError, render } from './error-dialect';

/** Maps every error to the dialect of the API being called; unknown errors are a logged 500. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<FastifyRequest>();
    const res = ctx.getResponse<FastifyReply>();
    const e = normalise(exception);
    if (e.status >= 500)
      this.logger.error({ err: exception, reqId: req.id, url: req.url }, 'unhandled error');
    if (e.status === 429 && !res.getHeader('retry-after')) {
      // @nestjs/throttler names the header after the throttler (Retry-After-login): expose the standard one.
      const named = Object.entries(res.getHeaders()).find(([k]) =>
        k.toLowerCase().startsWith('retry-after-'),
      );
      void res.header('Retry-After', String(named?.[1] ?? 60));
    }
    void res
      .status(e.status)
      .type('application/json; charset=utf-8')
      .send(render(dialectOf(req.url), e));
  }
}

export function normalise(exception: unknown): NormalisedError {
  if (exception instanceof DomainError) return fromDomain(exception);
  if (isBadJson(exception))
    return fromDomain(CommonErrors.invalid_json('the request body is not valid JSON'));
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const body = exception.getResponse() as { message?: unknown } | string;
    const inner = typeof body === 'object' ? body.message : undefined;
    const message = Array.isArray(inner)
      ? inner.join('; ')
      : typeof inner === 'string'
        ? inner
        : exception.message;
    return fromStatus(status, status === 429 ? 'too many requests; slow down' : message);
  }
  // Fastify's own errors (body parser, body limit) carry a statusCode.
  const fastify = exception as { statusCode?: unknown; message?: unknown } | null;
  if (typeof fastify?.statusCode === 'number' && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    return fromStatus(
      fastify.statusCode,
      typeof fastify.message === 'string' ? fastify.message : 'bad request',
    );
  }
  return fromDomain(CommonErrors.internal_error('internal error'));
}

/** Fastify's JSON body parser failures (invalid or empty JSON body), however Nest wrapped them. */
function isBadJson(exception: unknown): boolean {
  const e = exception as {
    code?: unknown;
    message?: unknown;
    statusCode?: unknown;
    getStatus?: () => number;
  } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return true;
  const status = typeof e.getStatus === 'function' ? e.getStatus() : e.statusCode;
  return (
    status === 400 &&
    /not valid JSON|Unexpected (token|end)|JSON at position|empty JSON|Body cannot be empty/i.test(
      String(e.message),
    )
  );
}
