import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_CHUNK_OPTIONS, type ChunkOptions } from '../chunk.js';
import { type Embedder, modelIsLocal } from '../embed/embedder.js';
import { loadEmbedder } from '../embed/load.js';
import { embedProcessCount, loadEmbedderProcesses, scaleOut } from '../embed/process-pool.js';
import { newStreamStats, streamCorpus, type ArticleKeys, type StreamStats } from '../ingest/stream.js';
import type { IngestOptions } from '../ingest/load.js';
import type { DenseInfo, NoDenseInfo } from '../storage/backend.js';
import { damaged, damagedKeywords, IndexDatabase, type NewPassage } from '../storage/database.js';
import { cacheBytes, DEFAULT_POSTING_CACHE_MB } from '../storage/embedded.js';
import { accessProblem, IndexError, MissingIndexError, OldFormatError, rebuildHint } from '../storage/errors.js';
import { newDatabaseName, publishDatabase, removeIncomplete, removeUnused, resolveIndex, vectorsFileName, POINTER } from '../storage/folder.js';
import { KeywordIndex, PostingCache, shouldMerge } from '../storage/keyword/index.js';
import { acquireLock } from '../storage/lock.js';
import { makeFolder } from '../storage/make-folder.js';
import { META, SCHEMA_VERSION } from '../storage/schema.js';
import {
  addVectors,
  createVectorIndex,
  deleteVectors,
  readVectorIndex,
  type VectorChecksum,
  vectorOf,
  verifyVectorFile,
  writeVectorIndex,
  type VectorIndex,
} from '../storage/vectors.js';
import { withCorpusModel } from './corpus-model.js';
import type { BuildOptions, BuildReport, BuildSettings, BuildStage, Embedding, KeptUnread } from './options.js';
import { pruneRelated, RelatedCollector, type RelatedTerms } from '../text/related.js';
import { buildExpansions, type Expansions, expansionsFrom, wordnetTable } from '../text/wordnet.js';
import type { Article } from '../types.js';
import { BuildError, throwIfAborted } from './cancel.js';
import { type PreparedPassage, type PrepareStep, preparePassages } from './passages.js';
import { type MergeProgress, mergeStored, segmentOf, SpillingSegments, writeBudgetBytes } from './keyword-writer.js';

/** Date reading and the per-article size limit, as the settings give them, and the articles to leave out. */
const ingestOptions = (options: Pick<BuildOptions, 'settings' | 'exclude'>): IngestOptions => ({
  dateOrder: options.settings.DATE_ORDER,
  maxArticleChars: options.settings.MAX_ARTICLE_CHARS,
  exclude: options.exclude,
});

export type { BuildOptions, BuildProgress, BuildReport, BuildSettings, BuildStage, Embedding, KeptUnread } from './options.js';

export { BuildError, throwIfAborted } from './cancel.js';
export { embeddingText, embedKey } from './passages.js';

const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex');

/** Everything indexed from an article except where it came from (a moved line is not a change). */
export function articleHash(a: Article): string {
  return sha1(JSON.stringify([a.title, a.text, a.url ?? null, a.date ?? null, a.outlet ?? null]));
}

/** Full builds write passages in transactions of this many articles. */
export const BATCH_ARTICLES = 500;

export class Stopwatch {
  readonly stageMs: Partial<Record<BuildStage, number>> = {};
  readonly started = performance.now();
  add(stage: BuildStage, since: number): void {
    this.stageMs[stage] = Math.round((this.stageMs[stage] ?? 0) + performance.now() - since);
  }
}

/** The report fields every kind of build fills the same way: inputs, model, embedding counts, time. */
export function commonReport(
  stats: Pick<StreamStats, 'files' | 'duplicates' | 'excluded' | 'problems'>,
  embedding: Embedding,
  settings: Pick<BuildSettings, 'EMBEDDING_MODEL'>,
  counts: { embedded: number; reused: number },
  clock: Stopwatch,
): Pick<BuildReport, 'files' | 'duplicates' | 'excluded' | 'problems' | 'mode' | 'model' | 'modelError' | 'embedded' | 'reused' | 'embedProcesses' | 'stageMs' | 'totalMs'> {
  return {
    files: stats.files,
    duplicates: stats.duplicates,
    excluded: stats.excluded,
    problems: stats.problems,
    mode: embedding.embedder ? 'hybrid' : 'lexical',
    model: embedding.embedder?.modelId ?? settings.EMBEDDING_MODEL,
    modelError: embedding.modelError,
    embedded: counts.embedded,
    reused: counts.reused,
    ...(embedding.embedder ? { embedProcesses: embedding.embedder.parallel ?? 1 } : {}),
    stageMs: clock.stageMs,
    totalMs: Math.round(performance.now() - clock.started),
  };
}

