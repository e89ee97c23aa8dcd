import { corpusPaths, type CoreConfig } from './config.js';
import { buildIndex, type BuildProgress, type BuildReport } from './indexer/build.js';
import { Searcher, type OpenOptions } from './search/searcher.js';
import { MissingIndexError } from './storage/errors.js';

export interface OpenOrBuildOptions extends OpenOptions {
  /** The EMBEDDING_MODEL the user set explicitly, if any (an index built with another one is an error). */
  explicitModel?: string;
  onProgress?: (p: BuildProgress) => void;
  /** Called when no index existed and one was built. */
  onBuilt?: (report: BuildReport) => void;
}

/**
 * Opens the configured index, building it from the configured corpus first only when the folder
 * holds no index of any kind: a damaged, old-format or unreadable index is an error naming the
 * fix, never built over.
 */
export async function openOrBuild(config: CoreConfig, dir: string, options: OpenOrBuildOptions = {}): Promise<Searcher> {
  const settings = { ...config, EMBEDDING_MODEL: options.explicitModel };
  try {
    return await Searcher.open(dir, settings, options);
  } catch (err) {
    if (!(err instanceof MissingIndexError)) throw err;
  }
  const report = await buildIndex({ corpus: corpusPaths(config), out: dir, settings: config, onProgress: options.onProgress });
  options.onBuilt?.(report);
  return Searcher.open(dir, settings, options);
}
