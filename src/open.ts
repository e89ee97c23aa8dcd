import { corpusPaths, storeTarget, type CoreConfig } from './config.js';
import type { BuildProgress, BuildReport } from './indexer/build.js';
import { runIndex } from './indexer/run.js';
import { DEFAULT_RANKING, Searcher, type OpenOptions, type RankingParams } from './search/searcher.js';
import type { SearchBackend } from './storage/backend.js';
import { cacheBytes, EmbeddedBackend } from './storage/embedded.js';
import { MissingIndexError } from './storage/errors.js';
import { PostgresBackend } from './storage/postgres/backend.js';
import { connect } from './storage/postgres/connect.js';

export interface OpenOrBuildOptions extends OpenOptions {
  /** The EMBEDDING_MODEL the user set explicitly, if any (an index built with another one is an error). */
  explicitModel?: string;
  onProgress?: (p: BuildProgress) => void;
  /** Called when no index existed and one was built. */
  onBuilt?: (report: BuildReport) => void;
  /** Errors of idle database connections (PostgreSQL); the pool reconnects on next use. */
  onConnectionError?: (err: Error) => void;
}

/** Opens the configured store (the index folder `dir`, or PostgreSQL with SEARCH_BACKEND=postgres). */
export async function openSearcher(config: CoreConfig, dir: string, options: OpenOrBuildOptions = {}, ranking: RankingParams = DEFAULT_RANKING): Promise<Searcher> {
  const settings = { ...config, EMBEDDING_MODEL: options.explicitModel };
  const target = storeTarget(config, dir);
  if (target.kind === 'embedded') {
    // With a model to load (seconds), the vector file's checksum is checked meanwhile, in the
    // background (a 600 MB file: ~0.6 s, which would otherwise add to every search worker's start);
    // vector searches wait for it. Without one (`status`), it is checked before the index is described.
    // Only this first open: a refresh checks the new generation's file before swapping it in.
    const verifyVectors = (options.model ?? 'await') === 'never' ? 'open' : 'background';
    const backend = await EmbeddedBackend.open(target.dir, { efSearch: config.HNSW_EF_SEARCH, postingCacheBytes: cacheBytes(config.KEYWORD_CACHE_MB), onNotice: options.onNotice, verifyVectors });
    return Searcher.over(backend, settings, options, ranking);
  }
  return Searcher.over(await openBackend(config, dir, options), settings, options, ranking);
}

/** The configured store's backend alone, for reading passages without searching (e.g. `npm run export-feedback`). */
export async function openBackend(config: CoreConfig, dir: string, options: Pick<OpenOrBuildOptions, 'onNotice' | 'onConnectionError'> = {}): Promise<SearchBackend> {
  const target = storeTarget(config, dir);
  if (target.kind === 'embedded') return EmbeddedBackend.open(target.dir, { efSearch: config.HNSW_EF_SEARCH, postingCacheBytes: cacheBytes(config.KEYWORD_CACHE_MB), onNotice: options.onNotice });
  return PostgresBackend.open(connect(target, options.onConnectionError), { efSearch: config.HNSW_EF_SEARCH, onNotice: options.onNotice });
}

/**
 * Opens the configured index, building it from the configured corpus first only when there is no
 * index of any kind: a damaged, old-format or unreadable index is an error naming the fix, never
 * built over.
 */
export async function openOrBuild(config: CoreConfig, dir: string, options: OpenOrBuildOptions = {}): Promise<Searcher> {
  try {
    return await openSearcher(config, dir, options);
  } catch (err) {
    if (!(err instanceof MissingIndexError)) throw err;
  }
  const report = await runIndex(storeTarget(config, dir), { corpus: corpusPaths(config), settings: config, onProgress: options.onProgress });
  options.onBuilt?.(report);
  return openSearcher(config, dir, options);
}
