import type { PGlite } from '@electric-sql/pglite';

/** Frontend messages that are part of an extended-protocol batch, which only Sync (`S`) completes. */
const IN_BATCH = new Set([
  0x50 /* Parse */, 0x42 /* Bind */, 0x44 /* Describe */, 0x45 /* Execute */, 0x43 /* Close */,
  0x48 /* Flush */,
]);

interface Item {
  handlerId: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (bytes: number) => void;
  reject: (err: unknown) => void;
}

/**
 * The message queue between pglite-socket's connection handlers and PGlite's single backend.
 *
 * pglite-socket's own queue hands the backend one protocol message at a time from any connection
 * unless a transaction is open, so two connections' extended-protocol batches (Parse, Bind, Execute,
 * Sync) interleave: "bind message supplies 2 parameters, but prepared statement "" requires 1", and
 * random 500s under any concurrency. This queue gives the backend to one connection from its first
 * message until that connection's batch is complete (Sync or a simple Query) and it has no open
 * transaction; the other connections wait their turn.
 */
export class SerialQueryQueue {
  private owner: number | null = null;
  private readonly waiting: Item[] = [];
  private pumping = false;

  constructor(private readonly db: PGlite) {}

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ handlerId, message, onData, resolve, reject });
      void this.pump();
    });
  }

  getQueueLength(): number {
    return this.waiting.length;
  }

  /** A connection went away: drop what it still had queued. */
  clearQueueForHandler(handlerId: number): void {
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      if (this.waiting[i].handlerId === handlerId) {
        this.waiting[i].reject(new Error('connection closed'));
        this.waiting.splice(i, 1);
      }
    }
  }

  /** A connection went away holding the backend: roll back its transaction and let the others in. */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.owner !== handlerId) return;
    if (this.db.isInTransaction()) await this.db.runExclusive(() => this.db.exec('ROLLBACK'));
    this.owner = null;
    await this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        const owner = this.owner;
        const index =
          owner === null
            ? this.waiting.length > 0
              ? 0
              : -1
            : this.waiting.findIndex((i) => i.handlerId === owner);
        if (index < 0) return;
        const [item] = this.waiting.splice(index, 1);
        this.owner = item.handlerId;
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(item.message, {
              onRawData: (data: Uint8Array) => {
                bytes += data.length;
                item.onData(data);
              },
            }),
          );
          item.resolve(bytes);
        } catch (err) {
          item.reject(err);
        }
        if (!IN_BATCH.has(item.message[0]) && !this.db.isInTransaction()) this.owner = null;
      }
    } finally {
      this.pumping = false;
    }
  }
}
