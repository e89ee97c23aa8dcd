import { commandLine } from '../../command-line.js';
import type { ArticleSummary, SearchFilters } from '../../types.js';
import { LIST_MATCH_CAP, type ArticleQuery, type DenseInfo, type IndexInfo, type KeywordHit, type KeywordQueryTerm, type NoDenseInfo, type OutletCount, type PassageFilter, type SearchBackend, type StoredPassage, type TermStats, type VectorHit } from '../backend.js';
import { chunkingSchema, corpusSchema, denseSchema } from '../database.js';
import { IndexError, MissingIndexError } from '../errors.js';
import { ARTICLE_COLUMNS, decodeArticle, decodePassage, PASSAGE_COLUMNS, type ArticleRow, type PassageRow } from '../rows.js';
import { KEYWORD_OPTIONS } from '../embedded.js';
import { LATEST_VERSION, schemaVersion } from './migrations.js';
import { pgArray, pgVector, type Queryable, type Sql } from './sql.js';

/** BM25F parameters: the embedded keyword index's, so both backends score alike. */
export const BM25 = { ...KEYWORD_OPTIONS, titleWeight: 1, textWeight: 1 } as const;

/**
 * Scores summed in another order differ by a few units in the last place (the contributions are positive: at most
 * terms × 2⁻⁵³ of the score): a passage whose unordered sum is within this share of the k-th one's is scored again in
 * query order before the cut. Far above the rounding error, far below any real gap.
 */
const ORDER_MARGIN = 1e-12;
/** Passages past the k-th fetched with their query-order scores (more only when all of them are within ORDER_MARGIN of it). */
const NEAR_EXTRA = 8;

/** How keyword queries were answered (for tests and benchmarks). */
export interface KeywordQueryCounts {
  queries: number;
  /** Queries that fetched past k + NEAR_EXTRA because that many passages tied (within ORDER_MARGIN) with the k-th. */
  refetched: number;
}

export interface PostgresOptions {
  efSearch: number;
  onNotice?: (message: string) => void;
}

/** Everything a search holds in memory for one generation; replaced whole by `refresh`. */
interface State {
  info: IndexInfo;
  df: Map<string, number>;
  docs: number;
  avgTitle: number;
  avgText: number;
  expansions: Map<string, Array<[string, number]>>;
  /** Corpus-learned related words (src/text/related.ts), JSON [[term, similarity], …] per term. */
  related: Map<string, Array<[string, number]>>;
  /** Whether `passage_vectors` can be searched (pgvector present and the index built with a model). */
  vectors: boolean;
}

/** A posting's BM25F contribution in SQL: q is the query term's row, po its posting ($4 = k1, $5 = 1 − b, $6 / $7 = b / average length). */
/**
 * A posting's normalised term frequency in SQL, operation for operation as the embedded index computes it
 * (src/storage/keyword/keyword-index.ts: tfTitle · (wTitle / ((1 − b) + b/avgTitle · titleLen)) + tfText · …), so
 * it is the same float8, bit for bit ($5 = 1 − b, $6 / $7 = b / average length). A title without the word adds
 * 0 · norm = +0, which changes nothing: most postings skip that half. With b = 1 an empty field's norm would divide
 * by zero; the embedded index takes 1 there, and so does this.
 */
function tfnSql(): string {
  const norm = (weight: number, rel: string, len: string): string =>
    BM25.b < 1 ? `(${weight}::float8 / ($5::float8 + ${rel} * po.${len}))` : `(${weight}::float8 / coalesce(nullif($5::float8 + ${rel} * po.${len}, 0), 1))`;
  const text = `po.tf_text * ${norm(BM25.textWeight, '$7::float8', 'text_len')}`;
  return `CASE WHEN po.tf_title = 0 THEN ${text} ELSE po.tf_title * ${norm(BM25.titleWeight, '$6::float8', 'title_len')} + ${text} END`;
}
const TFN = tfnSql();

