/** One allowance a search is taken from: `max` hits per `windowMs` under `key`. */
export interface Bucket {
  key: string;
  max: number;
  windowMs: number;
}

/**
 * Sliding-window limits on searches, so nobody monopolises the shared search pool. A search is
 * taken from several allowances at once (the person's across every server, the server's share, the
 * member's in that server): it counts in all of them, or — when one is used up — in none.
 */
export class RateLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Records a hit for `key` (guild and user) and returns 0, or returns how many ms until it may
   * search again (no hit recorded).
   */
  take(key: string, max: number, windowMs: number): number {
    return this.takeAll([{ key, max, windowMs }]).waitMs;
  }

  /**
   * Records a hit in every bucket and returns waitMs 0, or returns the first used-up bucket and how
   * many ms until it frees up (nothing recorded anywhere).
   */
  takeAll(buckets: readonly Bucket[]): { waitMs: number; bucket?: Bucket; at?: number } {
    const t = this.now();
    const recent = buckets.map((b) => (this.hits.get(b.key) ?? []).filter((h) => h > t - b.windowMs));
    for (const [i, b] of buckets.entries()) {
      this.hits.set(b.key, recent[i]!);
      if (recent[i]!.length >= b.max) return { waitMs: recent[i]![recent[i]!.length - b.max]! + b.windowMs - t, bucket: b };
    }
    for (const list of recent) list.push(t);
    // Keep the map from growing with users who have gone quiet (a day covers the longest window).
    if (this.hits.size > 10_000) {
      for (const [id, list] of this.hits) if (list.every((h) => h <= t - 86_400_000)) this.hits.delete(id);
    }
    return { waitMs: 0, at: t };
  }

  /**
   * Gives back a hit that `takeAll` recorded at `at` in every bucket: the search it paid for ended
   * without a word to anyone (a message the bot stayed quiet on), so it should cost nothing.
   */
  giveBack(buckets: readonly Bucket[], at: number): void {
    for (const b of buckets) {
      const list = this.hits.get(b.key);
      const i = list ? list.lastIndexOf(at) : -1;
      if (i >= 0) list!.splice(i, 1);
    }
  }
}
