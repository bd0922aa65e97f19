/**
 * A domain failure with a stable snake_case code. Thrown from services; the edge maps it into
 * the dialect of the API being called (platform `{code,message}`, seed-001 `{code,msg,data}`).
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (what: string): DomainError =>
  new DomainError(`${what}_not_found`, 404, `${what.replace(/_/g, ' ')} not found`);
export const badRequest = (code: string, message: string, details?: Record<string, unknown>): DomainError =>
  new DomainError(code, 400, message, details);
export const conflict = (code: string, message: string, details?: Record<string, unknown>): DomainError =>
  new DomainError(code, 409, message, details);
export const unprocessable = (
  code: string,
  message: string,
  details?: Record<string, unknown>,
): DomainError => new DomainError(code, 422, message, details);
export const forbidden = (message = 'you may not do this'): DomainError =>
  new DomainError('forbidden', 403, message);
export const unauthenticated = (message = 'authentication required'): DomainError =>
  new DomainError('unauthenticated', 401, message);
