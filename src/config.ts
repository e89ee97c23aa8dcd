import { z } from 'zod';

/** Core settings (corpus, index, model), read from the environment. The bot adds its own on top. */
const bool = z
  // "TRUE", "Yes " and the like, as people type them in an .env file.
  .preprocess((v) => (typeof v === 'string' ? v.trim().toLowerCase() : v), z.enum(['true', 'false', '1', '0', 'yes', 'no']))
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** A whole number in a range; the message says which (zod's own says "Expected number, received nan"). */
export const int = (min: number, max: number) =>
  z.coerce
    .number({ invalid_type_error: `must be a whole number from ${min} to ${max}` })
    .int(`must be a whole number from ${min} to ${max}`)
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);

/** Articles longer than this (after cleaning) are truncated at a sentence end; ~150,000 words. */
export const DEFAULT_MAX_ARTICLE_CHARS = 1_000_000;

export const coreConfigSchema = z.object({
  /** Comma-separated corpus files or folders. */
  CORPUS_PATHS: z
    .string()
    .refine((v) => v.split(',').some((p) => p.trim()), 'names no file or folder: give comma-separated corpus files or folders (e.g. corpus,news.jsonl), or leave it unset for corpus/')
    .default('corpus'),
  INDEX_DIR: z.string().min(1).default('embeddings'),
  /** The bot's data: feedback, and sources added or removed from chat (DATA_DIR/sources, DATA_DIR/removed-articles.json), which every build reads. */
  DATA_DIR: z.string().min(1).default('data'),
  EMBEDDING_MODEL: z.string().min(1).default('Xenova/bge-small-en-v1.5'),
  /** Folder of local models in the Transformers.js layout: MODEL_DIR/<org>/<name>/{config.json,tokenizer.json,onnx/…}. */
  MODEL_DIR: z.string().min(1).default('models'),
  /** Let Transformers.js download the model from the Hugging Face Hub when it is not in MODEL_DIR. */
  ALLOW_REMOTE_MODELS: bool.default('true'),
  /** Use the quantized ONNX weights (onnx/model_quantized.onnx). */
  MODEL_QUANTIZED: bool.default('true'),
  /** Give up loading the model after this long and fall back to lexical search. */
  MODEL_LOAD_TIMEOUT_MS: int(1000, 3_600_000).default(120_000),
  /** Override the pooling / query instruction of a model we do not know. */
  EMBEDDING_POOLING: z.enum(['mean', 'cls']).optional(),
  EMBEDDING_QUERY_PREFIX: z.string().optional(),
  /**
   * Passages per embedding batch. 2, measured (BENCHMARKS.md, the model path): with bge-small's
   * ~300-token passages a batch is already large matrices; batches of 8 cost 1.6× the CPU per passage
   * of 2, and 32 cost 2.4× (and more memory).
   */
  EMBED_BATCH_SIZE: int(1, 1024).default(2),
  /** ONNX Runtime intra-op threads per model session; 0: its default (one per physical core). */
  EMBED_THREADS: int(0, 256).default(0),
  /**
   * Processes that embed passages during a build, each with one ONNX Runtime thread; 0: one per core,
   * at most 4. Two processes embed ~1.9× the passages per second of one on two cores (BENCHMARKS.md,
   * session 13); each holds its own copy of the model (~270 MB with bge-small int8). 1: in this process.
   */
  EMBED_PROCESSES: int(0, 64).default(0),
  /**
   * 'auto': when EMBEDDING_MODEL cannot be loaded, `npm run index` trains a small embedding model on the
   * corpus (saved beside the index) and fills the vector index with it. Off by default: with today's
   * ranker it does not improve dev or RealtimeQA dev and costs ~4.5× the lexical build's CPU (BENCHMARKS.md).
   */
  CORPUS_MODEL: z.enum(['auto', 'off']).default('off'),
  HNSW_M: int(4, 128).default(16),
  HNSW_EF_CONSTRUCTION: int(16, 2000).default(200),
  HNSW_EF_SEARCH: int(64, 5000).default(64),
  /** Keyword postings kept in memory once read, per opened index (each search worker has its own), in MB. */
  KEYWORD_CACHE_MB: int(1, 65_536).default(64),
  /**
   * Memory for writing the keyword index, in MB: a full build spills its batch segment to the
   * database once it holds this much, and merges read ahead within it. Writing holds about this
   * plus ~12 B per passage (the segment heads), whatever the corpus size.
   */
  KEYWORD_WRITE_MB: int(1, 65_536).default(256),
  /**
   * Learn related words from the corpus at each full build (src/text/related.ts; about +6 CPU-seconds,
   * +40 % on news-2022), matched as 'corpus' alternatives. Off: the index has none and ranks as before.
   */
  RELATED_WORDS: bool.default('false'),
  /** How to read an ambiguous numeric date such as 03/04/2022: month first (mdy) or day first (dmy). */
  DATE_ORDER: z.enum(['mdy', 'dmy']).default('mdy'),
  /** Longer articles are cut at a sentence end and reported: one huge record must not stall a build. */
  MAX_ARTICLE_CHARS: int(1000, 100_000_000).default(DEFAULT_MAX_ARTICLE_CHARS),
  /** Where the index lives: files in INDEX_DIR (embedded SQLite + HNSW), or a PostgreSQL database. */
  SEARCH_BACKEND: z.enum(['embedded', 'postgres']).default('embedded'),
  /** postgres://user:password@host:5432/database — required with SEARCH_BACKEND=postgres. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// or postgresql:// URL')
    .optional(),
  /** The server cancels any statement running longer (a stuck query must not hang a bot reply). */
  PG_STATEMENT_TIMEOUT_MS: int(100, 3_600_000).default(30_000),
  /** Connections per process. */
  PG_POOL_MAX: int(1, 100).default(8),
});