/**
 * Counts, per tracked file, the articles and passages a build indexes from it (for `track`). A
 * line-oriented file's articles have sources such as `file.jsonl:12`.
 */
export class TrackedCounts {
  readonly counts: Record<string, { articles: number; passages: number }> | undefined;
  constructor(files: readonly string[] | undefined) {
    this.counts = files ? Object.fromEntries(files.map((f) => [f, { articles: 0, passages: 0 }])) : undefined;
  }

  add(source: string, passages: number): void {
    if (!this.counts) return;
    for (const [file, c] of Object.entries(this.counts)) {
      if (source === file || source.startsWith(`${file}:`)) {
        c.articles++;
        c.passages += passages;
        return;
      }
    }
  }
}

/** Counts a prepared batch's passages per article, for `track`. */
export function trackBatch(tracked: TrackedCounts, batch: ReadonlyArray<{ article: Article }>, prepared: readonly PreparedPassage[]): void {
  const per = new Array<number>(batch.length).fill(0);
  for (const p of prepared) per[p.article]!++;
  batch.forEach(({ article }, i) => {
    tracked.add(article.source, per[i]!);
  });
}

interface Base {
  file: string;
  db: IndexDatabase;
  dense: DenseInfo | NoDenseInfo;
  chunking: ChunkOptions;
}

/**
 * Indexes a corpus. With a live index of the same model and chunking, updates it in place:
 * new, changed and removed articles (by content hash) are the only ones touched, committed in one
 * transaction after the new HNSW file is on disk. Otherwise (first build, `rebuild`, another
 * model) builds a fresh database and moves `current` to it when complete. Either way the previous
 * state stays readable until the commit, and a failed or cancelled build leaves it live.
 */
export async function buildIndex(options: BuildOptions): Promise<BuildReport> {
  try {
    return await lockedBuild(options);
  } catch (err) {
    // A folder this user may not write, or a file where the folder should be: one line saying which.
    throw accessProblem(options.out, err, { write: true }) ?? err;
  }
}

async function lockedBuild(options: BuildOptions): Promise<BuildReport> {
  await makeFolder(options.out, 'name a writable folder for the index (--out, or INDEX_DIR)');
  const release = await acquireLock(options.out);
  let base: Base | undefined;
  let loaded: Embedder | undefined;
  try {
    throwIfAborted(options.signal);
    const clock = new Stopwatch();
    let since = performance.now();
    const { base: found, reason } = await openBase(options);
    base = found;
    // Without a loadable model, the base index's corpus-trained model or a new one (src/indexer/corpus-model.ts).
    const embedding = await withCorpusModel(options, base?.dense, await prepareModel(options));
    if (embedding.embedder !== options.embedder) loaded = embedding.embedder;
    clock.add('model', since);
    throwIfAborted(options.signal);

    let fullReason = reason;
    if (base && !fullReason) {
      const want = embedding.embedder ? embedding.embedder.modelId : undefined;
      const have = base.dense.status === 'ok' ? base.dense.model : undefined;
      const chunking = options.chunking ?? DEFAULT_CHUNK_OPTIONS;
      if (want !== have) fullReason = want ? `the index has no vectors from ${want}` : `no model this time (${embedding.modelError})`;
      else if (JSON.stringify(base.chunking) !== JSON.stringify(chunking)) fullReason = 'the chunking settings changed';
    }
    since = performance.now();
    if (base && !fullReason) {
      // An update reads the whole index (rows, passages, keyword pages): damage found there is the
      // one-line error naming the fix, and the transaction never commits.
      const { file } = base;
      return await updateInPlace(options, base, embedding, clock).catch((err: unknown) => {
        throw damaged(file, err, { write: true });
      });
    }
    return await buildFresh(options, base, embedding, fullReason ?? 'first build', clock);
  } finally {
    base?.db.close();
    // The model this build loaded (its processes, with EMBED_PROCESSES) ends with it.
    await loaded?.dispose();
    await release();
  }
}

async function openBase(options: BuildOptions): Promise<{ base?: Base; reason?: string }> {
  let file: string;
  try {
    file = (await resolveIndex(options.out)).file;
  } catch (err) {
    if (err instanceof MissingIndexError) return { reason: 'first build' };
    // A damaged index is replaced by a full build only when asked for.
    if (!options.rebuild) throw err;
    return { reason: 'rebuild requested' };
  }
  let db: IndexDatabase;
  try {
    db = IndexDatabase.open(file, { readonly: false });
  } catch (err) {
    // An index of an older version is not damaged, just unreadable now: indexing builds it anew
    // (into a new file; the old one stays current until the new one is complete).
    if (err instanceof OldFormatError) return { reason: `the index was in format ${err.format}, this version writes ${SCHEMA_VERSION}` };
    if (!options.rebuild) throw err;
    return { reason: 'rebuild requested' };
  }
  const info = db.info();
  const base: Base = { file, db, dense: info.dense, chunking: info.chunking };
  return { base, reason: options.rebuild ? 'rebuild requested' : undefined };
}

