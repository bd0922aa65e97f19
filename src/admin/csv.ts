/**
 * CSV (RFC 4180) for spreadsheets: a cell holding a comma, a quote or a line break is quoted with its
 * quotes doubled; a cell a spreadsheet would run as a formula (starting with = + - @, a tab or a
 * carriage return) gets a leading single quote first (OWASP's CSV injection advice).
 */
export type CsvValue = string | number | boolean | object | null | undefined;

export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  let text =
    typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV record, CRLF-terminated as RFC 4180 says. */
export const csvRow = (cells: readonly CsvValue[]): string => `${cells.map(csvCell).join(',')}\r\n`;
