/**
 * A counting TCP proxy between a PostgreSQL client (a paymux server) and PostgreSQL, for
 * `scripts/bench.ts`'s "PostgreSQL statements per operation". It forwards every byte unchanged and
 * reads the frontend (client -> server) side of the protocol:
 *
 * - the startup message (no type byte: int32 length, int32 code). An SSLRequest or GSSENCRequest is
 *   answered 'N' here (no encryption, the client goes on in plain text) and not forwarded; a
 *   CancelRequest is forwarded as is.
 * - then messages of 1 type byte + int32 length (the length counts itself). Counted: Query ('Q', simple
 *   protocol: one round trip, its SQL in the message), Execute ('E', extended protocol: runs the portal
 *   bound by the last Bind of that name), Sync ('S', ends an extended-protocol round trip). The SQL of an
 *   Execute comes from its portal's Bind, whose statement is either the unnamed one (the SQL of the last
 *   unnamed Parse on that connection) or a named prepared statement (the name mapped to the SQL of its
 *   Parse, per connection, as PostgreSQL scopes them).
 *
 * Statements = Query + Execute messages; round trips = Query + Sync messages (node-postgres sends
 * Parse/Bind/Describe/Execute/Sync per query and waits for ReadyForQuery, so one Sync is one wait).
 *
 * Standalone, to watch something by hand (prints the statements grouped on Ctrl-C):
 *   npx ts-node scripts/bench-pg-proxy.ts [--listen 6432] [--target 127.0.0.1:5432]
 */
import { createConnection, createServer, Server, Socket } from 'node:net';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

/** Counters since the proxy started; subtract two snapshots for an interval. */
export interface PgCounts {
  /** Query + Execute messages. */
  statements: number;
  queries: number;
  executes: number;
  syncs: number;
  /** Statements by their normalized text (whitespace collapsed, first 100 characters). */
  byText: Map<string, number>;
}

export function emptyCounts(): PgCounts {
  return { statements: 0, queries: 0, executes: 0, syncs: 0, byText: new Map() };
}

export function copyCounts(c: PgCounts): PgCounts {
  return { ...c, byText: new Map(c.byText) };
}

/** b - a, per counter and per statement text. */
export function diffCounts(b: PgCounts, a: PgCounts): PgCounts {
  const byText = new Map<string, number>();
  for (const [k, n] of b.byText) {
    const d = n - (a.byText.get(k) ?? 0);
    if (d !== 0) byText.set(k, d);
  }
  return {
    statements: b.statements - a.statements,
    queries: b.queries - a.queries,
    executes: b.executes - a.executes,
    syncs: b.syncs - a.syncs,
    byText,
  };
}

/** The text statements are grouped by: whitespace collapsed, the first 100 characters. */
export function normalizeSql(sql: string): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return flat.length > 100 ? `${flat.slice(0, 100)}…` : flat;
}

export type TransactionControl = 'BEGIN' | 'COMMIT' | 'ROLLBACK' | null;

/** BEGIN / START TRANSACTION, COMMIT / END, ROLLBACK / ABORT (not ROLLBACK TO SAVEPOINT). */
export function transactionControl(sql: string): TransactionControl {
  const s = sql.trimStart().toUpperCase();
  if (/^(BEGIN|START TRANSACTION)\b/.test(s)) return 'BEGIN';
  if (/^(COMMIT|END)\b/.test(s)) return 'COMMIT';
  if (/^(ROLLBACK|ABORT)\b/.test(s) && !/^ROLLBACK\s+TO\b/.test(s)) return 'ROLLBACK';
  return null;
}

/** A C string at `at` in `buf`: its text and the offset after its NUL. */
function cstring(buf: Buffer, at: number): [string, number] {
  const end = buf.indexOf(0, at);
  if (end < 0) return [buf.toString('utf8', at), buf.length];
  return [buf.toString('utf8', at, end), end + 1];
}

/** The frontend side of one client connection. */
class FrontendParser {
  private pending: Buffer = Buffer.alloc(0);
  private started = false;
  private unnamedSql = '';
  private readonly named = new Map<string, string>();
  private readonly portals = new Map<string, string>();

