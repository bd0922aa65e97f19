/**
 * docs/errors.md from the error catalogues (every `src/**\/*.errors.ts`).
 *   node -r ts-node/register scripts/errors-doc.ts           write docs/errors.md
 *   node -r ts-node/register scripts/errors-doc.ts --check   exit 1 when it is out of date
 * src/common/error-catalogues.spec.ts fails too when docs/errors.md is out of date.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { declaredErrors, DeclaredError } from '../src/common/domain-error';
import { merchantCode, seed001Code } from '../src/common/error-dialect';

const ROOT = join(__dirname, '..');
export const ERRORS_DOC = join(ROOT, 'docs', 'errors.md');

export interface LoadedCatalogue {
  /** e.g. src/orders/orders.errors.ts */
  file: string;
  /** the exported name, e.g. OrderErrors */
  name: string;
  errors: DeclaredError[];
}

function catalogueFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return catalogueFiles(p);
    return e.name.endsWith('.errors.ts') ? [p] : [];
  });
}

/** Every catalogue exported by a `*.errors.ts` file under src/, in path order. */
export function loadCatalogues(): LoadedCatalogue[] {
  return catalogueFiles(join(ROOT, 'src'))
    .sort()
    .flatMap((path) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const exported = require(path) as Record<string, unknown>;
      const file = relative(ROOT, path).split(sep).join('/');
      return Object.entries(exported).flatMap(([name, value]) => {
        const errors = declaredErrors(value);
        return errors ? [{ file, name, errors }] : [];
      });
    });
}

export function renderErrorsDoc(catalogues = loadCatalogues()): string {
  const lines = [
    '# Error codes',
    '',
    '<!-- Generated from src/**/*.errors.ts by `node -r ts-node/register scripts/errors-doc.ts`; do not edit. -->',
    '',
    'Every refusal carries a stable snake_case `code`, declared once, with its one HTTP status, in the',
    'catalogue of the module that owns it. How each API shows it:',
    '',
    '- platform API (`/api/v1/...`): the HTTP status below and `{"code": "<code>", "message": "...", "details"?: {...}}`;',
    '- order payment API (`/api/order/...`): the same HTTP status and `{"code": <its code>, "msg": "...", "data": null}`;',
    '- merchant API (`/v1/...`): the same HTTP status and `{"code": <merchant code>, "message": "..."}`.',
    '',
  ];
  for (const c of catalogues) {
    lines.push(
      `## ${c.name} (\`${c.file}\`)`,
      '',
      '| code | HTTP | order payment API | merchant API |',
      '| --- | --- | --- | --- |',
    );
    for (const e of c.errors) {
      lines.push(`| \`${e.code}\` | ${e.status} | ${seed001Code(e.code)} | ${merchantCode(e)} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

if (require.main === module) {
  const doc = renderErrorsDoc();
  if (process.argv.includes('--check')) {
    let committed = '';
    try {
      committed = readFileSync(ERRORS_DOC, 'utf8');
    } catch {
      // reported below
    }
    if (committed !== doc) {
      console.error('docs/errors.md is out of date: run node -r ts-node/register scripts/errors-doc.ts');
      process.exit(1);
    }
  } else {
    writeFileSync(ERRORS_DOC, doc);
    console.log(`wrote ${ERRORS_DOC}`);
  }
}
