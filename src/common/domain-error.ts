/**
 * A domain failure with a stable snake_case code. Thrown from services; the edge maps it into
 * the dialect of the API being called (platform `{code,message}`, seed-001 `{code,msg,data}`,
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

/**
 * How a catalogue declares a code: its HTTP status; or, only for a code clients already see with a
 * second status at one site, `{ status, pinnedAt: { <second status>: 'where and why it stays' } }`.
 */
export type ErrorSpec =
  number | { readonly status: number; readonly pinnedAt: { readonly [status: number]: string } };

/** Builds the error of one declared code; its status is the catalogue's, never the caller's. */
export interface ErrorFactory {
  (message: string, details?: ErrorDetails): DomainError;
  readonly code: string;
  readonly status: number;
}

/** A code with a pinned second status: `withPinnedStatus` takes only the statuses declared for it. */
export interface PinnedErrorFactory<P extends number> extends ErrorFactory {
  withPinnedStatus(status: P, message: string, details?: ErrorDetails): DomainError;
}

export type ErrorCatalogue<T extends Record<string, ErrorSpec>> = {
  readonly [K in keyof T & string]: T[K] extends { pinnedAt: infer M }
    ? PinnedErrorFactory<keyof M & number>
    : ErrorFactory;
};

/** One declared code, as the catalogue test and docs/errors.md read it. */
export interface DeclaredError {
  code: string;
  status: number;
  pinned: { status: number; why: string }[];
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
export function defineErrors<const T extends Record<string, ErrorSpec>>(specs: T): ErrorCatalogue<T> {
  const catalogue: Record<string, ErrorFactory> = {};
  const declared: DeclaredError[] = [];
  for (const [code, spec] of Object.entries(specs)) {
    const status = statusOf(code, typeof spec === 'number' ? spec : spec.status);
    const pinned =
      typeof spec === 'number'
        ? []
        : Object.entries(spec.pinnedAt).map(([s, why]) => ({ status: statusOf(code, Number(s)), why }));
    const factory = (message: string, details?: ErrorDetails): DomainError =>
      new DomainError(code, status, message, details);
    const withPinnedStatus = (s: number, message: string, details?: ErrorDetails): DomainError => {
      if (!pinned.some((p) => p.status === s)) throw new Error(`error ${code}: ${s} is not a pinned status`);
      return new DomainError(code, s, message, details);
    };
    catalogue[code] = Object.assign(factory, { code, status }, pinned.length ? { withPinnedStatus } : {});
    declared.push({ code, status, pinned });
  }
  Object.defineProperty(catalogue, DECLARED, { value: declared, enumerable: false });
  return catalogue as ErrorCatalogue<T>;
}

/** The codes a catalogue declares, or undefined for a value that is not a catalogue. */
export function declaredErrors(value: unknown): DeclaredError[] | undefined {
  if (!value || typeof value !== 'object') return undefined;
  return (value as { [DECLARED]?: DeclaredError[] })[DECLARED];
}
