import path from 'node:path';
import type { ArticleSummary, SearchFilters } from '../types.js';
import type { ArticleQuery, IndexInfo, KeywordHit, OutletCount, KeywordQueryTerm, PassageFilter, SearchBackend, StoredPassage, TermStats, VectorHit } from './backend.js';
import { damaged, damagedKeywords, IndexDatabase } from './database.js';
import { IndexError, rebuildHint } from './errors.js';
import { resolveIndex } from './folder.js';
import { KeywordIndex, PostingCache, type Segment } from './keyword/index.js';
import { META } from './schema.js';
import { readVectorIndex, searchVectors, vectorOf, verifyVectorFile, type VectorIndex } from './vectors.js';

/** BM25F parameters; b as MiniSearch had it (0.7), which measured slightly better than 0.75 here. */
export const KEYWORD_OPTIONS = { k1: 1.2, b: 0.7 };

/**
 * Keyword postings kept in memory once read, per opened index (so per search worker): 64 MB holds
 * the whole of news-2022's postings (22 MB) and the working set of the 40k index's questions,
 * while a 1M-article index (~2 GB of postings) no longer has to fit in RAM.
 */
export const DEFAULT_POSTING_CACHE_MB = 64;

/** Megabytes (a setting) to bytes; undefined keeps the default. */
export function cacheBytes(mb: number | undefined): number | undefined {
  return mb === undefined ? undefined : mb * 2 ** 20;
}

export interface EmbeddedOptions {
  efSearch: number;
  /** Bytes of keyword postings kept once read (default DEFAULT_POSTING_CACHE_MB). */
  postingCacheBytes?: number;
  onNotice?: (message: string) => void;
  /**
   * When `open` checks the vector file against its recorded checksum (streamed SHA-256, read beside
   * hnswlib's own read of it): 'open' (the default) before it resolves; 'background' after, with
   * searches of the graph waiting for it — for openers that load a model next (seconds), which hides
   * the ~0.6 s a 600 MB file takes; a failure is then said once through `onNotice`. Either way no
   * graph is searched before it passed. `refresh` always checks before it swaps: a generation that
   * failed would replace one that serves. Each opener hashes the file itself (each search worker:
   * beside its own full read of the graph, so at most about doubling that read): a file's metadata
   * cannot tell a flipped byte, and workers are threads that share no memory to trust another's check.
   */
  verifyVectors?: 'open' | 'background';
}

/** Everything a search reads, for one generation; replaced whole by `refresh`. */
interface State {
  /** Pinned to this generation's snapshot (`pinSnapshot`). */
  db: IndexDatabase;
  /** The connection this state's segments read their posting pages through. */
  pages: { db: IndexDatabase };
  info: IndexInfo;
  segments: Map<number, Segment>;
  keyword: KeywordIndex;
  vectors: VectorIndex | undefined;
  vectorsFile: string | undefined;
  /** The vector file's checksum check: settled once it passed or failed (then it rejects with the one-line error). */
  verified: Promise<void>;
}

/** What loadState needs of its backend. */
interface LoadContext {
  efSearch: number;
  verify: 'open' | 'background';
  cache: PostingCache;
  /** Checks still running, of any generation: `close` stops them all. */
  checks: Set<AbortController>;
}

/**
 * The embedded backend: one SQLite file (articles, passages, keyword segments, metadata) and an
 * HNSW file beside it. The keyword index keeps its segments' heads (ids, lengths, dictionary) in
 * memory and reads a term's postings from SQLite when a question needs them, into a bounded cache;
 * passages are read by id, only for the candidates of a question.
 */
export class EmbeddedBackend implements SearchBackend {
  /** Vector checks that have failed (their promise rejects): vectorOf reports them instead of reading. */
  private readonly failed = new WeakSet<Promise<void>>();
  /** Set by `close`: a refresh still loading then discards what it loaded instead of swapping it in. */
  private closed = false;

  private constructor(
    private readonly dir: string,
    private readonly options: EmbeddedOptions,
    private readonly cache: PostingCache,
    private readonly checks: Set<AbortController>,
    private state: State,
  ) {}

  static async open(dir: string, options: EmbeddedOptions): Promise<EmbeddedBackend> {
    const resolved = await resolveIndex(dir);
    if (resolved.recovered) options.onNotice?.(resolved.recovered);
    const cache = new PostingCache(options.postingCacheBytes ?? DEFAULT_POSTING_CACHE_MB * 2 ** 20);
    const checks = new Set<AbortController>();
    const state = await loadState(openPinned(resolved.file), { efSearch: options.efSearch, verify: options.verifyVectors ?? 'open', cache, checks });
    const backend = new EmbeddedBackend(dir, options, cache, checks, state);
    backend.watch(state);
    return backend;
  }

  /** The keyword postings cache (for tests and tools). */
  get postingCache(): PostingCache {
    return this.cache;
  }

