/**
 * Where a V8 CPU profile (`node --cpu-prof` output, a .cpuprofile file) spends its time, by layer.
 *
 *   npx ts-node scripts/cpu-profile-summary.ts file.cpuprofile [--top 25]
 *
 * Prints two markdown tables: SELF time summed per layer (ms and % of busy time), and the top N
 * functions by self time. `scripts/bench.ts` imports `summarizeCpuProfile` and `renderCpuProfileSummary`.
 *
 * Time per sample: V8 records, for each sample, the node (call path) on top of the stack and the time
 * since the previous sample (timeDeltas). A sample's duration is taken as the time until the next sample
 * (the last one: until endTime), which is how Chrome DevTools attributes it. "(idle)" samples (the event
 * loop waiting) are excluded from busy time; "(program)" (V8 and native work not attributed to a JS
 * frame), "(garbage collector)" and "(root)" are their own rows.
 *
 * For native and Node-internal functions in the top list, "called from" names the layers of the nearest
 * package or app frame above them (a socket write is the pg driver's or Fastify's).
 *
 * Layers are chosen by the callFrame.url of the sample's node (see `layerOf`): a few packages are
 * grouped by what they do (the pg driver, Fastify, validation, auth, logging), the app's own compiled
 * code (…/src/<dir>/…, outside node_modules) by its source directory, Node's own modules by what they
 * do, and any other package by its name when it carries more than 2% of busy time.
 */
import { readFileSync } from 'node:fs';

// ---------------------------------------------------------------------------------------------
// The .cpuprofile format (the part read here)

export interface CpuProfileCallFrame {
  functionName: string;
  scriptId?: string | number;
  url: string;
  /** 0-based. */
  lineNumber: number;
  columnNumber: number;
}

export interface CpuProfileNode {
  id: number;
  callFrame: CpuProfileCallFrame;
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  /** Microseconds. */
  startTime: number;
  endTime: number;
  samples?: number[];
  /** Microseconds since the previous sample (the first: since startTime). */
  timeDeltas?: number[];
}

// ---------------------------------------------------------------------------------------------
// Layers

const PG_DRIVER = new Set([
  'pg',
  'pg-protocol',
  'pg-pool',
  // pg's own helpers: type parsing, connection strings
  'pg-types',
  'pg-connection-string',
  'pg-int8',
  'pgpass',
  'postgres-array',
  'postgres-bytea',
  'postgres-date',
  'postgres-interval',
]);
const FASTIFY = new Set(['fastify', 'find-my-way', 'avvio', 'light-my-request', 'fast-json-stringify']);
const VALIDATION = new Set(['class-validator', 'class-transformer', 'validator']);
const AUTH = new Set([
  'jsonwebtoken',
  'jws',
  'jwa',
  // jwa's helpers
  'ecdsa-sig-formatter',
  'buffer-equal-constant-time',
]);
const LOGGING = new Set([
  'nestjs-pino',
  'sonic-boom',
  'fast-redact',
  'quick-format-unescaped',
  'thread-stream',
]);
const OWN_NAME = new Set(['typeorm', 'decimal.js', 'rxjs', 'reflect-metadata']);

/** Layers whose rows always show (when they have any time), in this order after sorting by time. */
export const PSEUDO_LAYERS = ['(program)', '(garbage collector)', '(root)'] as const;

/** The package a node_modules path belongs to (the innermost node_modules), or null. */
export function packageOf(url: string): string | null {
  const path = url.replace(/\\/g, '/');
  const at = path.lastIndexOf('/node_modules/');
  if (at < 0) return null;
  const parts = path.slice(at + '/node_modules/'.length).split('/');
  if (parts[0].startsWith('@') && parts.length > 1) return `${parts[0]}/${parts[1]}`;
  return parts[0] || null;
}

function packageLayer(pkg: string): string {
  if (PG_DRIVER.has(pkg)) return 'pg driver';
  if (OWN_NAME.has(pkg)) return pkg;
  if (pkg.startsWith('@nestjs/')) return 'NestJS';
  if (FASTIFY.has(pkg) || pkg.startsWith('@fastify/')) return 'Fastify';
  if (VALIDATION.has(pkg)) return 'validation/transformation';
  if (AUTH.has(pkg) || pkg.startsWith('passport')) return 'auth (JWT/passport)';
  if (LOGGING.has(pkg) || pkg.startsWith('pino') || pkg.startsWith('@pinojs/')) return 'logging';
  return `package: ${pkg}`;
}

/**
 * The layer of a sample whose top frame has this function name and url. Packages without a group come
 * back as "package: <name>"; `summarizeCpuProfile` folds the small ones into "other packages".
 */
