/**
 * The ceiling for `npm run bench`: a bare `node:http` server that does exactly one INSERT per POST into
 * the bench database, through a `pg.Pool` of the same size as paymux's. Nothing else: no framework, no
 * validation beyond JSON.parse, no auth. Whatever paymux achieves is measured against this.
 *
 * `scripts/bench.ts` transpiles this file and runs it with `node -e` (so the child carries no
 * TypeScript compiler in its RSS). It can also be run by hand:
 *   CEILING_DATABASE_URL=postgres://... CEILING_PORT=4000 node -r ts-node/register scripts/bench-ceiling.ts
 *
 * Env: CEILING_DATABASE_URL (required), CEILING_PORT (required), CEILING_POOL_SIZE (default 20).
 * The table `bench_ceiling (id uuid primary key, payload jsonb, created_at timestamptz default now())`
 * must exist. Prints `ceiling listening on <port>` once ready.
 */
import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { Pool } from 'pg';

const databaseUrl = process.env.CEILING_DATABASE_URL;
const port = Number(process.env.CEILING_PORT);
const poolSize = Number(process.env.CEILING_POOL_SIZE ?? '20');
if (!databaseUrl || !Number.isInteger(port) || port <= 0 || !Number.isInteger(poolSize) || poolSize <= 0) {
  process.stderr.write('bench-ceiling: CEILING_DATABASE_URL and CEILING_PORT are required\n');
  process.exit(2);
}

const pool = new Pool({ connectionString: databaseUrl, max: poolSize });

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

async function insert(raw: string): Promise<{ id: string; created_at: Date }> {
  // Validate like any JSON API would, then store the text as jsonb.
  JSON.parse(raw === '' ? '{}' : raw);
  const id = randomUUID();
  const { rows } = await pool.query<{ created_at: Date }>(
    'INSERT INTO bench_ceiling (id, payload) VALUES ($1, $2::jsonb) RETURNING created_at',
    [id, raw === '' ? '{}' : raw],
  );
  return { id, created_at: rows[0].created_at };
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  if (req.method === 'GET') {
    reply(res, 200, { status: 'ok' });
    return;
  }
  if (req.method !== 'POST') {
    reply(res, 405, { error: 'method not allowed' });
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    insert(Buffer.concat(chunks).toString('utf8')).then(
      (row) => reply(res, 201, row),
      (err: unknown) =>
        reply(res, err instanceof SyntaxError ? 400 : 500, {
          error: err instanceof Error ? err.message : String(err),
        }),
    );
  });
}

const server = createServer(handle);
server.keepAliveTimeout = 65000;
server.listen(port, '127.0.0.1', () => process.stdout.write(`ceiling listening on ${port}\n`));

const stop = (): void => {
  server.close();
  server.closeAllConnections();
  pool.end().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
