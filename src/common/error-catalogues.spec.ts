import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ERRORS_DOC, loadCatalogues, renderErrorsDoc } from '../../scripts/errors-doc';

const SRC = join(__dirname, '..');
const catalogues = loadCatalogues();
const declared = catalogues.flatMap((c) => c.errors.map((e) => ({ ...e, where: `${c.file} ${c.name}` })));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') ? [p] : [];
  });
}

describe('error catalogues (src/**/*.errors.ts)', () => {
  it('finds the catalogues of every module', () => {
    expect(catalogues.map((c) => c.name)).toEqual(
      expect.arrayContaining(['CommonErrors', 'AuthErrors', 'OrderErrors', 'PaymentErrors', 'RefundErrors']),
    );
    expect(declared.length).toBeGreaterThan(60);
  });

  it('declares each code once, in one module, with one status', () => {
    const seen = new Map<string, string>();
    const twice: string[] = [];
    for (const e of declared) {
      const first = seen.get(e.code);
      if (first) twice.push(`${e.code}: ${first} and ${e.where}`);
      else seen.set(e.code, e.where);
    }
    expect(twice).toEqual([]);
  });

  it('names every code in snake_case and gives it an error status', () => {
    const bad = declared.filter(
      (e) => !/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/.test(e.code) || e.status < 400 || e.status > 599,
    );
    expect(bad.map((e) => `${e.code} ${e.status} (${e.where})`)).toEqual([]);
  });

  it('leaves no status at a throw site: src/ builds DomainError only through the catalogues', () => {
    const direct = sourceFiles(SRC)
      .filter((f) => !f.endsWith(join('common', 'domain-error.ts')))
      .filter((f) => /new DomainError\s*\(/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(SRC, f));
    expect(direct).toEqual([]);
  });

  it('keeps docs/errors.md in step with the catalogues', () => {
    expect(readFileSync(ERRORS_DOC, 'utf8')).toBe(renderErrorsDoc(catalogues));
  });
});
