import type { BuildReport } from '../indexer/build.js';
import type { Searcher } from '../search/searcher.js';

export interface ReindexRecord {
  at: Date;
  by: string;
  ok: boolean;
  /** Counts and time of a successful run; the error of a failed one. */
  report?: BuildReport;
  error?: string;
}

/**
 * The live Searcher. After a reindex it picks up the new generation in place (new keyword
 * segments, deletion marks, the new vector file read off the event loop) rather than reloading
 * the whole index; a question in flight finishes on whichever state it started with.
 */
export class IndexHolder {
  lastReindex: ReindexRecord | undefined;

  constructor(private searcher: Searcher) {}

  get current(): Searcher {
    return this.searcher;
  }

  /** Picks up what the last reindex committed; the old state keeps answering if this fails. */
  async refresh(): Promise<void> {
    await this.searcher.refresh();
  }

  swap(next: Searcher): void {
    const old = this.searcher;
    this.searcher = next;
    if (old !== next) void old.close();
  }
}
