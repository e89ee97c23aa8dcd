import { randomBytes } from 'node:crypto';

/**
 * Short-lived state behind buttons. A custom_id holds at most 100 characters, too few for a
 * 500-character question and its filters, so buttons carry an id into this store instead.
 * Bounded and in memory: after a restart or an hour, buttons say the answer expired. Entries belong
 * to a group (a server): when full, the group holding the most gives up its oldest, so one busy
 * server cannot expire the buttons of every other.
 */
export class SessionStore<T> {
  private readonly items = new Map<string, { value: T; expires: number; group: string }>();
  /** Each group's ids, oldest first. */
  private readonly groups = new Map<string, Set<string>>();

  constructor(
    private readonly ttlMs = 60 * 60 * 1000,
    private readonly maxItems = 5000,
    private readonly now: () => number = Date.now,
  ) {}

  put(value: T, group = ''): string {
    const id = randomBytes(6).toString('base64url');
    this.items.set(id, { value, expires: this.now() + this.ttlMs, group });
    const ids = this.groups.get(group) ?? new Set<string>();
    this.groups.set(group, ids.add(id));
    while (this.items.size > this.maxItems) this.evictOne();
    return id;
  }

  get(id: string): T | undefined {
    const item = this.items.get(id);
    if (!item) return undefined;
    if (item.expires < this.now()) {
      this.remove(id);
      return undefined;
    }
    return item.value;
  }

  /** The oldest entry of the largest group. */
  private evictOne(): void {
    let largest: Set<string> | undefined;
    for (const ids of this.groups.values()) if (!largest || ids.size > largest.size) largest = ids;
    const oldest = largest?.values().next().value;
    if (oldest !== undefined) this.remove(oldest);
  }

  private remove(id: string): void {
    const item = this.items.get(id);
    if (!item) return;
    this.items.delete(id);
    const ids = this.groups.get(item.group);
    ids?.delete(id);
    if (ids?.size === 0) this.groups.delete(item.group);
  }
}
