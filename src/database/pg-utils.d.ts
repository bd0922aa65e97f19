/** node-postgres's own helpers (`pg/lib/utils`, exported by pg 8's package.json). */
declare module 'pg/lib/utils' {
  /** A parameter's text form, as node-postgres sends it (null for SQL NULL; a Buffer for bytea). */
  export function prepareValue(value: unknown): string | Buffer | null;
  /** `text` as an SQL string literal. */
  export function escapeLiteral(text: string): string;
}