export async function prepareModel(options: BuildOptions): Promise<Embedding> {
  if (options.lexicalOnly) return { modelError: 'lexical-only build requested' };
  if (options.embedder) return { embedder: options.embedder };
  options.onProgress?.({ stage: 'model', done: 0, total: 1, message: `Loading embedding model ${options.settings.EMBEDDING_MODEL}` });
  // This process embeds first; a build with more to embed than a small update moves to several
  // processes (scaleOut, process-pool.ts), which embed faster. One core, or EMBED_PROCESSES=1: this
  // process only. A model not in MODEL_DIR is loaded here: downloaded once (not by every process at
  // once), or found missing at once (no process started just to fail).
  const processes = embedProcessCount(options.settings.EMBED_PROCESSES);
  const pooled = processes > 1 && (await modelIsLocal(options.settings));
  const loaded = await loadEmbedder(options.settings);
  if ('error' in loaded) {
    options.onProgress?.({ stage: 'model', done: 1, total: 1, message: loaded.error });
    return { modelError: loaded.error };
  }
  options.onProgress?.({ stage: 'model', done: 1, total: 1 });
  if (!pooled) return { embedder: loaded.embedder };
  return { embedder: scaleOut(loaded.embedder, () => loadEmbedderProcesses(options.settings, processes)) };
}

export function denseInfo(settings: BuildSettings, embedding: Embedding): DenseInfo | NoDenseInfo {
  const e = embedding.embedder;
  if (!e) return { status: 'unavailable', model: settings.EMBEDDING_MODEL, reason: embedding.modelError ?? 'no model' };
  return {
    status: 'ok',
    model: e.modelId,
    dim: e.dim,
    pooling: e.profile.pooling,
    queryPrefix: e.profile.queryPrefix,
    passagePrefix: e.profile.passagePrefix,
    space: 'cosine',
    M: settings.HNSW_M,
    efConstruction: settings.HNSW_EF_CONSTRUCTION,
    efSearch: settings.HNSW_EF_SEARCH,
    ...(embedding.modelDir ? { modelDir: embedding.modelDir } : {}),
  };
}

/** Vectors that can be re-used: the base index's, keyed by (model, embedded text). */
type VectorReuse = PrepareStep['reuse'];

/**
 * `damage`: the base's vector file could not be read, or does not match its recorded checksum (a
 * full build then re-embeds rather than re-use its vectors; an update cannot go on).
 */
async function vectorCache(base: Base | undefined, embedder: Embedder | undefined): Promise<{ reuse: VectorReuse; graph?: VectorIndex; damage?: Error }> {
  const none = { reuse: () => new Map<string, Float32Array>() };
  if (!base || !embedder || base.dense.status !== 'ok' || base.dense.model !== embedder.modelId || base.dense.dim !== embedder.dim) return none;
  const name = base.db.meta<string | null>(META.vectorsFile);
  if (!name) return { ...none, damage: new Error('the database names no vector file') };
  const file = path.join(path.dirname(base.file), name);
  const abort = new AbortController();
  try {
    // Hashed while hnswlib reads it: nothing is built on a graph whose bytes changed since its commit.
    const verified = verifyVectorFile(file, base.db.vectorsChecksum(name), abort.signal);
    verified.catch(() => undefined);
    const graph = await readVectorIndex(file, base.dense.dim, base.dense.efSearch);
    await verified;
    const stored = base.db.embedKeys();
    const reuse: VectorReuse = (keys) => {
      const out = new Map<string, Float32Array>();
      for (const key of keys) {
        const vector = stored.has(key) ? vectorOf(graph, stored.get(key)!) : undefined;
        if (vector) out.set(key, vector);
      }
      return out;
    };
    return { graph, reuse };
  } catch (err) {
    abort.abort();
    return { ...none, damage: err as Error };
  }
}

/** The passage preparation step of this backend: ids from the index's counter, vectors reused from its graph. */
function prepareStep(options: BuildOptions, embedder: Embedder | undefined, nextId: { value: number }, reuse: VectorReuse, counts: PrepareStep['counts'], clock: Stopwatch): PrepareStep {
  return {
    chunking: options.chunking ?? DEFAULT_CHUNK_OPTIONS,
    embedder,
    batchSize: options.settings.EMBED_BATCH_SIZE,
    signal: options.signal,
    ids: (count) => Array.from({ length: count }, () => nextId.value++),
    reuse,
    counts,
    clock,
  };
}