  constructor(
    private readonly counts: PgCounts,
    /** Bytes to send on to PostgreSQL. */
    private readonly forward: (b: Buffer) => void,
    /** Bytes to answer the client with directly (the 'N' to an SSLRequest). */
    private readonly answer: (b: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let at = 0;
    const out: Buffer[] = [];
    for (;;) {
      if (!this.started) {
        if (this.pending.length - at < 8) break;
        const len = this.pending.readInt32BE(at);
        if (this.pending.length - at < len) break;
        const code = this.pending.readInt32BE(at + 4);
        if (len === 8 && (code === SSL_REQUEST || code === GSSENC_REQUEST)) {
          this.answer(Buffer.from('N'));
        } else {
          out.push(this.pending.subarray(at, at + len));
          this.started = true; // the startup message or a CancelRequest
        }
        at += len;
        continue;
      }
      if (this.pending.length - at < 5) break;
      const len = this.pending.readInt32BE(at + 1);
      if (this.pending.length - at < 1 + len) break;
      this.message(this.pending[at], this.pending.subarray(at + 5, at + 1 + len));
      out.push(this.pending.subarray(at, at + 1 + len));
      at += 1 + len;
    }
    if (out.length > 0) this.forward(out.length === 1 ? out[0] : Buffer.concat(out));
    this.pending = at >= this.pending.length ? Buffer.alloc(0) : Buffer.from(this.pending.subarray(at));
  }

  private message(type: number, body: Buffer): void {
    switch (String.fromCharCode(type)) {
      case 'Q': {
        const [sql] = cstring(body, 0);
        this.counts.queries++;
        this.count(sql);
        break;
      }
      case 'P': {
        const [name, next] = cstring(body, 0);
        const [sql] = cstring(body, next);
        if (name === '') this.unnamedSql = sql;
        else this.named.set(name, sql);
        break;
      }
      case 'B': {
        const [portal, next] = cstring(body, 0);
        const [statement] = cstring(body, next);
        this.portals.set(portal, statement === '' ? this.unnamedSql : (this.named.get(statement) ?? ''));
        break;
      }
      case 'E': {
        const [portal] = cstring(body, 0);
        this.counts.executes++;
        this.count(this.portals.get(portal) ?? '(unknown portal)');
        break;
      }
      case 'S':
        this.counts.syncs++;
        break;
      case 'C': {
        // Close: 'S' statement or 'P' portal, then its name.
        const [name] = cstring(body, 1);
        if (body[0] === 0x53) this.named.delete(name);
        else this.portals.delete(name);
        break;
      }
      default:
        break;
    }
  }

  private count(sql: string): void {
    this.counts.statements++;
    const key = normalizeSql(sql);
    this.counts.byText.set(key, (this.counts.byText.get(key) ?? 0) + 1);
  }
}

export class PgStatementProxy {
  readonly counts: PgCounts = emptyCounts();
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly target: { host: string; port: number }) {}

  /** Listen on 127.0.0.1 (port 0: any free port); resolves to the port. */
  async listen(port = 0): Promise<number> {
    const server = createServer((client) => this.connection(client));
    this.server = server;
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolveListen());
    });
    const addr = server.address();
    if (typeof addr !== 'object' || !addr) throw new Error('proxy: no address');
    return addr.port;
  }

  snapshot(): PgCounts {
    return copyCounts(this.counts);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((r) => server.close(() => r()));
  }

  private connection(client: Socket): void {
    const upstream = createConnection(this.target.port, this.target.host);
    this.sockets.add(client);
    this.sockets.add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const parser = new FrontendParser(
      this.counts,
      (b) => upstream.write(b),
      (b) => client.write(b),
    );
    client.on('data', (chunk: Buffer) => parser.push(chunk));
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  }
}

// ---------------------------------------------------------------------------------------------
// Standalone

async function cli(argv: string[]): Promise<void> {
  let listen = 6432;
  let target = '127.0.0.1:5432';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--listen') listen = Number(argv[++i]);
    else if (argv[i] === '--target') target = argv[++i];
  }
  const [host, port] = target.split(':');
  const proxy = new PgStatementProxy({ host, port: Number(port) });
  const bound = await proxy.listen(listen);
  process.stderr.write(`pg proxy on 127.0.0.1:${bound} -> ${target}; Ctrl-C prints the counts\n`);
  process.once('SIGINT', () => {
    const c = proxy.counts;
    process.stdout.write(
      `statements ${c.statements} (Query ${c.queries}, Execute ${c.executes}), round trips ${c.queries + c.syncs}\n`,
    );
    for (const [sql, n] of [...c.byText.entries()].sort((a, b) => b[1] - a[1]))
      process.stdout.write(`${String(n).padStart(8)}  ${sql}\n`);
    void proxy.close().then(() => process.exit(0));
  });
}

if (require.main === module) void cli(process.argv.slice(2));