/** A query term as the SQL gets it: its weight boost · idf · (k1 + 1) and its index in the query. */
interface QueryTerm {
  term: string;
  w: number;
  idx: number;
}

/** The PostgreSQL backend's compiled filter: the question's filters, turned into SQL per query. */
interface SqlFilter extends PassageFilter {
  readonly sql: true;
}

const META = {
  generation: 'generation',
  complete: 'complete',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  dense: 'dense',
  chunking: 'chunking',
  corpus: 'corpus',
} as const;

/**
 * The search backend on PostgreSQL: articles and passages tables, keyword candidates ranked by BM25F
 * in SQL over the query terms' postings (the indexer's term counts, as the embedded segments keep them), date / outlet filters in SQL,
 * vectors in pgvector (HNSW, cosine) when the server has it. Term statistics, WordNet
 * alternatives and related words are held in memory (query planning consults them word by word) and reloaded by
 * `refresh` when the indexer has committed a newer generation.
 */
export class PostgresBackend implements SearchBackend {
  private constructor(
    private readonly sql: Sql,
    private readonly options: PostgresOptions,
    private state: State,
    private readonly ownsSql: boolean,
  ) {}

  /** Opens the index in the database; `ownsSql`: close the client with the backend. */
  static async open(sql: Sql, options: PostgresOptions, ownsSql = true): Promise<PostgresBackend> {
    try {
      const state = await loadState(sql);
      return new PostgresBackend(sql, options, state, ownsSql);
    } catch (err) {
      if (ownsSql) await sql.close().catch(() => undefined);
      throw err;
    }
  }

  get info(): IndexInfo {
    return this.state.info;
  }

  get terms(): TermStats {
    const { df, docs } = this.state;
    return { docs, df: (term) => df.get(term) ?? 0, vocabulary: () => df.keys() };
  }

  expansions(lemma: string): Array<[string, number]> | undefined {
    return this.state.expansions.get(lemma);
  }

  related(term: string): Array<[string, number]> | undefined {
    return this.state.related.get(term);
  }

  async filterFor(filters: SearchFilters): Promise<PassageFilter | undefined> {
    if (!filters.after && !filters.before && !filters.outlet?.trim()) return undefined;
    const filter: SqlFilter = { filters: { after: filters.after, before: filters.before, outlet: filters.outlet }, sql: true };
    return filter;
  }

  /** How the keyword queries so far were answered. */
  readonly keywordCounts: KeywordQueryCounts = { queries: 0, refetched: 0 };

  /**
   * The exact BM25F top k, as the embedded index gives it: the same weights, the same float operations per
   * posting and the same summing order (query order), so ids, scores and ties (lower id first) are identical.
   * One hash aggregate sums every posting of the query's words per passage in whatever order the rows come;
   * the best k + NEAR_EXTRA by that sum are then scored again in query order (an ordered aggregate over index
   * lookups) and cut at k. When the last of them is still within ORDER_MARGIN of the k-th, more are fetched.
   * (A pool of the best passages by the rarer words is cheaper but not exact; proving it exact from per-word
   * bounds failed for most questions at k = 100, and scoring it costs a scan of the common words' postings anyway:
   * BENCHMARKS.md, "PostgreSQL backend".)
   */
  async keywordCandidates(query: KeywordQueryTerm[], k: number, filter?: PassageFilter): Promise<KeywordHit[]> {
    const { df, docs } = this.state;
    const { k1 } = BM25;
    // Per term: boost · idf · (k1 + 1), from the live statistics, as the embedded index weighs it (a zero boost
    // still counts the word as matched, as there).
    const terms: QueryTerm[] = [];
    query.forEach((q, idx) => {
      const n = df.get(q.term) ?? 0;
      if (n > 0 && q.boost >= 0) terms.push({ term: q.term, w: q.boost * Math.log(1 + (docs - n + 0.5) / (n + 0.5)) * (k1 + 1), idx });
    });
    if (terms.length === 0 || k <= 0) return [];
    this.keywordCounts.queries++;
    for (let extra = NEAR_EXTRA; ; extra *= 4) {
      const rows = await this.scoreBest(terms, k + extra, filter);
      const kth = rows.length >= k ? rows[k - 1]!.approx : 0;
      // Enough when the list ended before its limit, or its last passage is clearly below the k-th.
      if (rows.length < k + extra || rows[rows.length - 1]!.approx < kth * (1 - ORDER_MARGIN)) {
        rows.sort((x, y) => y.score - x.score || x.id - y.id);
        return rows.slice(0, k).map((r) => ({ id: r.id, score: r.score, matched: r.matched }));
      }
      this.keywordCounts.refetched++;
    }
  }

