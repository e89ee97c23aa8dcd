import { commandLine } from '../../command-line.js';
import type { ArticleSummary, SearchFilters } from '../../types.js';
import { LIST_MATCH_CAP, type ArticleQuery, type DenseInfo, type IndexInfo, type KeywordHit, type KeywordQueryTerm, type NoDenseInfo, type OutletCount, type PassageFilter, type SearchBackend, type StoredPassage, type TermStats, type VectorHit } from '../backend.js';
import { chunkingSchema, corpusSchema, denseSchema } from '../database.js';
import { IndexError, MissingIndexError } from '../errors.js';
import { ARTICLE_COLUMNS, decodeArticle, decodePassage, PASSAGE_COLUMNS, type ArticleRow, type PassageRow } from '../rows.js';
import { BM25, BOUND_SLACK, carriedBound, tfnSql } from './bm25.js';
import { LATEST_VERSION, schemaVersion } from './migrations.js';
import { pgArray, pgVector, type Queryable, type Sql } from './sql.js';

/** Words in more than this share of the passages are left out of choosing the candidate pool… */
const COMMON_TERM_SHARE = 0.05;
/** …unless that leaves fewer than this many words. */
const MIN_RARE_TERMS = 2;
/** The pool is this many times k (at least POOL_MIN): every word's score is summed for these. */
const POOL_DEPTH = 4;
const POOL_MIN = 1000;
/**
 * Scores summed in another order differ by a few units in the last place: a passage whose unordered sum is within this
 * share of the k-th one's is re-scored in query order before the cut (far above the rounding error, far below any gap).
 */
const ORDER_MARGIN = 1e-12;

/** How each keyword query was answered (for tests and benchmarks): see `keywordCandidates`. */
export interface KeywordPlanCounts {
  /** The pool was proved to hold the exact top k. */
  pool: number;
  /** The pool's k-th score pruned the words that could not matter; every posting of the others was scored. */
  pruned: number;
  /** Every posting of every word was scored. */
  full: number;
}
export interface PostgresOptions {
  efSearch: number;
  onNotice?: (message: string) => void;
}

/** Everything a search holds in memory for one generation; replaced whole by `refresh`. */
interface State {
  info: IndexInfo;
  df: Map<string, number>;
  /** Per term: the largest normalised tf any of its postings can have under the current averages (term bounds, migration 5). */
  maxTfn: Map<string, number>;
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
const TFN = tfnSql('po', { oneMinusB: '$5::float8', relTitle: '$6::float8', relText: '$7::float8' });
const CONTRIBUTION = `(q.w * ${TFN}) / ($4::float8 + ${TFN})`;

/** A keyword query term as the SQL gets it: `flag` marks the pool's words, then the essential ones. */
interface QueryTerm {
  term: string;
  w: number;
  idx: number;
  bound: number;
  flag: 0 | 1;
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
 * in SQL over the query terms' postings (derived from each passage's weighted tsvector), date / outlet filters in SQL,
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
  readonly keywordPlans: KeywordPlanCounts = { pool: 0, pruned: 0, full: 0 };

