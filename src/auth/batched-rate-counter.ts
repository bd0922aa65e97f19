import type { Logger } from '@nestjs/common';
import type { PgThrottlerStorage } from './pg-throttler.storage';

/** What one hit decided. */
export interface RateDecision {
  /** The key's count in this window as this process sees it, this hit included. */
  count: number;
  blocked: boolean;
  /** Whole seconds (at least 1) until the window ends, as far as this process knows. */
  secondsLeft: number;
}

/** One key's window as this process sees it. */
interface KeyWindow {
  /**
   * Date.now() at which the window ends: the store's end once a sync has told us; until then one
   * window after the first hit here (so a store that cannot be reached for a whole window does not
   * keep a key blocked, nor pile up hits to send into the next window).
   */
  endsAt: number;
  /** The store's count (every process's hits) at the last sync. */
  stored: number;
  /** This process's hits in the sync now in flight. */
  sending: number;
  /** This process's hits not sent yet. */
  unsent: number;
  /** Bumped when the window rolls over here, so a reply about the ended window is recognised. */
  generation: number;
}

/**
 * A fixed-window counter per key that decides in process and reconciles with the shared store (the
 * rate_limits table) in batches, so the request path runs no SQL and a busy key's row is written
 * once per sync instead of once per request.
 *
 * - `hit(key)` counts locally and decides: allowed while the store's count at the last sync plus this
 *   process's hits since then (sent or not) stays within `limit`. Over it is blocked, like the store's
 *   own counter (blocked hits count too, so a key stays blocked until its window ends).
 * - `sync()` (every RATE_LIMIT_SYNC_MS, driven by the owner) sends every key's unsent hits in ONE
 *   multi-row UPSERT (PgThrottlerStorage.addHits) and learns each key's count and window end from the
 *   store, which stays the source of truth for both. A failed sync keeps the hits for the next one.
 * - Window rollover: once the window the store reported has ended, the key starts again from zero
 *   here, and the store starts its new window with the first hits sent after its end. Hits still
 *   unsent from the ended window are dropped: they can no longer change a decision, and sending them
 *   late would count them in the new window. A new window therefore starts in the store up to one sync
 *   interval after its first hit here; its length is the configured window. Until a sync reports the
 *   store's window, the window is taken to end one window after its first hit here.
 * - Memory: keys whose window ended and that have nothing unsent or in flight are forgotten at each
 *   sync, so the map holds the keys active in the current window.
 *
 * How far over the limit a key can go. With one process the decision is exact (the store only ever
 * holds this process's own hits, all of which it has counted). With P processes, process i misses the
 * other processes' hits that were not in the store when its last sync ran: its last sync is at most
 * one interval S (plus one statement's round trip R) old, and at that moment each other process's
 * unsent hits were at most one interval (plus R) old. So the count in the store can exceed the limit
 * by at most what the other processes counted on that key in the last 2 x (S + R), and a process that
 * has not synced a key yet (a key new to it, or just after a start) also by its own hits in its first
 * interval. With default settings (S = 250 ms) and two processes each seeing r requests/s on one key,
 * that is about r/2 requests (0.5 s of the other process's traffic). However long syncs fail, no
 * process allows more than `limit` in its own view, so a window never allows more than P x limit.
 */
export class BatchedRateCounter {
  private readonly windows = new Map<string, KeyWindow>();
  private syncing: Promise<void> | undefined;

  constructor(
    private readonly storage: Pick<PgThrottlerStorage, 'addHits'>,
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly logger: Pick<Logger, 'warn'>,
  ) {}

  /** Count one hit for `key` and decide; no I/O. */
  hit(key: string, now = Date.now()): RateDecision {
    let w = this.windows.get(key);
    if (!w) {
      w = { endsAt: now + this.windowMs, stored: 0, sending: 0, unsent: 0, generation: 0 };
      this.windows.set(key, w);
    } else if (now >= w.endsAt) {
      w.endsAt = now + this.windowMs;
      w.stored = 0;
      w.unsent = 0;
      w.generation++;
    }
    w.unsent++;
    const count = w.stored + w.sending + w.unsent;
    const secondsLeft = Math.max(1, Math.ceil((w.endsAt - now) / 1000));
    return { count, blocked: count > this.limit, secondsLeft };
  }

  /** Keys currently held (for tests and metrics). */
  get size(): number {
    return this.windows.size;
  }

  /**
   * Send every key's unsent hits in one statement and take the store's counts; never throws (a
   * failure is logged at warn and the hits go with the next sync). A call while a sync is in flight
   * waits for it and then syncs what was counted meanwhile.
   */
  async sync(): Promise<void> {
    while (this.syncing) await this.syncing;
    this.syncing = this.syncOnce().finally(() => (this.syncing = undefined));
    await this.syncing;
  }

  private async syncOnce(): Promise<void> {
    const now = Date.now();
    const batch = new Map<string, number>();
    const sent = new Map<string, { hits: number; generation: number }>();
    for (const [key, w] of this.windows) {
      if (w.unsent > 0) {
        batch.set(key, w.unsent);
        sent.set(key, { hits: w.unsent, generation: w.generation });
        w.sending = w.unsent;
        w.unsent = 0;
      } else if (w.sending === 0 && now >= w.endsAt) {
        this.windows.delete(key);
      }
    }
    if (batch.size === 0) return;
    try {
      const rows = await this.storage.addHits(batch, this.windowMs);
      const at = Date.now();
      for (const row of rows) {
        const w = this.windows.get(row.key);
        const s = sent.get(row.key);
        if (!w || !s) continue;
        sent.delete(row.key);
        w.sending = 0;
        const endsAt = at + row.msLeft;
        // The window rolled over here while this sync was in flight and the store answered about
        // the ended window (a new one would have nearly the whole window left): keep the new one.
        if (w.generation !== s.generation && endsAt < at + this.windowMs / 2) continue;
        w.stored = row.hits;
        w.endsAt = endsAt;
      }
      // Every key sent comes back; were one missing, its hits would go with the next sync.
      this.keepForNextSync(sent);
    } catch (err) {
      this.keepForNextSync(sent);
      this.logger.warn(`rate-limit sync failed (${batch.size} keys kept for the next sync): ${String(err)}`);
    }
  }

  private keepForNextSync(sent: ReadonlyMap<string, { hits: number; generation: number }>): void {
    for (const [key, s] of sent) {
      const w = this.windows.get(key);
      if (!w) continue;
      w.sending = 0;
      // Hits of a window that has ended here since are dropped, as at rollover.
      if (w.generation === s.generation) w.unsent += s.hits;
    }
  }
}
