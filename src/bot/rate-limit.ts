/**
 * Per-user sliding-window limit on searches, so one user cannot monopolise the bot. Each guild may
 * set its own numbers (/settings rate-limit), so they are given per call, and a user's searches
 * count separately in each guild.
 */
export class RateLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Records a hit for `key` (guild and user) and returns 0, or returns how many ms until it may
   * search again (no hit recorded).
   */
  take(key: string, max: number, windowMs: number): number {
    const t = this.now();
    const recent = (this.hits.get(key) ?? []).filter((h) => h > t - windowMs);
    if (recent.length >= max) {
      this.hits.set(key, recent);
      return recent[0]! + windowMs - t;
    }
    recent.push(t);
    this.hits.set(key, recent);
    // Keep the map from growing with users who have gone quiet (a day covers the longest window).
    if (this.hits.size > 10_000) {
      for (const [id, list] of this.hits) if (list.every((h) => h <= t - 86_400_000)) this.hits.delete(id);
    }
    return 0;
  }
}
