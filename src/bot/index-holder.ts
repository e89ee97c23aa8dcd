import type { BuildReport } from '../indexer/build.js';
import { Searcher } from '../search/searcher.js';
import type { BotConfig } from './config.js';

export interface ReindexRecord {
  at: Date;
  by: string;
  ok: boolean;
  /** Counts and time of a successful run; the error of a failed one. */
  report?: BuildReport;
  error?: string;
}

/**
 * The live Searcher. A reindex swaps in a new one; questions in flight keep the reference they
 * took and finish on the old index (a Searcher holds its index in memory).
 */
export class IndexHolder {
  lastReindex: ReindexRecord | undefined;

  constructor(private searcher: Searcher) {}

  get current(): Searcher {
    return this.searcher;
  }

  swap(next: Searcher): void {
    this.searcher = next;
  }
}

/** How the bot opens an index: answer lexically at once, load the model in the background. */
export function openIndex(config: BotConfig, explicitModel: string | undefined): Promise<Searcher> {
  return Searcher.open(config.INDEX_DIR, { ...config, EMBEDDING_MODEL: explicitModel }, { model: 'background' });
}