  get info(): IndexInfo {
    return this.state.info;
  }

  get terms(): TermStats {
    const { keyword, db } = this.state;
    return {
      docs: keyword.docCount,
      df: (term) => {
        try {
          return keyword.df(term);
        } catch (err) {
          throw damagedKeywords(db.file, err);
        }
      },
      vocabulary: () => keyword.vocabulary(),
    };
  }

  expansions(lemma: string): Array<[string, number]> | undefined {
    return this.state.db.expansion(lemma);
  }

  related(term: string): Array<[string, number]> | undefined {
    return this.state.db.related(term);
  }

  async filterFor(filters: SearchFilters): Promise<PassageFilter | undefined> {
    const ranges = this.state.db.passageRanges(filters);
    if (!ranges) return undefined;
    // Binary search over the matching articles' sorted [first, last] passage-id ranges.
    const test = (id: number): boolean => {
      let lo = 0;
      let hi = ranges.length / 2 - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (id < ranges[2 * mid]!) hi = mid - 1;
        else if (id > ranges[2 * mid + 1]!) lo = mid + 1;
        else return true;
      }
      return false;
    };
    const filter: EmbeddedFilter = { filters, test, empty: ranges.length === 0 };
    return filter;
  }

  async keywordCandidates(query: KeywordQueryTerm[], k: number, filter?: PassageFilter): Promise<KeywordHit[]> {
    const { keyword, db } = this.state;
    if (isEmpty(filter)) return [];
    try {
      return keyword.search(query, k, predicate(filter));
    } catch (err) {
      throw damagedKeywords(db.file, err);
    }
  }

  async denseCandidates(vector: Float32Array, k: number, filter?: PassageFilter): Promise<VectorHit[]> {
    const { vectors, verified } = this.state;
    if (isEmpty(filter)) return [];
    if (!vectors) return [];
    // A graph is walked only once its file matched its checksum (settled long before, in practice).
    await verified;
    return searchVectors(vectors, vector, k, this.options.efSearch, predicate(filter));
  }

  async vectorOf(id: number): Promise<Float32Array | undefined> {
    const { vectors, verified } = this.state;
    if (!vectors) return undefined;
    // Reading one stored vector follows no links, so it need not wait for a check still running;
    // a failed one is reported rather than answered from damaged data.
    if (this.failed.has(verified)) await verified;
    return vectorOf(vectors, id);
  }

  async passages(ids: readonly number[]): Promise<Map<number, StoredPassage>> {
    return this.state.db.passagesByIds(ids);
  }

  async listArticles(query: ArticleQuery, offset: number, limit: number): Promise<{ total: number; items: ArticleSummary[] }> {
    return this.state.db.listArticles(query, offset, limit);
  }

  async listOutlets(prefix: string, limit: number): Promise<OutletCount[]> {
    return this.state.db.outlets(prefix, limit);
  }

  /**
   * Picks up a newer generation, on a new connection pinned to it: only the heads of the keyword
   * segments it does not hold yet, the deletion marks and the new HNSW file (read off the event
   * loop). A rebuilt index (a new database file) is opened whole. Until the swap, questions are
   * answered from the old generation's snapshot, whose pages an update cannot take away.
   */
  async refresh(): Promise<boolean> {
    // One at a time: two overlapping refreshes would both build on the same old state.
    const run = this.refreshing.then(() => this.refreshNow());
    this.refreshing = run.catch(() => undefined);
    return run;
  }

  private refreshing: Promise<unknown> = Promise.resolve();

  private async refreshNow(): Promise<boolean> {
    if (this.closed) return false;
    const { file } = await resolveIndex(this.dir);
    if (this.closed) return false;
    const old = this.state;
    const db = openPinned(file);
    const sameFile = file === old.db.file;
    let generation: number;
    try {
      generation = db.meta<number>(META.generation) ?? 0;
    } catch (err) {
      db.close();
      throw damaged(file, err);
    }
    if (sameFile && generation === old.info.generation) {
      db.close();
      return false;
    }
    let next: State;
    try {
      // Checked before the swap whatever `verifyVectors` says: swapped first, a damaged generation
      // would replace a good one and fail every vector search; failing here, the old one keeps serving.
      const context = { efSearch: this.options.efSearch, verify: 'open' as const, cache: this.cache, checks: this.checks };
      next = await loadState(db, context, sameFile ? old : undefined);
    } catch (err) {
      // Closed meanwhile (its check aborted): loadState closed its connection; nothing to report.
      if (this.closed) return false;
      throw err;
    }
    if (this.closed) {
      // Not swapped in: `close` closed the state it saw, and this one would otherwise stay open.
      next.db.close();
      return false;
    }
    next.pages.db = next.db;
    this.watch(next);
    // The old generation's check, if still running, is left to finish (a question may be waiting on
    // it); `close` stops it.
    this.state = next;
    old.db.close();
    // A rebuilt index shares no segment with the old one.
    if (!sameFile) this.cache.clear();
    return true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Every generation's: an older one's check may still run after a swap.
    for (const check of this.checks) check.abort();
    this.checks.clear();
    this.state.db.close();
  }

  /**
   * A background check that fails is said by every use of the vectors from then on (a vector search,
   * and reading a vector to re-rank): the one-line error, as an open would have given it; and once
   * through `onNotice`, so the opener's log says it beside the questions that fail.
   */
  private watch(state: State): void {
    state.verified.catch((err: unknown) => {
      // A state that kept its predecessor's file shares its check: said once.
      if (this.failed.has(state.verified)) return;
      this.failed.add(state.verified);
      if (!this.closed) this.options.onNotice?.(err instanceof Error ? err.message : String(err));
    });
  }
}

