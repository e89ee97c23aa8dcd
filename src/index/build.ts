import { createHash } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { chunkArticle, DEFAULT_CHUNK_OPTIONS, type ChunkOptions } from '../chunk.js';
import type { CoreConfig } from '../config.js';
import { loadEmbedder, type Embedder } from '../embed/embedder.js';
import { loadCorpus } from '../ingest/load.js';
import type { Article, Chunk, IngestProblem } from '../types.js';
import { buildExpansions } from '../text/wordnet.js';
import { buildLexical } from './lexical.js';
import {
  acquireBuildLock,
  createStaging,
  FILES,
  FORMAT_VERSION,
  publishBuild,
  readJsonFile,
  readManifest,
  readVectors,
  removeStaleStaging,
  resolveBuildDir,
  vectorsToBuffer,
  writeDurable,
  type Manifest,
  type StoreFile,
  type StoredChunk,
} from './store.js';
import { buildVectorIndex } from './vector.js';

export type BuildStage = 'load' | 'chunk' | 'model' | 'embed' | 'hnsw' | 'lexical' | 'write';

export interface BuildProgress {
  stage: BuildStage;
  done: number;
  total: number;
  /** A human-readable line for logs ("Loaded 10,762 articles"). */
  message?: string;
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
  Partial<Pick<CoreConfig, 'EMBEDDING_POOLING' | 'EMBEDDING_QUERY_PREFIX' | 'DATE_ORDER' | 'MAX_ARTICLE_CHARS'>>;

export interface BuildOptions {
  corpus: string[];
  out: string;
  settings: BuildSettings;
  chunking?: ChunkOptions;
  /** Skip the model entirely (lexical-only build), e.g. for a quick rebuild. */
  lexicalOnly?: boolean;
  /** Reuse an already-loaded model (the bot keeps one). */
  embedder?: Embedder;
  onProgress?: (progress: BuildProgress) => void;
  signal?: AbortSignal;
}

export interface BuildReport {
  buildDir: string;
  files: number;
  articles: number;
  chunks: number;
  duplicates: number;
  problems: IngestProblem[];
  mode: 'hybrid' | 'lexical';
  model: string;
  /** Why there is no dense index, when mode is lexical. */
  modelError?: string;
  /** Chunks embedded now vs. vectors reused from the previous build. */
  embedded: number;
  reused: number;
  /** Milliseconds per stage, and in total. */
  stageMs: Partial<Record<BuildStage, number>>;
  totalMs: number;
}

/** A build that cannot go ahead for a reason the user can fix (no articles, cancelled). */
export class BuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BuildError';
  }
}

const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex');

/** What the model sees of a chunk: the title gives a passage its topic. */
export function embeddingText(article: Pick<Article, 'title'>, chunk: Pick<Chunk, 'text'>): string {
  return article.title ? `${article.title}\n${chunk.text}` : chunk.text;
}

/** Vectors of the live build, keyed by embedding key, for re-use when their model matches. */
async function previousVectors(out: string, model: string, dim: number): Promise<Map<string, Float32Array>> {
  const cache = new Map<string, Float32Array>();
  try {
    const dir = await resolveBuildDir(out);
    const manifest = await readManifest(dir);
    if (manifest.dense.status !== 'ok' || manifest.dense.model !== model || manifest.dense.dim !== dim) return cache;
    const store = await readJsonFile<StoreFile>(dir, FILES.store);
    const vectors = await readVectors(dir, dim);
    store.embedKeys?.forEach((key, i) => {
      const v = vectors[i];
      if (v) cache.set(key, v);
    });
  } catch {
    /* no usable previous build: embed everything */
  }
  return cache;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new BuildError('Index build cancelled; the previous index, if any, is unchanged.');
}

/**
 * Builds the index for a corpus: load and clean → chunk → embed (re-using unchanged vectors) →
 * HNSW + BM25 → write into a staging folder → atomic swap. On any failure the previous build stays live.
 */
