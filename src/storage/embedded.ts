import path from 'node:path';
import type { ArticleSummary, SearchFilters } from '../types.js';
import type { IndexInfo, KeywordHit, OutletCount, KeywordQueryTerm, PassageFilter, SearchBackend, StoredPassage, TermStats, VectorHit } from './backend.js';
import { damaged, IndexDatabase } from './database.js';
import { IndexError, REBUILD_HINT } from './errors.js';
import { resolveIndex } from './folder.js';
import { KeywordIndex, KeywordIndexError, Segment } from './keyword/index.js';
import { META } from './schema.js';
import { readVectorIndex, searchVectors, vectorOf, type VectorIndex } from './vectors.js';

/** BM25F parameters; b as MiniSearch had it (0.7), which measured slightly better than 0.75 here. */
export const KEYWORD_OPTIONS = { k1: 1.2, b: 0.7 };

export interface EmbeddedOptions {
  efSearch: number;
  onNotice?: (message: string) => void;
}

/** Everything a search reads, for one generation; replaced whole by `refresh`. */
interface State {
  db: IndexDatabase;
  info: IndexInfo;
  segments: Map<number, Segment>;
  keyword: KeywordIndex;
  vectors: VectorIndex | undefined;
  vectorsFile: string | undefined;
}

/**
 * The embedded backend: one SQLite file (articles, passages, keyword segments, metadata) and an
 * HNSW file beside it. The keyword index is held in memory as its compact segments; passages are
 * read from SQLite by id, only for the candidates of a question.
 */
export class EmbeddedBackend implements SearchBackend {
  private constructor(
    private readonly dir: string,
    private readonly options: EmbeddedOptions,
    private state: State,
  ) {}

  static async open(dir: string, options: EmbeddedOptions): Promise<EmbeddedBackend> {
    const resolved = await resolveIndex(dir);
    if (resolved.recovered) options.onNotice?.(resolved.recovered);
    const state = await loadState(resolved.file, options.efSearch);
    return new EmbeddedBackend(dir, options, state);
  }

  get info(): IndexInfo {
    return this.state.info;
  }

  get terms(): TermStats {
    const keyword = this.state.keyword;
    return {
      docs: keyword.docCount,
      df: (term) => keyword.df(term),
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
    const filter: EmbeddedFilter = { filters, test };
    return filter;
  }

  async keywordCandidates(query: KeywordQueryTerm[], k: number, filter?: PassageFilter): Promise<KeywordHit[]> {
    return this.state.keyword.search(query, k, predicate(filter));
  }

  async denseCandidates(vector: Float32Array, k: number, filter?: PassageFilter): Promise<VectorHit[]> {
    const vectors = this.state.vectors;
    return vectors ? searchVectors(vectors, vector, k, this.options.efSearch, predicate(filter)) : [];
  }

  async vectorOf(id: number): Promise<Float32Array | undefined> {
    const vectors = this.state.vectors;
    return vectors ? vectorOf(vectors, id) : undefined;
  }

  async passages(ids: readonly number[]): Promise<Map<number, StoredPassage>> {
    return this.state.db.passagesByIds(ids);
  }

  async listArticles(match: (a: ArticleSummary) => boolean, offset: number, limit: number): Promise<{ total: number; items: ArticleSummary[] }> {
    const all = this.state.db.articles().filter(match);
    return { total: all.length, items: all.slice(offset, offset + limit) };
  }

  async listOutlets(prefix: string, limit: number): Promise<OutletCount[]> {
    return this.state.db.outlets(prefix, limit);
  }

  /**
   * Picks up a newer generation: only the keyword segments it does not hold yet, the deletion
   * marks, new passages' article ids and the new HNSW file (read off the event loop). A rebuilt
   * index (a new database file) is opened whole.
   */
  async refresh(): Promise<boolean> {
    const { file } = await resolveIndex(this.dir);
    const old = this.state;
    let next: State;
    if (file !== old.db.file) {
      next = await loadState(file, this.options.efSearch);
    } else {
      const generation = old.db.meta<number>(META.generation) ?? 0;
      if (generation === old.info.generation) return false;
      next = await loadState(file, this.options.efSearch, old);
    }
    this.state = next;
    if (next.db !== old.db) old.db.close();
    return true;
  }

  async close(): Promise<void> {
    this.state.db.close();
  }
}

/** The embedded backend's compiled filter: a predicate over passage ids. */
interface EmbeddedFilter extends PassageFilter {
  test(passageId: number): boolean;
}

function predicate(filter: PassageFilter | undefined): ((id: number) => boolean) | undefined {
  return filter ? (filter as EmbeddedFilter).test : undefined;
}

/** Reads one generation's state, re-using what `previous` (same database) already holds. */
async function loadState(file: string, efSearch: number, previous?: State): Promise<State> {
  const db = previous?.db ?? IndexDatabase.open(file, { readonly: true });
  try {
    const snapshot = db.snapshot(() => {
      const info = db.info();
      const vectorsFile = db.meta<string | null>(META.vectorsFile) ?? undefined;
      const ids = db.segmentIds();
      const have = previous?.segments;
      const fresh = db.segmentsByIds(ids.filter((id) => !have?.has(id)));
      const deleted = db.deletedIds();
      return { info, vectorsFile, ids, fresh, deleted };
    });
    const segments = new Map<number, Segment>();
    for (const id of snapshot.ids) {
      const kept = previous?.segments.get(id);
      if (kept) segments.set(id, kept);
    }
    for (const row of snapshot.fresh) {
      try {
        segments.set(row.id, Segment.decode(row.data));
      } catch (err) {
        if (err instanceof KeywordIndexError) throw new IndexError(`The keyword index in ${file} is damaged (${err.message}): ${REBUILD_HINT}.`);
        throw err;
      }
    }
    const keyword = new KeywordIndex(snapshot.ids.map((id) => segments.get(id)!), KEYWORD_OPTIONS);
    keyword.delete(snapshot.deleted);

    let vectors: VectorIndex | undefined = previous?.vectorsFile === snapshot.vectorsFile ? previous?.vectors : undefined;
    const dense = snapshot.info.dense;
    if (dense.status === 'ok' && snapshot.vectorsFile && !vectors) {
      try {
        vectors = await readVectorIndex(path.join(path.dirname(file), snapshot.vectorsFile), dense.dim, efSearch);
      } catch (err) {
        throw new IndexError(`The vector index of ${file} is missing or damaged (${(err as Error).message}): ${REBUILD_HINT}.`);
      }
    }
    if (dense.status === 'ok' && !vectors) throw new IndexError(`The vector index of ${file} is missing: ${REBUILD_HINT}.`);
    return { db, info: snapshot.info, segments, keyword, vectors, vectorsFile: snapshot.vectorsFile };
  } catch (err) {
    if (!previous) db.close();
    throw damaged(file, err);
  }
}
