/** Per-user sliding-window limit on searches, so one user cannot monopolise the bot. */
export class RateLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a hit and returns 0, or returns how many ms until the user may try again (no hit recorded). */
  take(userId: string): number {
    const t = this.now();
    const recent = (this.hits.get(userId) ?? []).filter((h) => h > t - this.windowMs);
    if (recent.length >= this.max) {
      this.hits.set(userId, recent);
      return recent[0]! + this.windowMs - t;
    }
    recent.push(t);
    this.hits.set(userId, recent);
    // Keep the map from growing with users who have gone quiet.
    if (this.hits.size > 10_000) {
      for (const [id, list] of this.hits) if (list.every((h) => h <= t - this.windowMs)) this.hits.delete(id);
    }
    return 0;
  }
}