export function layerOf(functionName: string, url: string): string {
  if (functionName === '(idle)') return '(idle)';
  if ((PSEUDO_LAYERS as readonly string[]).includes(functionName)) return functionName;
  if (!url) return 'native/V8';
  if (url.startsWith('node:')) {
    const mod = url.slice('node:'.length);
    if (
      mod === 'async_hooks' ||
      mod.startsWith('internal/async_hooks') ||
      mod.startsWith('internal/async_local_storage')
    )
      return 'async hooks (AsyncLocalStorage)';
    if (
      mod === 'net' ||
      mod === 'stream' ||
      mod.startsWith('stream/') ||
      mod.startsWith('internal/stream_base_commons') ||
      mod.startsWith('internal/streams/') ||
      mod === 'internal/net'
    )
      return 'socket and stream I/O';
    return 'Node runtime';
  }
  const pkg = packageOf(url);
  if (pkg) return packageLayer(pkg);
  // The app's own compiled code: <dist>/src/<dir>/file.js (or src/<dir>/file.ts under ts-node).
  const path = url.replace(/^file:\/\//, '').replace(/\\/g, '/');
  const m = /\/src\/([^/]+)(\/)?/.exec(path.slice(path.lastIndexOf('/src/')));
  if (m) return m[2] ? `paymux: ${m[1]}` : 'paymux: (top level)';
  if (/^(evalmachine|\[eval|wasm:)/.test(url)) return 'native/V8';
  return 'other code';
}

// ---------------------------------------------------------------------------------------------
// Summary

export interface LayerTime {
  layer: string;
  ms: number;
  /** Share of busy time (0..1). */
  share: number;
}

export interface FunctionTime {
  name: string;
  /** url:line (1-based), or the url alone for native code. */
  location: string;
  layer: string;
  ms: number;
  share: number;
  /**
   * For native and Node-internal functions (socket writes, crypto, events): the layers of the nearest
   * package or app frame above them, by share of this function's time, e.g. "pg driver 80%, Fastify 20%".
   */
  calledFrom: string;
}

export interface CpuProfileSummary {
  /** The time the counted samples cover (from startTime to endTime, or the window). */
  totalMs: number;
  idleMs: number;
  /** totalMs minus idle: the denominator of every share. */
  busyMs: number;
  /** Samples counted (inside the window, if one was given). */
  samples: number;
  layers: LayerTime[];
  top: FunctionTime[];
}

/** Layers (packages without a group) below this share of busy time go to "other packages". */
const OWN_ROW_SHARE = 0.02;

/**
 * `window` (microseconds on the profile's clock, which is CLOCK_MONOTONIC as `process.hrtime` is, so
 * another process on the same machine can name it) keeps only the samples taken inside it: the load,
 * not the server's start-up and shutdown.
 */
export function summarizeCpuProfile(
  profile: CpuProfile,
  opts: { top?: number; window?: { fromUs: number; toUs: number } } = {},
): CpuProfileSummary {
  const topN = opts.top ?? 25;
  const inWindow = (us: number): boolean =>
    !opts.window || (us >= opts.window.fromUs && us <= opts.window.toUs);
  const byId = new Map<number, CpuProfileNode>();
  for (const n of profile.nodes) byId.set(n.id, n);
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // Self time per node, in microseconds.
  const selfUs = new Map<number, number>();
  let counted = 0;
  let t = profile.startTime;
  const stamps: number[] = [];
  for (let i = 0; i < samples.length; i++) {
    t += deltas[i] ?? 0;
    stamps.push(t);
  }
  for (let i = 0; i < samples.length; i++) {
    const next = i + 1 < samples.length ? stamps[i + 1] : Math.max(profile.endTime, stamps[i]);
    const dur = Math.max(0, next - stamps[i]);
    if (!inWindow(stamps[i])) continue;
    counted++;
    selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + dur);
  }

  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parentOf.set(child, n.id);
  const callerCache = new Map<number, string>();
  /** The layer of the nearest frame above `id` that belongs to a package or the app (not node: or native). */
  const callerOf = (id: number): string => {
    const cached = callerCache.get(id);
    if (cached !== undefined) return cached;
    let layer = '';
    for (let p = parentOf.get(id); p !== undefined; p = parentOf.get(p)) {
      const f = byId.get(p)?.callFrame;
      if (f && f.url && !f.url.startsWith('node:')) {
        layer = layerOf(f.functionName, f.url).replace(/^package: /, '');
        break;
      }
    }
    callerCache.set(id, layer);
    return layer;
  };

  const layerUs = new Map<string, number>();
  const fnUs = new Map<
    string,
    { name: string; location: string; layer: string; us: number; callers: Map<string, number> }
  >();
  let idleUs = 0;
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    totalUs += us;
    const { functionName, url, lineNumber } = node.callFrame;
    const layer = layerOf(functionName, url);
    if (layer === '(idle)') {
      idleUs += us;
      continue;
    }
    layerUs.set(layer, (layerUs.get(layer) ?? 0) + us);
    const name = functionName || '(anonymous)';
    const location = url ? `${shortUrl(url)}:${lineNumber + 1}` : '(native)';
    const key = `${name}\u0000${location}`;
    const f = fnUs.get(key) ?? { name, location, layer, us: 0, callers: new Map<string, number>() };
    f.us += us;
    if (!url || url.startsWith('node:')) {
      const caller = callerOf(id);
      if (caller) f.callers.set(caller, (f.callers.get(caller) ?? 0) + us);
    }
    fnUs.set(key, f);
  }
  const busyUs = totalUs - idleUs;
  const share = (us: number): number => (busyUs > 0 ? us / busyUs : 0);

  // Packages without a group: their own row above 2%, else "other packages".
  const folded = new Map<string, number>();
  for (const [layer, us] of layerUs) {
    const key = layer.startsWith('package: ')
      ? share(us) > OWN_ROW_SHARE
        ? layer.slice('package: '.length)
        : 'other packages'
      : layer;
    folded.set(key, (folded.get(key) ?? 0) + us);
  }
  const layers = [...folded.entries()]
    .map(([layer, us]) => ({ layer, ms: us / 1000, share: share(us) }))
    .sort((a, b) => b.ms - a.ms);
  const top = [...fnUs.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, topN)
    .map((f) => ({
      name: f.name,
      location: f.location,
      layer: f.layer.replace(/^package: /, ''),
      ms: f.us / 1000,
      share: share(f.us),
      calledFrom: [...f.callers.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([layer, us]) => `${layer} ${Math.round((us / f.us) * 100)}%`)
        .join(', '),
    }));
  return {
    totalMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    busyMs: busyUs / 1000,
    samples: counted,
    layers,
    top,
  };
}

