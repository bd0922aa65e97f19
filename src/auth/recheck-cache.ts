interface Entry<V> {
  value: Promise<V | null>;
  loadedAt: number;
  /** The row's id, once the lookup has answered. */
  id?: string;
}

/** The bound of every auth cache (with PrincipalCache's). */
const MAX_ENTRIES = 50_000;

/**
 * Auth lookups by a credential (a token's hash, an API key's id), loaded at most once every
 * `maxAgeMs()` per process (AUTH_RECHECK_SECONDS): a change made by another process is seen within that
 * bound, one made by this process at once through `invalidate(id)` of the row it changed. Only found
 * rows are remembered (random guesses must not fill the map: each costs its lookup); concurrent misses
 * for one credential share the lookup; at most MAX_ENTRIES, the oldest dropped first.
 */
export class RecheckCache<V> {
  private readonly entries = new Map<string, Entry<V>>();

  constructor(
    private readonly load: (credential: string) => Promise<V | null>,
    /** The id of the row a value came from (what `invalidate` is given). */
    private readonly idOf: (value: V) => string,
    private readonly maxAgeMs: () => number,
  ) {}

  get(credential: string): Promise<V | null> {
    const now = Date.now();
    const hit = this.entries.get(credential);
    if (hit && now - hit.loadedAt < this.maxAgeMs()) return hit.value;
    const value = this.load(credential);
    const entry: Entry<V> = { value, loadedAt: now };
    const forget = (): void => {
      if (this.entries.get(credential) === entry) this.entries.delete(credential);
    };
    value.then((v) => (v ? (entry.id = this.idOf(v)) : forget()), forget);
    this.entries.delete(credential);
    this.entries.set(credential, entry);
    if (this.entries.size > MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return value;
  }

  /** Forget the row `id` this process has just changed (and any lookup still under way). */
  invalidate(id: string): void {
    for (const [credential, e] of this.entries) {
      if (e.id === id || e.id === undefined) this.entries.delete(credential);
    }
  }
}
