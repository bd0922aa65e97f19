/**
 * A domain failure with a stable snake_case code. Thrown from services; the edge maps it into
 * the dialect of the API being called (platform `{code,message}`, order payment `{code,msg,data}`,
 * merchant `{code,message}` with numeric codes): see error-dialect.ts.
 *
 * Not constructed at throw sites: every code is declared once, with its one status, in the
 * `*.errors.ts` catalogue of the module that owns it (`defineErrors` below, docs/errors.md), and
 * thrown through that catalogue: `throw OrderErrors.order_not_found('order not found')`.
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

export type ErrorDetails = Record<string, unknown>;

/** Builds the error of one declared code; its status is the catalogue's, never the caller's. */
export interface ErrorFactory {
  (message: string, details?: ErrorDetails): DomainError;
  readonly code: string;
  readonly status: number;
}

export type ErrorCatalogue<T extends Record<string, number>> = {
  readonly [K in keyof T & string]: ErrorFactory;
};

/** One declared code, as the catalogue test and docs/errors.md read it. */
export interface DeclaredError {
  code: string;
  status: number;
}

const DECLARED = Symbol('declared errors');

function statusOf(code: string, status: number): number {
  if (!Number.isInteger(status) || status < 400 || status > 599)
    throw new Error(`error ${code}: ${status} is not an error status`);
  return status;
}

/**
 * Declares a module's error codes, each with its one status, and returns one factory per code:
 * `export const OrderErrors = defineErrors({ order_not_found: 404 })`.
 */
export function defineErrors<const T extends Record<string, number>>(specs: T): ErrorCatalogue<T> {
  const catalogue: Record<string, ErrorFactory> = {};
  const declared: DeclaredError[] = [];
  for (const [code, spec] of Object.entries(specs)) {
    const status = statusOf(code, spec);
    const factory = (message: string, details?: ErrorDetails): DomainError =>
      new DomainError(code, status, message, details);
    catalogue[code] = Object.assign(factory, { code, status });
    declared.push({ code, status });
  }
  Object.defineProperty(catalogue, DECLARED, { value: declared, enumerable: false });
  return catalogue as ErrorCatalogue<T>;
}

/** The codes a catalogue declares, or undefined for a value that is not a catalogue. */
export function declaredErrors(value: unknown): DeclaredError[] | undefined {
  if (!value || typeof value !== 'object') return undefined;
  return (value as { [DECLARED]?: DeclaredError[] })[DECLARED];
}