/** The rows of prepared passages, their articles' rowids given. */
const passageRows = (prepared: readonly PreparedPassage[], rowids: readonly number[]): NewPassage[] =>
  prepared.map((p) => ({ id: p.id, article: rowids[p.article]!, position: p.position, start: p.start, end: p.end, text: p.text, embedKey: p.embedKey }));

/** Merge progress as build progress (pages written, of at most `total`). */
const mergeProgress =
  (options: Pick<BuildOptions, 'onProgress'>): MergeProgress =>
  (done, total) =>
    options.onProgress?.({ stage: 'merge', done, total, unit: 'pages', message: done === 0 ? `Merging keyword segments (${total} pages)` : undefined });

/**
 * Progress for the reading stage: articles, rate and an ETA from the bytes read so far. In a full
 * build with a model, batches are embedded as they are read, so the stage is 'embed' (its rate in
 * passages/s, `embedded` so far) and its ETA, over the bytes, includes the embedding still to come.
 */
export function readProgress(options: BuildOptions, stats: StreamStats, started: number, articles: number, final = false, embedded?: number): void {
  const seconds = (performance.now() - started) / 1000;
  const embedding = embedded !== undefined && !final;
  const rate = seconds > 0 ? Math.round((embedding ? embedded : articles) / seconds) : 0;
  options.onProgress?.({
    stage: embedding ? 'embed' : 'load',
    done: final ? stats.totalBytes : Math.min(stats.bytesDone, stats.totalBytes),
    total: stats.totalBytes,
    rate,
    unit: embedding ? 'passages/s' : 'articles/s',
    message: final
      ? `Read ${articles} articles from ${stats.files} files in ${seconds.toFixed(1)} s (${rate} articles/s; ${stats.duplicates} duplicates, ${stats.problems.length} problems)`
      : undefined,
  });
}

export function noArticles(options: BuildOptions, stats: StreamStats): BuildError {
  const where = options.corpus.join(', ');
  const why = stats.problems.length ? ` (${stats.problems.length} problems, first: ${stats.problems[0]!.source}: ${stats.problems[0]!.message})` : '';
  return new BuildError(`No articles found in ${where}${why}. The previous index, if any, is unchanged.`);
}

/**
 * A full build over a live index (the model or the chunking changed) reads the whole corpus again: a
 * path it could not read this time would drop that path's articles, as an update never does. Refused
 * unless asked for with `rebuild`; the live index stays as it is.
 */
export function unreadLoss(
  articles: Iterable<{ id: string; rowid: number; source: string }>,
  unread: StreamStats['unread'],
  exclude?: ReadonlySet<string>,
): BuildError | undefined {
  if (unread.length === 0) return undefined;
  const { kept } = unseenArticles(articles, unread, exclude);
  if (kept.length === 0) return undefined;
  const lost = kept.map((k) => `${k.path} (${k.reason}; ${k.articles} article${k.articles === 1 ? '' : 's'} of the current index)`).join(', ');
  return new BuildError(
    `Cannot read ${lost}: this full build would drop what the index holds from there. Make it readable, or drop it from --corpus, or pass --rebuild to build without it. The previous index is unchanged.`,
  );
}

