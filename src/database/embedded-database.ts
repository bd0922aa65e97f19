import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** Handle to a database paymux runs on: its URL and how to let go of it. */
export interface DatabaseHandle {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

/**
 * Embedded PostgreSQL: PGlite (PostgreSQL compiled to WebAssembly) kept in `dataDir`, served on a
 * loopback port by pglite-socket so the ordinary `pg` driver and the same migrations serve it.
 * It has one backend, so connections queue behind an open transaction: code inside a transaction
 * must use only that transaction's EntityManager.
 */
export async function startEmbeddedDatabase(
  dataDir: string,
  maxConnections: number,
): Promise<DatabaseHandle> {
  const dir = join(dataDir, 'pglite');
  mkdirSync(dir, { recursive: true });
  // Loaded on demand: production on PostgreSQL never pays for the WebAssembly module.
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const db = await PGlite.create(dir);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections });
  await server.start();
  const conn = server.getServerConn();
  return {
    url: `postgres://postgres:postgres@${conn}/postgres`,
    embedded: true,
    async stop(): Promise<void> {
      await server.stop();
      await db.close();
    },
  };
}

export async function openDatabase(
  databaseUrl: string | undefined,
  dataDir: string,
  poolSize: number,
): Promise<DatabaseHandle> {
  if (databaseUrl) return { url: databaseUrl, embedded: false, stop: () => Promise.resolve() };
  return startEmbeddedDatabase(dataDir, poolSize + 10);
}