  /** The `limit` best passages by their scores summed in any order (`approx`), each with its score summed in query order. */
  private async scoreBest(
    terms: readonly QueryTerm[],
    limit: number,
    filter: PassageFilter | undefined,
  ): Promise<Array<{ id: number; approx: number; score: number; matched: number[] }>> {
    const { avgTitle, avgText } = this.state;
    const { k1, b } = BM25;
    const params: unknown[] = [
      pgArray(terms.map((t) => t.term)),
      pgArray(terms.map((t) => t.w)),
      pgArray(terms.map((t) => t.idx)),
      k1,
      1 - b,
      avgTitle > 0 ? b / avgTitle : 0,
      avgText > 0 ? b / avgText : 0,
      limit,
    ];
    const join = filter ? ' JOIN passages p ON p.id = po.passage JOIN articles a ON a.rowid = p.article' : '';
    const where = filter ? ` WHERE ${filterSql(filter.filters, params).join(' AND ')}` : '';
    // The contribution is w · tfn / (k1 + tfn), tfn computed once per posting (OFFSET 0 keeps it a subquery).
    const rows = await this.sql.query<{ id: number; approx: number; score: number; matched: number[] }>(
      `WITH q AS (SELECT * FROM unnest($1::text[], $2::float8[], $3::int[]) AS q(term, w, idx))
       SELECT t.passage AS id, t.approx, x.score, x.matched
       FROM (SELECT c.passage, sum((c.w * c.tfn) / ($4::float8 + c.tfn)) AS approx
             FROM (SELECT po.passage, q.w, ${TFN} AS tfn FROM q JOIN postings po ON po.term = q.term${join}${where} OFFSET 0) c
             GROUP BY c.passage ORDER BY approx DESC LIMIT $8::int) t
       CROSS JOIN LATERAL (
         SELECT sum((c.w * c.tfn) / ($4::float8 + c.tfn) ORDER BY c.idx) AS score, array_agg(c.idx ORDER BY c.idx) AS matched
         FROM (SELECT q.w, q.idx, ${TFN} AS tfn FROM q JOIN postings po ON po.term = q.term AND po.passage = t.passage) c) x`,
      params,
    );
    return rows.map((r) => ({ id: r.id, approx: Number(r.approx), score: Number(r.score), matched: r.matched }));
  }

  async denseCandidates(vector: Float32Array, k: number, filter?: PassageFilter): Promise<VectorHit[]> {
    if (!this.state.vectors || k <= 0) return [];
    const params: unknown[] = [pgVector(vector), k];
    const where: string[] = filter ? filterSql(filter.filters, params) : [];
    const join = filter ? ' JOIN passages p ON p.id = v.id JOIN articles a ON a.rowid = p.article' : '';
    const ef = Math.max(this.options.efSearch, k);
    return this.sql.transaction(async (tx) => {
      // pgvector's HNSW search explores ef_search candidates; the default (40) is below ours.
      await tx.query(`SET LOCAL hnsw.ef_search = ${Math.min(1000, Math.floor(ef))}`);
      const rows = await tx.query<{ id: number; distance: number }>(
        `SELECT v.id, v.embedding <=> $1::vector AS distance FROM passage_vectors v${join}
         ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY v.embedding <=> $1::vector LIMIT $2::int`,
        params,
      );
      return rows.map((r) => ({ id: r.id, similarity: 1 - Number(r.distance) }));
    });
  }

