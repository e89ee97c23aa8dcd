import { randomBytes } from 'node:crypto';

/**
 * Short-lived state behind buttons. A custom_id holds at most 100 characters, too few for a
 * 500-character question and its filters, so buttons carry an id into this store instead.
 * Bounded and in memory: after a restart or an hour, buttons say the answer expired. Entries belong
 * to a group (a server): when full, the group holding the most gives up its oldest, so one busy
 * server cannot expire the buttons of every other.
 */
const newId = (): string => randomBytes(6).toString('base64url');

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
    let id = newId();
    // An id still in use is drawn again: set over it, the old entry's id would stay in its group's
    // Set, and eviction could pick that stale id forever. Should draws keep colliding, the old entry goes.
    for (let tries = 0; this.items.has(id) && tries < 8; tries++) id = newId();
    this.remove(id);
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
    let largest: string | undefined;
    for (const [group, ids] of this.groups) if (largest === undefined || ids.size > (this.groups.get(largest)?.size ?? 0)) largest = group;
    if (largest === undefined) {
      // Every entry is in a group, so this cannot happen; were it to, the oldest entry goes, so the caller's loop still ends.
      const first = this.items.keys().next().value;
      if (first !== undefined) this.items.delete(first);
      return;
    }
    const oldest = this.groups.get(largest)?.values().next().value;
    if (oldest !== undefined) this.remove(oldest, largest);
  }

  /** Removes an entry, and its id from `group` too (the one it was picked from) even if it is stale there: every call shrinks something. */
  private remove(id: string, group?: string): void {
    const item = this.items.get(id);
    this.items.delete(id);
    for (const g of new Set([item?.group, group])) {
      if (g === undefined) continue;
      const ids = this.groups.get(g);
      ids?.delete(id);
      if (ids?.size === 0) this.groups.delete(g);
    }
  }
}
