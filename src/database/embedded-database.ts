import type { PGLiteSocketHandlerOptions } from '@electric-sql/pglite-socket';
import { mkdirSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { lockDataDir } from './data-dir-lock';
import { SerialQueryQueue } from './serial-query-queue';

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
  const lock = lockDataDir(dataDir);
  // Loaded on demand: production on PostgreSQL never pays for the WebAssembly module.
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketHandler } = await import('@electric-sql/pglite-socket');
  let db: InstanceType<typeof PGlite>;
  try {
    db = await PGlite.create(dir);
    await db.waitReady;
  } catch (err) {
    lock.release();
    throw err;
  }
  // pglite-socket's handlers, with our queue: see SerialQueryQueue for why not its own.
  const queue = new SerialQueryQueue(db) as unknown as PGLiteSocketHandlerOptions['queryQueue'];
  const handlers = new Set<InstanceType<typeof PGLiteSocketHandler>>();
  const server = createServer((socket) => {
    if (handlers.size >= maxConnections) {
      socket.destroy();
      return;
    }
    const handler = new PGLiteSocketHandler({ queryQueue: queue, closeOnDetach: true });
    handlers.add(handler);
    const forget = (): void => void handlers.delete(handler);
    handler.addEventListener('close', forget);
    handler.addEventListener('error', forget);
    void handler.attach(socket).catch(() => {
      forget();
      socket.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${address.port}/postgres`,
    embedded: true,
    async stop(): Promise<void> {
      await Promise.all([...handlers].map((h) => h.detach(true)));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.close();
      lock.release();
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