export type CoreConfig = z.infer<typeof coreConfigSchema>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Formats zod issues as "NAME: problem" lines, so a bad config names the variable. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.join('.') || '(config)'}: ${issue.message}`)
    .join('\n');
}

export function parseWith<T extends z.ZodTypeAny>(schema: T, env: NodeJS.ProcessEnv): z.infer<T> {
  // Empty strings in .env mean "unset", as users expect from `FOO=` lines; so do blanks (`FOO=" "`,
  // which a number setting would otherwise read as 0 and report as "must be at least …").
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) throw new ConfigError(`Invalid configuration:\n${describeIssues(parsed.error)}`);
  return parsed.data;
}

export function loadCoreConfig(env: NodeJS.ProcessEnv = process.env): CoreConfig {
  return parseWith(coreConfigSchema, env);
}

export function corpusPaths(config: Pick<CoreConfig, 'CORPUS_PATHS'>): string[] {
  return config.CORPUS_PATHS.split(',').map((p) => p.trim()).filter(Boolean);
}

/** Where the index is stored, from SEARCH_BACKEND and its settings. */
export type StoreTarget =
  | { kind: 'embedded'; dir: string }
  | { kind: 'postgres'; url: string; poolMax: number; statementTimeoutMs: number };

export function storeTarget(
  config: Pick<CoreConfig, 'SEARCH_BACKEND' | 'DATABASE_URL' | 'PG_POOL_MAX' | 'PG_STATEMENT_TIMEOUT_MS'>,
  dir: string,
): StoreTarget {
  if (config.SEARCH_BACKEND === 'embedded') return { kind: 'embedded', dir };
  if (!config.DATABASE_URL) {
    throw new ConfigError('Invalid configuration:\nDATABASE_URL: required with SEARCH_BACKEND=postgres (e.g. postgres://archivist:secret@localhost:5432/archivist)');
  }
  return { kind: 'postgres', url: config.DATABASE_URL, poolMax: config.PG_POOL_MAX, statementTimeoutMs: config.PG_STATEMENT_TIMEOUT_MS };
}
