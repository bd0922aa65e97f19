import { bodyBytesProblem, bodyShapeProblem, MAX_BODY_DEPTH, MAX_BODY_VALUES } from './body-shape';

const scan = (text: string, kind: 'json' | 'form' = 'json'): string | undefined =>
  bodyBytesProblem(kind, Buffer.from(text));

const keys = (n: number): string =>
  `{${Array.from({ length: n }, (_, i) => `"${i.toString(36)}":1`).join(',')}}`;

describe('body shape limits', () => {
  it('accepts a body of exactly MAX_BODY_VALUES values, refuses one more', () => {
    const atLimit = keys(MAX_BODY_VALUES - 1);
    expect(bodyShapeProblem(JSON.parse(atLimit))).toBeUndefined();
    expect(scan(atLimit)).toBeUndefined();
    const over = keys(MAX_BODY_VALUES);
    expect(bodyShapeProblem(JSON.parse(over))).toMatch(/more than/);
    expect(scan(over)).toBe(`the request has more than ${MAX_BODY_VALUES} values`);
  });

  it('does not count commas, brackets or escaped quotes inside strings', () => {
    const text = JSON.stringify({ a: ',,,[[[{{{'.repeat(500), b: 'say \\"hi\\", [ok]'.repeat(200) });
    expect(scan(text)).toBeUndefined();
  });

  it('refuses nesting deeper than MAX_BODY_DEPTH, in the bytes and once parsed', () => {
    const deep = (n: number): string => `${'['.repeat(n)}1${']'.repeat(n)}`;
    expect(scan(deep(MAX_BODY_DEPTH))).toBeUndefined();
    expect(scan(deep(MAX_BODY_DEPTH + 1))).toMatch(/nested deeper/);
    expect(bodyShapeProblem(JSON.parse(deep(MAX_BODY_DEPTH + 1)))).toMatch(/nested/);
  });

  it('counts form fields', () => {
    const form = (n: number): string => Array.from({ length: n }, (_, i) => `k${i}=1`).join('&');
    expect(scan(form(MAX_BODY_VALUES), 'form')).toBeUndefined();
    expect(scan(form(MAX_BODY_VALUES + 1), 'form')).toMatch(/more than/);
  });
});
