import type { OutletCount } from '../storage/backend.js';
import type { AnswerService } from './answer-service.js';

/** Discord shows at most 25 autocomplete choices. */
export const MAX_CHOICES = 25;

/**
 * The index's outlets, held on the main thread for `/ask outlet:` autocomplete: Discord wants the
 * choices within 3 s, and the search pool may be busy with a burst of questions. Refreshed at
 * start and after every (re)index, here or on another shard.
 */
export class OutletCache {
  private outlets: readonly OutletCount[] = [];

  constructor(
    private readonly source: Pick<AnswerService, 'listOutlets'>,
    private readonly max = 10_000,
  ) {}

  async refresh(): Promise<void> {
    this.outlets = await this.source.listOutlets('', this.max);
  }

  get size(): number {
    return this.outlets.length;
  }

  /**
   * Outlets whose name starts with what was typed (case-insensitive), most articles first, then
   * those with a later word starting with it ("press" → "Euromaidan Press").
   */
  suggest(typed: string, limit = MAX_CHOICES): OutletCount[] {
    const q = typed.trim().toLowerCase();
    if (!q) return this.outlets.slice(0, limit);
    const starts: OutletCount[] = [];
    const words: OutletCount[] = [];
    for (const o of this.outlets) {
      const name = o.name.toLowerCase();
      if (name.startsWith(q)) starts.push(o);
      else if (name.split(/[\s\-–—(/]+/).some((w) => w.startsWith(q))) words.push(o);
      if (starts.length >= limit) break;
    }
    return [...starts, ...words].slice(0, limit);
  }
}
