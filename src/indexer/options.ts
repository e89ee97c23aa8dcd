/**
 * The shapes a build is asked with and reports (one owner, imported by every step of the indexer:
 * build.ts runs the steps; corpus-model.ts and passages.ts are steps of it).
 */
import type { ChunkOptions } from '../chunk.js';
import type { CoreConfig } from '../config.js';
import type { Embedder } from '../embed/embedder.js';
import type { TrainOptions } from '../embed/train.js';
import type { IngestProblem } from '../types.js';

export type BuildStage = 'load' | 'chunk' | 'model' | 'embed' | 'hnsw' | 'lexical' | 'merge' | 'related' | 'write';

export interface BuildProgress {
  stage: BuildStage;
  done: number;
  /** 0 when the total is not known (a spinner with elapsed time, not a bar). */
  total: number;
  /** A human-readable line for logs ("Read 10,762 articles"). */
  message?: string;
  /** Throughput so far, in `unit` (e.g. articles/s while `done` counts bytes read). */
  rate?: number;
  unit?: string;
}

export type BuildSettings = Pick<
  CoreConfig,
  | 'EMBEDDING_MODEL'
  | 'MODEL_DIR'
  | 'ALLOW_REMOTE_MODELS'
  | 'MODEL_QUANTIZED'
  | 'MODEL_LOAD_TIMEOUT_MS'
  | 'EMBED_BATCH_SIZE'
  | 'HNSW_M'
  | 'HNSW_EF_CONSTRUCTION'
  | 'HNSW_EF_SEARCH'
> &
  Partial<Pick<CoreConfig, 'EMBEDDING_POOLING' | 'EMBEDDING_QUERY_PREFIX' | 'EMBED_THREADS' | 'EMBED_PROCESSES' | 'CORPUS_MODEL' | 'DATE_ORDER' | 'MAX_ARTICLE_CHARS' | 'RELATED_WORDS' | 'KEYWORD_CACHE_MB' | 'KEYWORD_WRITE_MB'>>;

export interface BuildOptions {
  corpus: string[];
  out: string;
  settings: BuildSettings;
  chunking?: ChunkOptions;
  /** Skip the model entirely (lexical-only build). */
  lexicalOnly?: boolean;
  /** Build a fresh index instead of updating the live one in place. */
  rebuild?: boolean;
  /** Reuse an already-loaded model. */
  embedder?: Embedder;
  onProgress?: (progress: BuildProgress) => void;
  signal?: AbortSignal;
  /** Article ids never to index (an admin removed them); see IngestOptions.exclude. */
  exclude?: ReadonlySet<string>;
  /** Files of the corpus whose newly indexed articles and passages the report counts (`tracked`). */
  track?: readonly string[];
  /** Without a loadable model: train one on the corpus (default) or stay lexical (src/indexer/corpus-model.ts). */
  corpusModel?: CorpusModelOptions;
}

/** Training a model on the corpus when none can be loaded (src/indexer/corpus-model.ts). */
export interface CorpusModelOptions extends Partial<TrainOptions> {
  mode?: 'auto' | 'off';
}

/** Indexed articles an update kept because their file or folder could not be read this time. */
export interface KeptUnread {
  path: string;
  reason: string;
  articles: number;
}

export interface BuildReport {
  /** The live index database after the build. */
  indexFile: string;
  /** 'update': changed in place; 'full': a fresh index was built (first build, --rebuild, new model or chunking). */
  kind: 'update' | 'full';
  /** Why a full build was made. */
  fullReason?: string;
  files: number;
  articles: number;
  chunks: number;
  added: number;
  changed: number;
  removed: number;
  unchanged: number;
  /** Articles an update kept, not seen because their file or folder could not be read (per path). */
  kept?: KeptUnread[];
  /**
   * An update's re-read of the corpus: records recognised unchanged by their raw key (a JSONL line by
   * its bytes, before parsing), JSONL lines parsed, and records cleaned again.
   */
  reread?: { recognised: number; parsedLines: number; cleaned: number };
  duplicates: number;
  /** Articles left out because they are in `exclude`. */
  excluded: number;
  problems: IngestProblem[];
  /** For each file of `track`: the articles and passages this build indexed from it (new or changed). */
  tracked?: Record<string, { articles: number; passages: number }>;
  mode: 'hybrid' | 'lexical';
  model: string;
  /** Why there is no dense index, when mode is lexical. */
  modelError?: string;
  /** Passages embedded now vs. vectors reused (same text and model). */
  embedded: number;
  reused: number;
  /** Processes that were embedding when the build ended (1: the building process; more: EMBED_PROCESSES). */
  embedProcesses?: number;
  stageMs: Partial<Record<BuildStage, number>>;
  totalMs: number;
}

export interface Embedding {
  embedder?: Embedder;
  modelError?: string;
  /** For a model trained on the corpus: its MODEL_DIR relative to the index folder. */
  modelDir?: string;
}