  /**
   * The exact BM25F top k, as the embedded index gives it: the same weights, the same float operations per
   * posting and the same summing order (query order), so ids, scores and ties are identical. SQL has no
   * dynamic pruning, and summing every posting of a word found in a large share of the passages costs the
   * most, so first the pool: the best passages by the rarer words, every word's score then added for those
   * only. The pool holds the exact top k when no passage outside it can reach its k-th score — at most the
   * pool's lowest partial score plus the other words' bounds (`term_stats.max_tfn`). Otherwise that k-th score
   * prunes as MaxScore does: words whose bounds together stay below it cannot lift a passage on their own, so
   * only passages with one of the other words are scored.
   */
  async keywordCandidates(query: KeywordQueryTerm[], k: number, filter?: PassageFilter): Promise<KeywordHit[]> {
    const { df, maxTfn, docs } = this.state;
    const { k1 } = BM25;
    // Per term: boost · idf · (k1 + 1), from the live statistics, and its bound, as the embedded index weighs them.
    const terms: QueryTerm[] = [];
    query.forEach((q, idx) => {
      const n = df.get(q.term) ?? 0;
      if (n === 0 || !(q.boost >= 0)) return;
      const w = q.boost * Math.log(1 + (docs - n + 0.5) / (n + 0.5)) * (k1 + 1);
      const m = maxTfn.get(q.term) ?? Number.POSITIVE_INFINITY;
      terms.push({ term: q.term, w, idx, bound: w === 0 ? 0 : Number.isFinite(m) ? ((w * m) / (k1 + m)) * BOUND_SLACK : Number.POSITIVE_INFINITY, flag: 0 });
    });
    if (terms.length === 0 || k <= 0) return [];

    const byDf = [...terms].sort((x, y) => df.get(x.term)! - df.get(y.term)! || x.idx - y.idx);
    const limit = docs * COMMON_TERM_SHARE;
    const rareCount = Math.max(Math.min(MIN_RARE_TERMS, byDf.length), byDf.filter((t) => df.get(t.term)! <= limit).length);
    for (const [i, t] of byDf.entries()) t.flag = i < rareCount ? 1 : 0;
    const poolSize = Math.max(POOL_MIN, POOL_DEPTH * k);
    const c = CONTRIBUTION;
    const pooled = await this.scored(terms, k, filter, true, (_, from, where) =>
      `cand AS (SELECT po.passage, sum(${c}) AS part FROM ${from} WHERE q.flag = 1${where} GROUP BY po.passage ORDER BY part DESC, po.passage LIMIT ${poolSize})`,
    );
    const others = terms.filter((t) => t.flag === 0);
    let rest = 0;
    for (const t of others) rest += t.bound;
    // A passage outside a full pool has at most the pool's lowest partial score from the pool's words; outside
    // a pool that is not full, nothing from them (and no word at all when every word chose the pool).
    const full = pooled.count >= poolSize;
    const theta = pooled.hits.length === k ? pooled.hits[k - 1]!.score : Number.NEGATIVE_INFINITY;
    if ((!full && others.length === 0) || (full ? pooled.low * BOUND_SLACK : 0) + rest < theta) {
      this.keywordPlans.pool++;
      return pooled.hits;
    }
    // MaxScore: the words of smallest bounds whose bounds sum below theta cannot lift a passage to it alone.
    const byBound = [...terms].sort((x, y) => x.bound - y.bound || x.idx - y.idx);
    let e = 0;
    let below = 0;
    while (e < byBound.length && below + byBound[e]!.bound < theta) below += byBound[e++]!.bound;
    for (const [i, t] of byBound.entries()) t.flag = i < e ? 0 : 1;
    if (e === 0) {
      this.keywordPlans.full++;
      // Every passage with a word, ranked by the unordered sum; those near the k-th are scored in query order.
      return (
        await this.scored(terms, k, filter, false, (_, from, where) =>
          `s AS (SELECT po.passage, sum(${c}) AS approx FROM ${from} WHERE true${where} GROUP BY po.passage),
           kth AS (SELECT approx FROM s ORDER BY approx DESC LIMIT 1 OFFSET ${k - 1}),
           cand AS (SELECT passage FROM s WHERE approx >= coalesce((SELECT approx FROM kth), 0) * ${1 - ORDER_MARGIN})`,
        )
      ).hits;
    }
    this.keywordPlans.pruned++;
    return (
      await this.scored(terms, k, filter, false, (param, from, where) =>
        `cand AS (SELECT po.passage FROM ${from} WHERE q.flag = 1${where} GROUP BY po.passage HAVING sum(${c}) * ${BOUND_SLACK} + ${param(below)} >= ${param(theta)})`,
      )
    ).hits;
  }

  /**
   * The exact top k of the candidates `cand` that `candidates` defines (CTEs over `from` = the query terms q
   * joined to their postings po and, with a filter, to the passage's article a; `where` = the filter's
   * conditions, each after AND): every term's contribution summed in query order, ties by lower id. With
   * `pool`, `cand` has a `part` column, and its row count and lowest `part` come back too.
   */
  private async scored(
    terms: readonly QueryTerm[],
    k: number,
    filter: PassageFilter | undefined,
    pool: boolean,
    candidates: (param: (value: number) => string, from: string, where: string) => string,
  ): Promise<{ hits: KeywordHit[]; count: number; low: number }> {
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
      pgArray(terms.map((t) => t.flag)),
      k,
    ];
    const param = (value: number): string => `$${params.push(value)}::float8`;
    const join = filter ? ' JOIN passages p ON p.id = po.passage JOIN articles a ON a.rowid = p.article' : '';
    const where = (filter ? filterSql(filter.filters, params) : []).map((c) => ` AND ${c}`).join('');
    const cand = candidates(param, `q JOIN postings po ON po.term = q.term${join}`, where);
    const rows = await this.sql.query<{ id: number; score: number; matched: number[]; n?: string; low?: number | null }>(
      `WITH q AS (SELECT * FROM unnest($1::text[], $2::float8[], $3::int[], $8::int[]) AS q(term, w, idx, flag)),
       ${cand}
       SELECT po.passage AS id, sum(${CONTRIBUTION} ORDER BY q.idx) AS score, array_agg(q.idx ORDER BY q.idx) AS matched
         ${pool ? ', (SELECT count(*) FROM cand) AS n, (SELECT min(part) FROM cand) AS low' : ''}
       FROM cand CROSS JOIN q JOIN postings po ON po.term = q.term AND po.passage = cand.passage
       GROUP BY po.passage
       ORDER BY score DESC, po.passage
       LIMIT $9::int`,
      params,
    );
    return { hits: rows.map((r) => ({ id: r.id, score: Number(r.score), matched: r.matched })), count: Number(rows[0]?.n ?? 0), low: Number(rows[0]?.low ?? 0) };
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
    const avg = { title: docs ? Number(stats!.title_terms) / docs : 0, text: docs ? Number(stats!.text_terms) / docs : 0 };
    const df = new Map<string, number>();
    const maxTfn = new Map<string, number>();
    for (const r of await tx.query<{ term: string; df: number; max_tfn: number | null; ref_title: number | null; ref_text: number | null }>(
      'SELECT term, df, max_tfn, ref_title, ref_text FROM term_stats WHERE df > 0',
    )) {
      df.set(r.term, r.df);
      maxTfn.set(r.term, carriedBound(r.max_tfn, { title: r.ref_title, text: r.ref_text }, avg));
    }
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
      maxTfn,
      docs,
      avgTitle: avg.title,
      avgText: avg.text,
      expansions,
      related,
      vectors,
    };
  });
}