/** Builds a new database beside the live one, streaming the corpus in batches; swaps it in when complete. */
async function buildFresh(options: BuildOptions, base: Base | undefined, embedding: Embedding, fullReason: string, clock: Stopwatch): Promise<BuildReport> {
  const { settings, signal } = options;
  const embedder = embedding.embedder;
  const name = newDatabaseName();
  const file = path.join(options.out, name);
  let db: IndexDatabase | undefined = IndexDatabase.create(file);
  const created: string[] = [file, `${file}-wal`, `${file}-shm`];
  let graphOut: VectorIndex | undefined;
  const { reuse } = await vectorCache(base, embedder);
  const relatedStats = settings.RELATED_WORDS ? new RelatedCollector() : undefined;
  relatedStats?.warmUp();
  try {
    const stats = newStreamStats();
    const tracked = new TrackedCounts(options.track);
    const counts = { embedded: 0, reused: 0 };
    const nextId = { value: 0 };
    const step = prepareStep(options, embedder, nextId, reuse, counts, clock);
    const readStart = performance.now();
    let articles = 0;
    let passages = 0;
    let pending: Array<{ article: Article; keys: ArticleKeys }> = [];
    // Passages go into the keyword segment batch by batch, so their text is not kept around; the
    // builder is spilled to the database whenever it holds the write budget.
    const writeBudget = writeBudgetBytes(settings.KEYWORD_WRITE_MB);
    const keywordSegments = new SpillingSegments(db, writeBudget, relatedStats);
    if (embedder) graphOut = createVectorIndex(embedder.dim, 1024, { M: settings.HNSW_M, efConstruction: settings.HNSW_EF_CONSTRUCTION, efSearch: settings.HNSW_EF_SEARCH });

    let flushMs = 0;
    const flush = async (): Promise<void> => {
      if (pending.length === 0) return;
      const flushStart = performance.now();
      const batch = pending;
      pending = [];
      let since = performance.now();
      const rowids = db!.transaction(() => batch.map(({ article, keys }) => db!.insertArticle(article, articleHash(article), keys)));
      clock.add('write', since);
      const prepared = await preparePassages(batch, step, (n) => readProgress(options, stats, readStart, articles, false, counts.embedded + counts.reused + n));
      trackBatch(tracked, batch, prepared);
      since = performance.now();
      db!.transaction(() => db!.insertPassages(passageRows(prepared, rowids)));
      clock.add('write', since);
      if (graphOut) {
        since = performance.now();
        addVectors(graphOut, prepared.map((p) => ({ id: p.id, vector: p.vector! })));
        clock.add('hnsw', since);
      }
      passages += prepared.length;
      since = performance.now();
      keywordSegments.add(prepared);
      clock.add('lexical', since);
      flushMs += performance.now() - flushStart;
    };

    let lastReport = 0;
    for await (const item of streamCorpus(options.corpus, stats, undefined, ingestOptions(options))) {
      if (item.kind !== 'article') continue;
      pending.push(item);
      articles++;
      if (pending.length >= BATCH_ARTICLES) {
        throwIfAborted(signal);
        await flush();
      }
      if (performance.now() - lastReport > 250) {
        lastReport = performance.now();
        readProgress(options, stats, readStart, articles, false, embedder ? counts.embedded + counts.reused : undefined);
      }
    }
    throwIfAborted(signal);
    await flush();
    readProgress(options, stats, readStart, articles, true);
    // Reading and cleaning is what the streaming loop spent outside the batches' own stages.
    clock.stageMs.load = Math.round(performance.now() - readStart - flushMs);
    if (articles === 0) throw noArticles(options, stats);
    throwIfAborted(signal);
    if (base && !options.rebuild) {
      const indexed = [...base.db.articleHashes()].map(([id, a]) => ({ id, rowid: a.rowid, source: a.source }));
      const lost = unreadLoss(indexed, stats.unread, options.exclude);
      if (lost) throw lost;
    }

    // Related words are learned in a worker thread while this one builds and writes the keyword index.
    const relatedJob = relatedStats?.computeInWorker(undefined, signal);
    // Settled now if the build fails before awaiting it; the failure is the one thrown below.
    relatedJob?.catch(() => undefined);

    let since = performance.now();
    options.onProgress?.({ stage: 'lexical', done: 0, total: passages, message: 'Building the keyword index' });
    // The batch segments, merged into one (streamed, page by page) in the new database.
    const segmentId = keywordSegments.finish(mergeProgress(options));
    const keyword = new KeywordIndex([...db.openSegments([segmentId], new PostingCache(0)).values()]);
    const expansions = await buildExpansions((term) => keyword.df(term) > 0);
    options.onProgress?.({ stage: 'lexical', done: passages, total: passages });
    clock.add('lexical', since);
    throwIfAborted(signal);

    since = performance.now();
    options.onProgress?.({ stage: 'write', done: 0, total: 1, message: 'Writing the index' });
    let vectorsFile: string | null = null;
    let checksum: VectorChecksum | null = null;
    if (graphOut) {
      vectorsFile = vectorsFileName(name, 1);
      const target = path.join(options.out, vectorsFile);
      created.push(target);
      checksum = await writeVectorIndex(graphOut, target);
    }
    const now = new Date().toISOString();
    const dense = denseInfo(settings, embedding);
    db.transaction(() => {
      db!.setPassageRanges();
      db!.replaceExpansions(expansions);
      db!.setMeta(META.createdAt, now);
      db!.setMeta(META.updatedAt, now);
      db!.setMeta(META.generation, 1);
      db!.setMeta(META.dense, dense);
      db!.setMeta(META.chunking, options.chunking ?? DEFAULT_CHUNK_OPTIONS);
      db!.setMeta(META.corpus, { paths: options.corpus, files: stats.files, duplicates: stats.duplicates, problems: stats.problems.length });
      db!.setMeta(META.nextPassageId, nextId.value);
      db!.setMeta(META.vectorsFile, vectorsFile);
      db!.setMeta(META.vectorsChecksum, checksum);
      db!.setMeta(META.lastUpdate, { kind: 'full', at: now, added: articles, changed: 0, removed: 0 });
      db!.setMeta(META.counts, { articles, passages });
    });
    clock.add('write', since);
    // Only the time spent waiting for the worker counts as this stage's.
    let related: RelatedTerms = {};
    if (relatedJob) {
      since = performance.now();
      options.onProgress?.({ stage: 'related', done: 0, total: 1, message: 'Learning related words from the corpus' });
      related = await relatedJob;
      options.onProgress?.({ stage: 'related', done: 1, total: 1 });
      clock.add('related', since);
      throwIfAborted(signal);
    }
    since = performance.now();
    db.transaction(() => {
      db!.replaceRelated(related);
      // Written last: a database without it is never opened or recovered.
      db!.setMeta(META.complete, true);
    });
    db.checkpoint();
    db.close();
    db = undefined;
    throwIfAborted(signal);
    const previous = base ? path.basename(base.file) : undefined;
    await publishDatabase(options.out, name);
    created.length = 0;
    await removeUnused(options.out, name, previous, 1);
    clock.add('write', since);
    options.onProgress?.({ stage: 'write', done: 1, total: 1 });
    return {
      indexFile: file,
      kind: 'full',
      fullReason,
      articles,
      chunks: passages,
      added: articles,
      changed: 0,
      removed: 0,
      unchanged: 0,
      tracked: tracked.counts,
      ...commonReport(stats, embedding, settings, counts, clock),
    };
  } finally {
    relatedStats?.dispose();
    db?.close();
    for (const f of created) await rm(f, { force: true });
  }
}

