/**
 * The committed OpenAPI document (`openapi.json`) and the one the code generates must agree.
 *   npm run openapi -- http://127.0.0.1:3000           write openapi.json from a running (built) server
 *   npm run openapi -- http://127.0.0.1:3000 --check   exit 1 when they differ (CI does this)
 * The document comes from the DTOs through the swagger CLI plugin, so the server must be the built one.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FILE = join(__dirname, '..', 'openapi.json');

async function main(): Promise<void> {
  const [base, flag] = process.argv.slice(2);
  if (!base) throw new Error('usage: openapi <base url> [--check]');
  const res = await fetch(`${base.replace(/\/+$/, '')}/docs-json`);
  if (!res.ok) throw new Error(`GET /docs-json answered ${res.status}`);
  const generated = `${JSON.stringify(await res.json(), null, 2)}\n`;
  if (flag !== '--check') {
    writeFileSync(FILE, generated);
    console.log(`wrote ${FILE}`);
    return;
  }
  let committed = '';
  try {
    committed = readFileSync(FILE, 'utf8');
  } catch {
    // reported below as a difference
  }
  if (committed !== generated) {
    console.error(
      'openapi.json is out of date with the code: run `npm start`, then `npm run openapi -- http://127.0.0.1:3000`, and commit it.',
    );
    process.exit(1);
  }
  console.log('openapi.json matches the code');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
