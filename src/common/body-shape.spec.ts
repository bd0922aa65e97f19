import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import {
  BodyShapeScanner,
  bodyShapeProblem,
  MAX_BODY_DEPTH,
  MAX_BODY_VALUES,
  scannedKind,
} from './body-shape';

/** Stream `text` through a scanner in chunks of `size` bytes; the bytes that came out, or the refusal. */
async function scan(text: string, kind: 'json' | 'form' = 'json', size = 7): Promise<string | Error> {
  const bytes = Buffer.from(text);
  const chunks = Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) =>
    bytes.subarray(i * size, (i + 1) * size),
  );
  try {
    return (await buffer(Readable.from(chunks).pipe(new BodyShapeScanner(kind, 1024 * 1024)))).toString();
  } catch (err) {
    return err as Error;
  }
}

const keys = (n: number): string =>
  `{${Array.from({ length: n }, (_, i) => `"${i.toString(36)}":1`).join(',')}}`;

describe('body shape limits', () => {
  it('passes a body of exactly MAX_BODY_VALUES values through unchanged, refuses one more', async () => {
    const atLimit = keys(MAX_BODY_VALUES - 1);
    expect(bodyShapeProblem(JSON.parse(atLimit))).toBeUndefined();
    expect(await scan(atLimit)).toBe(atLimit);
    const over = keys(MAX_BODY_VALUES);
    expect(bodyShapeProblem(JSON.parse(over))).toMatch(/more than/);
    expect(await scan(over)).toMatchObject({ code: 'body_too_complex', statusCode: 413 });
  });

  it('does not count commas, brackets or escaped quotes inside strings', async () => {
    const text = JSON.stringify({ a: ',,,[[[{{{'.repeat(500), b: 'say \\"hi\\", [ok]'.repeat(200) });
    expect(await scan(text, 'json', 3)).toBe(text);
  });

  it('refuses nesting deeper than MAX_BODY_DEPTH, in the bytes and once parsed', async () => {
    const deep = (n: number): string => `${'['.repeat(n)}1${']'.repeat(n)}`;
    expect(await scan(deep(MAX_BODY_DEPTH))).toBe(deep(MAX_BODY_DEPTH));
    expect(await scan(deep(MAX_BODY_DEPTH + 1))).toMatchObject({ code: 'body_too_complex' });
    expect(bodyShapeProblem(JSON.parse(deep(MAX_BODY_DEPTH + 1)))).toMatch(/nested/);
  });

  it('counts form fields', async () => {
    const form = (n: number): string => Array.from({ length: n }, (_, i) => `k${i}=1`).join('&');
    expect(await scan(form(MAX_BODY_VALUES), 'form')).toBe(form(MAX_BODY_VALUES));
    expect(await scan(form(MAX_BODY_VALUES + 1), 'form')).toMatchObject({ code: 'body_too_complex' });
  });

  it('scans JSON and form content types only', () => {
    expect(scannedKind('application/json; charset=utf-8')).toBe('json');
    expect(scannedKind('application/merge-patch+json')).toBe('json');
    expect(scannedKind('application/x-www-form-urlencoded')).toBe('form');
    expect(scannedKind('text/plain')).toBeUndefined();
    expect(scannedKind(undefined)).toBeUndefined();
  });
});
