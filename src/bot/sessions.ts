import { randomBytes } from 'node:crypto';

/**
 * Short-lived state behind buttons. A custom_id holds at most 100 characters, too few for a
 * 500-character question and its filters, so buttons carry an id into this store instead.
 * Bounded and in memory: after a restart or an hour, buttons say the answer expired.
 */
export class SessionStore<T> {
  private readonly items = new Map<string, { value: T; expires: number }>();

  constructor(
    private readonly ttlMs = 60 * 60 * 1000,
    private readonly maxItems = 5000,
    private readonly now: () => number = Date.now,
  ) {}

  put(value: T): string {
    const id = randomBytes(6).toString('base64url');
    this.items.set(id, { value, expires: this.now() + this.ttlMs });
    // Maps iterate in insertion order: the first entries are the oldest.
    for (const key of this.items.keys()) {
      if (this.items.size <= this.maxItems) break;
      this.items.delete(key);
    }
    return id;
  }

  get(id: string): T | undefined {
    const item = this.items.get(id);
    if (!item) return undefined;
    if (item.expires < this.now()) {
      this.items.delete(id);
      return undefined;
    }
    return item.value;
  }
}