/** The embedded backend's compiled filter: a predicate over passage ids. */
interface EmbeddedFilter extends PassageFilter {
  test(passageId: number): boolean;
  /** No article matches: a search would score every match only to drop it. */
  empty: boolean;
}

const isEmpty = (filter: PassageFilter | undefined): boolean => filter !== undefined && (filter as EmbeddedFilter).empty;

function predicate(filter: PassageFilter | undefined): ((id: number) => boolean) | undefined {
  return filter ? (filter as EmbeddedFilter).test : undefined;
}

/**
 * Reads one generation's state from `db` (opened and pinned to its snapshot; closed here on
 * failure), re-using the segments and vectors `previous` (same database file) already holds.
 * Only the segments' heads are read; their postings are read when a question needs them.
 */
async function loadState(db: IndexDatabase, context: LoadContext, previous?: State): Promise<State> {
  const { file } = db;
  const { efSearch, cache, checks } = context;
  let verifying: AbortController | undefined;
  try {
    const snapshot = db.snapshot(() => {
      const info = db.info();
      const vectorsFile = db.meta<string | null>(META.vectorsFile) ?? undefined;
      const checksum = vectorsFile ? db.vectorsChecksum(vectorsFile) : undefined;
      const ids = db.segmentIds();
      const deleted = db.deletedIds();
      return { info, vectorsFile, checksum, ids, deleted };
    });
    // Kept segments read their pages through the same holder; it moves to `db` when this state goes live.
    const pages = previous?.pages ?? { db };
    const fresh = db.openSegments(
      snapshot.ids.filter((id) => !previous?.segments.has(id)),
      cache,
      pages,
    );
    const segments = new Map<number, Segment>();
    for (const id of snapshot.ids) segments.set(id, previous?.segments.get(id) ?? fresh.get(id)!);
    const keyword = new KeywordIndex(snapshot.ids.map((id) => segments.get(id)!), KEYWORD_OPTIONS);
    keyword.delete(snapshot.deleted);

    const kept = previous !== undefined && previous.vectorsFile === snapshot.vectorsFile;
    let vectors: VectorIndex | undefined = kept ? previous.vectors : undefined;
    let verified = kept ? previous.verified : Promise.resolve();
    const dense = snapshot.info.dense;
    if (dense.status === 'ok' && snapshot.vectorsFile && !vectors) {
      const vectorsPath = path.join(path.dirname(file), snapshot.vectorsFile);
      // Hashed while hnswlib reads it (its own thread): the check costs little more than the read.
      const abort = new AbortController();
      verifying = abort;
      checks.add(abort);
      verified = verifyVectorFile(vectorsPath, snapshot.checksum, abort.signal).finally(() => checks.delete(abort));
      // Observed below, or by the searches that wait for it (EmbeddedBackend.watch).
      verified.catch(() => undefined);
      try {
        vectors = await readVectorIndex(vectorsPath, dense.dim, efSearch);
      } catch (err) {
        throw new IndexError(`The vector index of ${file} is missing or damaged (${(err as Error).message}): ${rebuildHint(path.dirname(file))}.`);
      }
    }
    if (dense.status === 'ok' && !vectors) throw new IndexError(`The vector index of ${file} is missing: ${rebuildHint(path.dirname(file))}.`);
    // A kept file's check too: a refresh right after a background open may find it still running.
    if (context.verify === 'open') await verified;
    return { db, pages, info: snapshot.info, segments, keyword, vectors, vectorsFile: snapshot.vectorsFile, verified };
  } catch (err) {
    verifying?.abort();
    db.close();
    throw damaged(file, err);
  }
}

/** Opens an index database for reading, pinned to its current generation. */
function openPinned(file: string): IndexDatabase {
  const db = IndexDatabase.open(file, { readonly: true });
  try {
    db.pinSnapshot();
    return db;
  } catch (err) {
    db.close();
    throw damaged(file, err);
  }
}