/**
 * Updates the live database in place. Reads the whole corpus (streamed) but keeps only new and
 * changed articles; writes the new HNSW generation first, then commits everything in one transaction.
 */
async function updateInPlace(options: BuildOptions, base: Base, embedding: Embedding, clock: Stopwatch): Promise<BuildReport> {
  const { settings, signal } = options;
  const { db } = base;
  const embedder = embedding.embedder;
  let since = performance.now();
  // Read first: an update over a vector file that is missing or damaged would report success while
  // its new passages got no vectors and readers kept refusing the index.
  const { reuse, graph, damage } = await vectorCache(base, embedder);
  // Already one line naming the fix (a checksum mismatch, damaged checksum metadata): not wrapped again.
  if (damage instanceof IndexError) throw damage;
  if (damage !== undefined) throw new IndexError(`The vector index of ${base.file} is missing or damaged (${damage.message}): ${rebuildHint(options.out)}.`);
  const changes = await readChanges(options, db);
  clock.add('load', since);
  const { todo, replaced, removedRows, stats } = changes;
  const added = todo.length - replaced.length;
  options.onProgress?.({
    stage: 'chunk',
    done: 0,
    total: todo.length,
    message: `${added} new, ${replaced.length} changed, ${removedRows.length} removed, ${changes.unchanged} unchanged articles`,
  });

  const counts = { embedded: 0, reused: 0 };
  const nextId = { value: db.meta<number>(META.nextPassageId) ?? 0 };
  const generation = (db.meta<number>(META.generation) ?? 0) + 1;
  const name = path.basename(base.file);
  // Rowids for new articles are assigned inside the commit; the passages are linked to them there.
  const prepared = await preparePassages(todo, prepareStep(options, embedder, nextId, reuse, counts, clock), (done, total) =>
    options.onProgress?.({ stage: 'embed', done, total, unit: 'passages' }),
  );
  throwIfAborted(signal);
  const tracked = new TrackedCounts(options.track);
  trackBatch(tracked, todo, prepared);

  since = performance.now();
  options.onProgress?.({ stage: 'lexical', done: 0, total: prepared.length, message: `Indexing ${prepared.length} new passages` });
  const removedArticleRows = [...replaced, ...removedRows];
  const removedPassages = new Set<number>();
  const stmt = db.db.prepare('SELECT id FROM passages WHERE article = ?').pluck();
  for (const rowid of removedArticleRows) for (const id of stmt.all(rowid) as number[]) removedPassages.add(id);
  const keyword = keywordUpdate(db, settings, prepared, removedPassages, mergeProgress(options));
  const expansionTable = await wordnetTable();
  clock.add('lexical', since);
  throwIfAborted(signal);

  // Vectors: the next generation's file is complete on disk before the commit that names it.
  since = performance.now();
  if (embedder) options.onProgress?.({ stage: 'hnsw', done: 0, total: prepared.length });
  let vectorsFile = db.meta<string | null>(META.vectorsFile) ?? null;
  let written: string | undefined;
  let checksum: VectorChecksum | undefined;
  if (embedder && graph && (prepared.length || removedPassages.size)) {
    addVectors(graph, prepared.map((p) => ({ id: p.id, vector: p.vector! })));
    deleteVectors(graph, removedPassages);
    vectorsFile = vectorsFileName(name, generation);
    written = path.join(options.out, vectorsFile);
    // A file cut short (a full disk) is not left behind for the next run to clear.
    checksum = await writeVectorIndex(graph, written).catch(async (err: unknown) => {
      await rm(written!, { force: true });
      throw err;
    });
  }
  clock.add('hnsw', since);
  try {
    throwIfAborted(signal);
    since = performance.now();
    options.onProgress?.({ stage: 'write', done: 0, total: 1, message: keyword.merge ? 'Merging the keyword segments and committing the update' : 'Committing the update' });
    const now = new Date().toISOString();
    db.transaction(() => {
      for (const rowid of removedArticleRows) db.deleteArticle(rowid);
      const rowids = todo.map(({ article, keys }) => db.insertArticle(article, articleHash(article), keys));
      db.insertPassages(passageRows(prepared, rowids));
      db.setPassageRanges(rowids);
      const setSource = db.db.prepare('UPDATE articles SET source = ? WHERE rowid = ?');
      const setKeys = db.db.prepare('UPDATE articles SET raw_hash = ?, url_key = ?, text_key = ? WHERE rowid = ?');
      for (const m of changes.moved) {
        setSource.run(m.source, m.rowid);
        if (m.keys) setKeys.run(m.keys.raw, m.keys.url ?? null, m.keys.text, m.rowid);
      }
      keyword.commit(expansionTable);
      db.setMeta(META.updatedAt, now);
      db.setMeta(META.generation, generation);
      db.setMeta(META.nextPassageId, nextId.value);
      db.setMeta(META.vectorsFile, vectorsFile);
      // An unchanged vector file keeps its record (or its lack of one, if built before checksums).
      if (checksum) db.setMeta(META.vectorsChecksum, checksum);
      db.setMeta(META.corpus, { paths: options.corpus, files: stats.files, duplicates: stats.duplicates, problems: stats.problems.length });
      db.setMeta(META.lastUpdate, { kind: 'update', at: now, added, changed: replaced.length, removed: removedRows.length });
      db.setMeta(META.counts, db.counts());
    });
    written = undefined;
  } finally {
    if (written) await rm(written, { force: true });
  }
  // A recovered pointer (or none) now names the database just updated.
  if ((await readPointer(path.join(options.out, POINTER))) !== name) await publishDatabase(options.out, name);
  await removeUnused(options.out, name, undefined, generation, { otherDatabases: false });
  await removeIncomplete(options.out, [name]);
  clock.add('write', since);
  options.onProgress?.({ stage: 'write', done: 1, total: 1 });
  const { articles: total, passages } = db.counts();
  return {
    indexFile: base.file,
    kind: 'update',
    articles: total,
    chunks: passages,
    added,
    changed: replaced.length,
    removed: removedRows.length,
    unchanged: changes.unchanged,
    ...(changes.kept.length ? { kept: changes.kept } : {}),
    reread: { recognised: stats.recognised, parsedLines: stats.parsedLines, cleaned: stats.cleaned },
    tracked: tracked.counts,
    ...commonReport(stats, embedding, settings, counts, clock),
  };
}