export async function buildIndex(options: BuildOptions): Promise<BuildReport> {
  const { settings, onProgress, signal } = options;
  const chunking = options.chunking ?? DEFAULT_CHUNK_OPTIONS;
  const started = performance.now();
  const stageMs: Partial<Record<BuildStage, number>> = {};
  let stageStart = performance.now();
  const endStage = (stage: BuildStage): void => {
    const now = performance.now();
    stageMs[stage] = Math.round(now - stageStart);
    stageStart = now;
  };

  const release = await acquireBuildLock(options.out);
  let staging: string | undefined;
  try {
    await removeStaleStaging(options.out);

    const loaded = await loadCorpus(options.corpus, (_file, i, total) => onProgress?.({ stage: 'load', done: i, total }), {
      dateOrder: settings.DATE_ORDER,
      maxArticleChars: settings.MAX_ARTICLE_CHARS,
    });
    onProgress?.({
      stage: 'load',
      done: 1,
      total: 1,
      message: `Loaded ${loaded.articles.length} articles from ${loaded.files} files (${loaded.duplicates} duplicates, ${loaded.problems.length} problems)`,
    });
    if (loaded.articles.length === 0) {
      const where = options.corpus.join(', ');
      const why = loaded.problems.length ? ` (${loaded.problems.length} problems, first: ${loaded.problems[0]!.source}: ${loaded.problems[0]!.message})` : '';
      throw new BuildError(`No articles found in ${where}${why}. The previous index, if any, is unchanged.`);
    }
    endStage('load');
    throwIfAborted(signal);

    const articles = loaded.articles;
    const chunks: Chunk[] = [];
    let nextId = 0;
    for (const [i, article] of articles.entries()) {
      chunks.push(...chunkArticle(article, () => nextId++, chunking));
      if (i % 1000 === 0) onProgress?.({ stage: 'chunk', done: i, total: articles.length });
    }
    onProgress?.({ stage: 'chunk', done: articles.length, total: articles.length, message: `Cut ${chunks.length} passages` });
    endStage('chunk');
    throwIfAborted(signal);

    // Dense embeddings, when a model can be had.
    let embedder = options.embedder;
    let modelError: string | undefined;
    if (!embedder && !options.lexicalOnly) {
      onProgress?.({ stage: 'model', done: 0, total: 1, message: `Loading embedding model ${settings.EMBEDDING_MODEL}` });
      const loadedModel = await loadEmbedder(settings);
      if ('error' in loadedModel) modelError = loadedModel.error;
      else embedder = loadedModel.embedder;
      onProgress?.({ stage: 'model', done: 1, total: 1, message: modelError });
    } else if (options.lexicalOnly) {
      modelError = 'lexical-only build requested';
    }
    endStage('model');

    const articleById = new Map(articles.map((a, i) => [a.id, { article: a, index: i }]));
    let vectors: Float32Array[] | undefined;
    let embedKeys: string[] | undefined;
    let embedded = 0;
    let reused = 0;
    if (embedder) {
      const texts = chunks.map((c) => embeddingText(articleById.get(c.articleId)!.article, c));
      embedKeys = texts.map((t) => sha1(`${embedder!.modelId}\u0000${embedder!.profile.passagePrefix}${t}`));
      const cache = await previousVectors(options.out, embedder.modelId, embedder.dim);
      vectors = new Array<Float32Array>(chunks.length);
      const todo: number[] = [];
      embedKeys.forEach((key, i) => {
        const hit = cache.get(key);
        if (hit) {
          vectors![i] = hit;
          reused++;
        } else todo.push(i);
      });
      const batch = settings.EMBED_BATCH_SIZE;
      onProgress?.({ stage: 'embed', done: 0, total: todo.length, message: `Embedding ${todo.length} passages (${reused} unchanged)` });
      for (let b = 0; b < todo.length; b += batch) {
        throwIfAborted(signal);
        const ids = todo.slice(b, b + batch);
        const out = await embedder.embedPassages(ids.map((i) => texts[i]!));
        ids.forEach((id, j) => (vectors![id] = out[j]!));
        embedded += ids.length;
        onProgress?.({ stage: 'embed', done: embedded, total: todo.length });
      }
    }
    endStage('embed');
    throwIfAborted(signal);

    const { staging: stagingDir, id } = await createStaging(options.out);
    staging = stagingDir;
    const files: Record<string, number> = {};

    if (embedder && vectors) {
      const hnsw = buildVectorIndex(
        vectors,
        embedder.dim,
        { M: settings.HNSW_M, efConstruction: settings.HNSW_EF_CONSTRUCTION, efSearch: settings.HNSW_EF_SEARCH },
        (done, total) => onProgress?.({ stage: 'hnsw', done, total }),
      );
      const hnswFile = path.join(staging, FILES.hnsw);
      hnsw.writeIndexSync(hnswFile);
      files[FILES.vectors] = await writeDurable(path.join(staging, FILES.vectors), vectorsToBuffer(vectors, embedder.dim));
      files[FILES.hnsw] = (await stat(hnswFile)).size;
    }
    endStage('hnsw');
    throwIfAborted(signal);

    onProgress?.({ stage: 'lexical', done: 0, total: chunks.length, message: 'Building the keyword (BM25) index' });
    const { index: lexical, stats } = buildLexical(
      chunks.map((c) => ({ id: c.id, title: articleById.get(c.articleId)!.article.title, text: c.text })),
    );
    const lexicalJson = JSON.stringify(lexical);
    const expansions = await buildExpansions((term) => stats.df[term] !== undefined);
    onProgress?.({ stage: 'lexical', done: chunks.length, total: chunks.length });
    endStage('lexical');
    throwIfAborted(signal);

    onProgress?.({ stage: 'write', done: 0, total: 1, message: 'Writing the index' });
    files[FILES.lexical] = await writeDurable(path.join(staging, FILES.lexical), lexicalJson);
    files[FILES.terms] = await writeDurable(path.join(staging, FILES.terms), JSON.stringify(stats));
    files[FILES.expansions] = await writeDurable(path.join(staging, FILES.expansions), JSON.stringify(expansions));
    const store: StoreFile = {
      articles,
      chunks: chunks.map((c): StoredChunk => [articleById.get(c.articleId)!.index, c.position, c.start, c.end]),
      embedKeys,
    };
    files[FILES.store] = await writeDurable(path.join(staging, FILES.store), JSON.stringify(store));

    const fingerprint = sha1(articles.map((a) => `${a.id}\u0000${sha1(a.text)}`).join('\n'));
    const manifest: Manifest = {
      format: FORMAT_VERSION,
      createdAt: new Date().toISOString(),
      buildMs: Math.round(performance.now() - started),
      corpus: {
        paths: options.corpus,
        files: loaded.files,
        articles: articles.length,
        chunks: chunks.length,
        duplicates: loaded.duplicates,
        problems: loaded.problems.length,
        fingerprint,
      },
      chunking,
      dense: embedder
        ? {
            status: 'ok',
            model: embedder.modelId,
            dim: embedder.dim,
            pooling: embedder.profile.pooling,
            queryPrefix: embedder.profile.queryPrefix,
            passagePrefix: embedder.profile.passagePrefix,
            space: 'cosine',
            M: settings.HNSW_M,
            efConstruction: settings.HNSW_EF_CONSTRUCTION,
            efSearch: settings.HNSW_EF_SEARCH,
          }
        : { status: 'unavailable', model: settings.EMBEDDING_MODEL, reason: modelError ?? 'no model' },
      files,
    };
    // The manifest is written last: a staging folder without one is never published.
    await writeDurable(path.join(staging, FILES.manifest), JSON.stringify(manifest, null, 2));
    throwIfAborted(signal);
    const buildDir = await publishBuild(options.out, staging, id);
    staging = undefined;
    endStage('write');
    onProgress?.({ stage: 'write', done: 1, total: 1 });

    return {
      buildDir,
      files: loaded.files,
      articles: articles.length,
      chunks: chunks.length,
      duplicates: loaded.duplicates,
      problems: loaded.problems,
      mode: embedder ? 'hybrid' : 'lexical',
      model: embedder?.modelId ?? settings.EMBEDDING_MODEL,
      modelError,
      embedded,
      reused,
      stageMs,
      totalMs: Math.round(performance.now() - started),
    };
  } finally {
    if (staging) await rm(staging, { recursive: true, force: true });
    await release();
  }
}