/** A url shortened to what identifies it: from node_modules/ or src/ on, else as is. */
function shortUrl(url: string): string {
  const path = url.replace(/^file:\/\//, '').replace(/\\/g, '/');
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) return path.slice(nm + 1);
  const src = path.lastIndexOf('/src/');
  if (src >= 0) return path.slice(src + 1);
  return url;
}

// ---------------------------------------------------------------------------------------------
// Markdown

const num = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const percent = (x: number): string => `${num(x * 100, 1)}%`;
const cell = (s: string): string => s.replace(/\|/g, '\\|');

export function renderCpuProfileSummary(s: CpuProfileSummary, opts: { title?: string } = {}): string {
  const lines: string[] = [];
  if (opts.title) lines.push(opts.title, '');
  lines.push(
    `${num(s.samples)} samples over ${num(s.totalMs)} ms: ${num(s.busyMs)} ms busy, ${num(s.idleMs)} ms idle (excluded below).`,
    '',
    '| Layer (self time) | ms | % of busy time |',
    '| --- | --- | --- |',
    ...s.layers.map((l) => `| ${cell(l.layer)} | ${num(l.ms)} | ${percent(l.share)} |`),
    '',
    `Top ${s.top.length} functions by self time:`,
    '',
    '| Function | Where | Layer | ms | % of busy time | called from (native and node: functions) |',
    '| --- | --- | --- | --- | --- | --- |',
    ...s.top.map(
      (f) =>
        `| ${cell(f.name)} | ${cell(f.location)} | ${cell(f.layer)} | ${num(f.ms, 1)} | ${percent(f.share)} | ${cell(f.calledFrom)} |`,
    ),
  );
  return lines.join('\n');
}

export function readCpuProfile(file: string): CpuProfile {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  if (!Array.isArray(parsed.nodes)) throw new Error(`${file}: not a V8 CPU profile (no nodes)`);
  return parsed;
}

// ---------------------------------------------------------------------------------------------
// Standalone

function cli(argv: string[]): number {
  let top = 25;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--top') {
      top = Number(argv[++i]);
      if (!Number.isInteger(top) || top < 0) {
        process.stderr.write('--top needs a non-negative integer\n');
        return 2;
      }
    } else files.push(argv[i]);
  }
  if (files.length === 0) {
    process.stderr.write('usage: npx ts-node scripts/cpu-profile-summary.ts file.cpuprofile [--top 25]\n');
    return 2;
  }
  for (const file of files) {
    const summary = summarizeCpuProfile(readCpuProfile(file), { top });
    process.stdout.write(`${renderCpuProfileSummary(summary, { title: `### ${file}` })}\n\n`);
  }
  return 0;
}

if (require.main === module) process.exitCode = cli(process.argv.slice(2));