  async vectorOf(id: number): Promise<Float32Array | undefined> {
    if (!this.state.vectors) return undefined;
    const [row] = await this.sql.query<{ e: string }>('SELECT embedding::text AS e FROM passage_vectors WHERE id = $1', [id]);
    return row ? Float32Array.from(JSON.parse(row.e) as number[]) : undefined;
  }

  async passages(ids: readonly number[]): Promise<Map<number, StoredPassage>> {
    const out = new Map<number, StoredPassage>();
    if (ids.length === 0) return out;
    const rows = await this.sql.query<PassageRow>(
      `SELECT ${PASSAGE_COLUMNS} FROM passages p JOIN articles a ON a.rowid = p.article WHERE p.id = ANY($1::int[])`,
      [pgArray([...ids])],
    );
    for (const row of rows) out.set(row.pid, decodePassage(row));
    return out;
  }

  /** A page of articles, from the listing index, or the title index's first LIST_MATCH_CAP matches (migration 4). */
  async listArticles(query: ArticleQuery, offset: number, limit: number): Promise<{ total: number; items: ArticleSummary[] }> {
    const start = Math.min(offset, LIST_MATCH_CAP);
    if (query.words.length === 0) {
      const rows = await this.sql.query<ArticleRow>(`SELECT ${ARTICLE_COLUMNS} FROM articles ORDER BY date DESC NULLS LAST, title LIMIT $1::int OFFSET $2::int`, [limit, start]);
      return { total: this.state.info.articles, items: rows.map(decodeArticle) };
    }
    // Words are letters and digits only (Searcher.listArticles), so quoting them is enough.
    const tsquery = query.words.map((w, i) => `'${w}'${query.prefix && i === query.words.length - 1 ? ':*' : ''}`).join(' & ');
    const ids = `SELECT rowid FROM articles WHERE id = $1 UNION (SELECT rowid FROM articles WHERE title_words @@ to_tsquery('simple', $2) LIMIT ${LIST_MATCH_CAP})`;
    const [count] = await this.sql.query<{ n: string }>(`SELECT count(*) AS n FROM (${ids}) m`, [query.id, tsquery]);
    const rows = await this.sql.query<ArticleRow>(
      `SELECT ${ARTICLE_COLUMNS} FROM articles WHERE rowid IN (${ids}) ORDER BY date DESC NULLS LAST, title LIMIT $3::int OFFSET $4::int`,
      [query.id, tsquery, limit, start],
    );
    return { total: Number(count?.n ?? 0), items: rows.map(decodeArticle) };
  }

  async listOutlets(prefix: string, limit: number): Promise<OutletCount[]> {
    const rows = await this.sql.query<{ name: string; articles: string }>(
      `SELECT min(outlet) AS name, count(*) AS articles FROM articles
       WHERE outlet_key IS NOT NULL AND outlet_key <> '' AND starts_with(outlet_key, $1)
       GROUP BY outlet_key ORDER BY count(*) DESC, min(outlet) LIMIT $2::int`,
      [prefix.trim().toLowerCase(), limit],
    );
    return rows.map((r) => ({ name: r.name, articles: Number(r.articles) }));
  }

  /** Reloads the in-memory statistics when the indexer has committed a newer generation. */
  async refresh(): Promise<boolean> {
    const generation = await readGeneration(this.sql);
    if (generation === this.state.info.generation) return false;
    this.state = await loadState(this.sql);
    return true;
  }

  async close(): Promise<void> {
    if (this.ownsSql) await this.sql.close();
  }
}

/** The date / outlet conditions on `articles a`, with their values appended to `params`. */
function filterSql(filters: SearchFilters, params: unknown[]): string[] {
  const where: string[] = [];
  if (filters.after) where.push(`a.date_last >= $${params.push(filters.after)}`);
  if (filters.before) where.push(`a.date_first <= $${params.push(filters.before)}`);
  const outlet = filters.outlet?.trim().toLowerCase();
  if (outlet) where.push(`strpos(a.outlet_key, $${params.push(outlet)}) > 0`);
  return where;
}