/** The file an article's source names (`file.jsonl:12`: its line). */
const sourceFile = (source: string): string => source.replace(/:\d+$/, '');

/** Whether an article's source is the unread path or under it (as named, or resolved). */
function isUnder(source: string, unread: string): boolean {
  if (source === unread || source.startsWith(`${unread}:`)) return true;
  const rel = path.relative(path.resolve(unread), path.resolve(sourceFile(source)));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Splits the indexed articles an update did not see into those removed from the corpus and those
 * only unreadable now: an article whose file or folder could not be read (missing, no permission, not
 * decodable) is kept as it is, since a failed read is not a deletion; an admin's removal (`exclude`)
 * still removes it. Articles of a file that was read but no longer holds them are removed.
 */
export function unseenArticles(
  unseen: Iterable<{ id: string; rowid: number; source: string }>,
  unread: StreamStats['unread'],
  exclude?: ReadonlySet<string>,
): { removed: number[]; kept: KeptUnread[] } {
  const removed: number[] = [];
  const kept = new Map<string, KeptUnread>();
  for (const a of unseen) {
    const where = exclude?.has(a.id) ? undefined : unread.find((u) => isUnder(a.source, u.path));
    if (!where) {
      removed.push(a.rowid);
      continue;
    }
    const k = kept.get(where.path) ?? { path: where.path, reason: where.reason, articles: 0 };
    k.articles++;
    kept.set(where.path, k);
  }
  return { removed, kept: [...kept.values()] };
}

/** What an update changes: the articles to (re)index, those only moved, and the rows to remove. */
interface Changes {
  todo: Array<{ article: Article; keys: ArticleKeys }>;
  moved: Array<{ rowid: number; source: string; keys?: ArticleKeys }>;
  /** Rows of changed articles (re-indexed under new rows). */
  replaced: number[];
  /** Rows of articles no longer in the corpus. */
  removedRows: number[];
  /** Articles not seen because their file or folder could not be read: kept. */
  kept: KeptUnread[];
  unchanged: number;
  stats: StreamStats;
}

/** Streams the corpus against the index's article hashes: only new and changed articles are kept. */
async function readChanges(options: BuildOptions, db: IndexDatabase): Promise<Changes> {
  const known = db.articleHashes();
  // Raw records indexed before, unchanged, are recognised by their hash and not cleaned again.
  const byRaw = new Map<string, { id: string; url?: string; text: string }>();
  for (const [id, k] of known) if (k.raw && k.text) byRaw.set(k.raw, { id, url: k.url ?? undefined, text: k.text });
  const seen = new Set<string>();
  const changes: Changes = { todo: [], moved: [], replaced: [], removedRows: [], kept: [], unchanged: 0, stats: newStreamStats() };
  const { stats } = changes;
  const readStart = performance.now();
  let articles = 0;
  let lastReport = 0;
  for await (const item of streamCorpus(options.corpus, stats, (raw) => byRaw.get(raw), ingestOptions(options))) {
    articles++;
    const id = item.kind === 'known' ? item.id : item.article.id;
    seen.add(id);
    const have = known.get(id);
    if (item.kind === 'known' && have) {
      changes.unchanged++;
      if (have.source !== item.source || item.keys) changes.moved.push({ rowid: have.rowid, source: item.source, keys: item.keys });
    } else if (item.kind === 'article' && have && have.hash === articleHash(item.article)) {
      changes.unchanged++;
      changes.moved.push({ rowid: have.rowid, source: item.article.source, keys: item.keys });
    } else if (item.kind === 'article') {
      if (have) changes.replaced.push(have.rowid);
      changes.todo.push(item);
    }
    if (performance.now() - lastReport > 250) {
      lastReport = performance.now();
      readProgress(options, stats, readStart, articles);
      throwIfAborted(options.signal);
    }
  }
  readProgress(options, stats, readStart, articles, true);
  if (articles === 0) throw noArticles(options, stats);
  throwIfAborted(options.signal);
  const unseen = [...known].filter(([id]) => !seen.has(id)).map(([id, v]) => ({ id, rowid: v.rowid, source: v.source }));
  const { removed, kept } = unseenArticles(unseen, stats.unread, options.exclude);
  changes.removedRows = removed;
  changes.kept = kept;
  return changes;
}

/**
 * The keyword side of an update: the base segments opened as readers open them (heads only,
 * postings read on demand through a bounded cache), one small in-memory segment for the new
 * passages, deletion marks for the removed ones. `commit` (inside the update's transaction)
 * either adds the new segment and marks, or — when the policy says so — streams the merge of all
 * of them into one new segment, page by page; then writes the word alternatives the index's live
 * terms allow.
 */
function keywordUpdate(db: IndexDatabase, settings: BuildSettings, prepared: readonly PreparedPassage[], removedPassages: ReadonlySet<number>, onMerge?: MergeProgress) {
  const segmentIds = db.segmentIds();
  const postingCache = new PostingCache(cacheBytes(settings.KEYWORD_CACHE_MB) ?? DEFAULT_POSTING_CACHE_MB * 2 ** 20);
  const baseSegments = [...db.openSegments(segmentIds, postingCache).values()];
  const fresh = prepared.length ? segmentOf(prepared) : undefined;
  const index = new KeywordIndex(fresh ? [...baseSegments, fresh] : baseSegments);
  const deleted = new Set([...db.deletedIds(), ...removedPassages]);
  index.delete(deleted);
  const merge = shouldMerge(index.mergeStats());
  const commit = (expansionTable: Expansions): void => {
    // Pages are read (and checked) here, not at open: a damaged one names the index and the fix.
    try {
      let has: (term: string) => boolean;
      if (merge) {
        const id = mergeStored(db, index.segments, (passage) => deleted.has(passage), writeBudgetBytes(settings.KEYWORD_WRITE_MB), onMerge);
        db.removeSegments(segmentIds);
        db.clearDeleted();
        // The merged segment holds exactly the live docs: its head answers.
        const merged = db.openSegments([id], new PostingCache(0)).get(id)!;
        has = (term) => merged.df(term) > 0;
      } else {
        if (fresh) db.addSegment(fresh.stored());
        db.markDeleted(removedPassages);
        // The heads settle almost every term.
        has = (term) => index.hasLive(term);
      }
      db.replaceExpansions(expansionsFrom(expansionTable, has));
      // Related words are corpus-wide statistics, learned again only by a full build (that reads
      // every passage); an update keeps them, restricted to the terms the index still uses.
      db.replaceRelated(pruneRelated(db.allRelated(), has));
    } catch (err) {
      throw damagedKeywords(db.file, err);
    }
  };
  return { merge, commit };
}

async function readPointer(file: string): Promise<string> {
  return (await readFile(file, 'utf8').catch(() => '')).trim();
}