async function readGeneration(q: Queryable): Promise<number> {
  const [row] = await q.query<{ value: number }>('SELECT value FROM meta WHERE key = $1', [META.generation]);
  return row ? Number(row.value) : 0;
}

/** Reads one generation's statistics and metadata in one snapshot. */
async function loadState(sql: Sql): Promise<State> {
  const version = await schemaVersion(sql);
  if (version === 0) throw new MissingIndexError(`No index in PostgreSQL at ${sql.location} yet: build it with \`${commandLine('index')}\`.`);
  if (version > LATEST_VERSION) {
    throw new IndexError(`The database at ${sql.location} has schema version ${version}, newer than this Archivist (${LATEST_VERSION}): upgrade Archivist.`);
  }
  if (version < LATEST_VERSION) throw new IndexError(`The database at ${sql.location} has schema version ${version}: run \`${commandLine('db migrate')}\`.`);
  return sql.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const meta = new Map((await tx.query<{ key: string; value: unknown }>('SELECT key, value FROM meta')).map((r) => [r.key, r.value]));
    if (meta.get(META.complete) !== true) throw new MissingIndexError(`No complete index in PostgreSQL at ${sql.location} yet: build it with \`${commandLine('index')}\`.`);
    const parse = <T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }, key: string): T => {
      const value = schema.safeParse(meta.get(key));
      if (!value.success) throw new IndexError(`The index at ${sql.location} has damaged metadata (${key}): rebuild it with \`${commandLine('index', '--rebuild')}\`.`);
      return value.data;
    };
    const dense = parse(denseSchema, META.dense) as DenseInfo | NoDenseInfo;
    const [stats] = await tx.query<{ passages: string; title_terms: string; text_terms: string }>('SELECT passages, title_terms, text_terms FROM corpus_stats');
    const [articles] = await tx.query<{ n: string }>('SELECT count(*) AS n FROM articles');
    const [newest] = await tx.query<{ date: string | null }>('SELECT date FROM articles WHERE date_first IS NOT NULL ORDER BY date_first DESC LIMIT 1');
    const docs = Number(stats?.passages ?? 0);
    const df = new Map<string, number>();
    for (const r of await tx.query<{ term: string; df: number }>('SELECT term, df FROM term_stats WHERE df > 0')) df.set(r.term, r.df);
    const expansions = new Map<string, Array<[string, number]>>();
    for (const r of await tx.query<{ lemma: string; alternatives: Array<[string, number]> }>('SELECT lemma, alternatives FROM expansions')) {
      expansions.set(r.lemma, r.alternatives);
    }
    const related = new Map<string, Array<[string, number]>>();
    for (const r of await tx.query<{ term: string; neighbours: Array<[string, number]> }>('SELECT term, neighbours FROM related')) {
      related.set(r.term, r.neighbours);
    }
    let vectors = false;
    if (dense.status === 'ok') {
      const [t] = await tx.query<{ t: string | null }>("SELECT to_regclass('passage_vectors')::text AS t");
      vectors = Boolean(t?.t);
    }
    const info: IndexInfo = {
      location: sql.location,
      format: version,
      createdAt: String(meta.get(META.createdAt) ?? ''),
      updatedAt: String(meta.get(META.updatedAt) ?? ''),
      generation: Number(meta.get(META.generation) ?? 0),
      articles: Number(articles?.n ?? 0),
      passages: docs,
      newestDate: newest?.date ?? undefined,
      dense: vectors || dense.status !== 'ok' ? dense : { status: 'unavailable', model: dense.model, reason: 'the database has no vector table (pgvector missing)' },
      chunking: parse(chunkingSchema, META.chunking),
      corpus: parse(corpusSchema, META.corpus),
    };
    return {
      info,
      df,
      docs,
      avgTitle: docs ? Number(stats!.title_terms) / docs : 0,
      avgText: docs ? Number(stats!.text_terms) / docs : 0,
      expansions,
      related,
      vectors,
    };
  });
}
