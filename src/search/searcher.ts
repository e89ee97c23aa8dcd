import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CoreConfig } from '../config.js';
import { loadEmbedder, type Embedder } from '../embed/embedder.js';
import { idf, loadLexical, type LexicalIndex, type TermStats } from '../index/lexical.js';
import {
  FILES,
  IndexError,
  readJsonFile,
  readManifest,
  resolveBuildDir,
  verifyFiles,
  type Manifest,
  type StoreFile,
} from '../index/store.js';
import { loadVectorIndex, searchVectors, type VectorIndex } from '../index/vector.js';
import { analyze } from '../text/analyze.js';
import type { Expansions } from '../text/wordnet.js';
import { coverage, planQuery, type QueryPlan } from './query.js';
import { VariantFinder } from './variants.js';
import type { Answer, Article, ArticleSummary, Confidence, QueryStage, IndexStatus, SearchFilters, SearchOptions, SearchResult } from '../types.js';
import { DEFAULT_DIVERSIFY, diversify, linearFusion, reciprocalRankFusion, type Candidate } from './rank.js';
import { selectQuote, type Quote } from './quote.js';

export type SearchSettings = Pick<
  CoreConfig,
  'MODEL_DIR' | 'ALLOW_REMOTE_MODELS' | 'MODEL_QUANTIZED' | 'MODEL_LOAD_TIMEOUT_MS' | 'HNSW_EF_SEARCH'
> & {
  /** The model the user configured, if they set one: an index built with another model is an error. */
  EMBEDDING_MODEL?: string;
};

export interface OpenOptions {
  /**
   * 'await': load the model before returning; 'background': answer lexically until it is loaded
   * (the bot, which must answer within seconds of starting); 'never': lexical only.
   */
  model?: 'await' | 'background' | 'never';
}

/** Tunables of ranking and abstention, calibrated on the question sets (see BENCHMARKS.md). */
export interface RankingParams {
  /** Candidates taken from each retriever before fusion. */
  candidates: number;
  /** Reciprocal rank fusion, or a weighted sum of max-normalized scores. */
  fusion: 'rrf' | 'linear';
  lexicalWeight: number;
  denseWeight: number;
  /**
   * Abstain when the best passage (with its title) covers less than this share of the question's
   * idf-weighted concepts, or its quote less than `minQuoteCoverage`…
   */
  minCoverage: number;
  minQuoteCoverage: number;
  /** …unless (hybrid) its cosine similarity to the question is at least this. */
  minSimilarity: number;
  /** Question words found in more than this share of passages are left out of the keyword query… */
  commonTermShare: number;
  /** …unless that would leave fewer than this many words. */
  minQueryTerms: number;
  /** Passages the first keyword pass hands to the second. */
  keywordCandidates: number;
  /** Multiplier on the weight of WordNet alternatives of question words (0 turns expansion off). */
  expansion: number;
  /** Pseudo-relevance feedback: this many words (0: off) from the best `feedbackDocs` passages, boosted by up to `feedbackWeight`. */
  feedbackTerms: number;
  feedbackDocs: number;
  feedbackWeight: number;
}

export const DEFAULT_RANKING: RankingParams = {
  candidates: 100,
  fusion: 'rrf',
  lexicalWeight: 1,
  denseWeight: 1,
  minCoverage: 0.45,
  minQuoteCoverage: 0.35,
  minSimilarity: 0.75,
  commonTermShare: 0.05,
  minQueryTerms: 2,
  keywordCandidates: 300,
  expansion: 0.6,
  feedbackTerms: 0,
  feedbackDocs: 5,
  feedbackWeight: 0.3,
};

/** Below this many passages, keyword search runs in one pass. */
const SMALL_CORPUS = 5000;

interface Scored extends Candidate {
  similarity?: number;
  quote?: Quote;
}

/**
 * An opened index, ready to answer questions. Immutable once opened: a reindex opens a new
 * Searcher and swaps it in, while questions in flight finish on the old one.
 */
export class Searcher {
  private embedder: Embedder | undefined;
  private modelError: string | undefined;
  private readonly chunkArticle: Int32Array;

  private constructor(
    readonly buildDir: string,
    readonly manifest: Manifest,
    private readonly store: StoreFile,
    private readonly lexical: LexicalIndex,
    private readonly terms: TermStats,
    private readonly vectors: VectorIndex | undefined,
    private readonly expansions: Expansions | undefined,
    private readonly settings: SearchSettings,
    readonly ranking: RankingParams,
  ) {
    this.chunkArticle = Int32Array.from(store.chunks, (c) => c[0]);
    this.modelError = manifest.dense.status === 'ok' ? undefined : manifest.dense.reason;
    this.variants = new VariantFinder(Object.keys(terms.df));
  }

  private readonly variants: VariantFinder;
  /** Milliseconds per step of `open` (read and parse files, load the keyword and vector indexes, the model). */
  openTimings: Record<string, number> = {};

  static async open(
    dir: string,
    settings: SearchSettings,
    options: OpenOptions = {},
    ranking: RankingParams = DEFAULT_RANKING,
  ): Promise<Searcher> {
    const buildDir = await resolveBuildDir(dir);
    const manifest = await readManifest(buildDir);
    const dense = manifest.dense;
    if (dense.status === 'ok' && settings.EMBEDDING_MODEL && settings.EMBEDDING_MODEL !== dense.model) {
      throw new IndexError(
        `The index in ${dir} was built with ${dense.model} but EMBEDDING_MODEL is ${settings.EMBEDDING_MODEL}: ` +
          `rebuild it with \`npm run index\`, or set EMBEDDING_MODEL=${dense.model}.`,
      );
    }
    const timings: Record<string, number> = {};
    let mark = performance.now();
    const lap = (step: string): void => {
      const now = performance.now();
      timings[step] = Math.round(now - mark);
      mark = now;
    };
    await verifyFiles(buildDir, manifest);
    const [store, terms, expansions, lexicalJson] = await Promise.all([
      readJsonFile<StoreFile>(buildDir, FILES.store),
      readJsonFile<TermStats>(buildDir, FILES.terms),
      FILES.expansions in manifest.files ? readJsonFile<Expansions>(buildDir, FILES.expansions) : undefined,
      readFile(path.join(buildDir, FILES.lexical), 'utf8'),
    ]);
    lap('readStore');
    let lexical: LexicalIndex;
    try {
      lexical = loadLexical(lexicalJson);
    } catch (err) {
      throw new IndexError(`The keyword index in ${buildDir} is corrupt (${(err as Error).message}): rebuild it with \`npm run index\`.`);
    }
    lap('loadLexical');
    let vectors: VectorIndex | undefined;
    if (dense.status === 'ok') {
      try {
        vectors = loadVectorIndex(path.join(buildDir, FILES.hnsw), dense.dim, settings.HNSW_EF_SEARCH);
      } catch (err) {
        throw new IndexError(`The vector index in ${buildDir} is corrupt (${(err as Error).message}): rebuild it with \`npm run index\`.`);
      }
      if (vectors.getCurrentCount() !== store.chunks.length) {
        throw new IndexError(`The vector index in ${buildDir} does not match its passages: rebuild it with \`npm run index\`.`);
      }
    }
    lap('loadVectors');
    const searcher = new Searcher(buildDir, manifest, store, lexical, terms, vectors, expansions, settings, ranking);
    lap('prepare');
    const mode = options.model ?? 'await';
    if (vectors && mode !== 'never') {
      const loading = searcher.loadModel();
      if (mode === 'await') {
        await loading;
        lap('loadModel');
      }
    } else if (vectors) {
      searcher.modelError = 'semantic search disabled';
    }
    searcher.openTimings = timings;
    return searcher;
  }

  private modelLoading: Promise<void> | undefined;

  /** Loads the model the index was built with, using the manifest's pooling and prefixes. */
  private loadModel(): Promise<void> {
    const dense = this.manifest.dense;
    if (dense.status !== 'ok') return Promise.resolve();
    this.modelLoading ??= (async () => {
      const loaded = await loadEmbedder({ ...this.settings, EMBEDDING_MODEL: dense.model, EMBEDDING_POOLING: dense.pooling, EMBEDDING_QUERY_PREFIX: dense.queryPrefix });
      if ('error' in loaded) {
        this.modelError = loaded.error;
      } else if (loaded.embedder.dim !== dense.dim) {
        this.modelError = `model ${dense.model} gives ${loaded.embedder.dim}-dimensional vectors but the index has ${dense.dim}: rebuild it with \`npm run index\``;
      } else {
        this.embedder = loaded.embedder;
        this.modelError = undefined;
      }
    })();
    return this.modelLoading;
  }

  /** Resolves when the model has loaded or failed (for callers that want to wait). */
  async ready(): Promise<void> {
    await this.modelLoading;
  }

  get mode(): 'hybrid' | 'lexical' {
    return this.embedder && this.vectors ? 'hybrid' : 'lexical';
  }

  status(): IndexStatus {
    return {
      dir: this.buildDir,
      articles: this.manifest.corpus.articles,
      chunks: this.manifest.corpus.chunks,
      mode: this.mode,
      model: this.manifest.dense.model,
      modelError: this.mode === 'lexical' ? this.modelError : undefined,
      createdAt: this.manifest.createdAt,
    };
  }

  private article(index: number): Article {
    return this.store.articles[index]!;
  }

  private chunkText(id: number): string {
    const [ai, , start, end] = this.store.chunks[id]!;
    return this.article(ai).text.slice(start, end);
  }

  private filterFor(filters: SearchFilters): ((chunkId: number) => boolean) | undefined {
    const outlet = filters.outlet?.trim().toLowerCase();
    if (!filters.after && !filters.before && !outlet) return undefined;
    const ok = this.store.articles.map((a) => articleMatches(a, filters.after, filters.before, outlet));
    return (chunkId) => ok[this.chunkArticle[chunkId]!] === true;
  }

  /** Answers a question: ranked, de-duplicated passages with quotes, or an abstention. */
  async ask(question: string, options: SearchOptions = {}): Promise<Answer> {
    const started = performance.now();
    const k = Math.max(1, Math.min(options.k ?? 5, 50));
    const offset = Math.max(0, options.offset ?? 0);
    const mode = this.mode;
    const timings: Partial<Record<QueryStage, number>> = {};
    let mark = started;
    const lap = (stage: QueryStage): void => {
      const now = performance.now();
      timings[stage] = Math.round((now - mark) * 100) / 100;
      mark = now;
    };
    const done = (results: SearchResult[], abstained: boolean, more = false, confidence?: Confidence): Answer => ({
      question,
      abstained,
      mode,
      results,
      more,
      tookMs: Math.round((performance.now() - started) * 10) / 10,
      confidence,
      timings,
    });

    const plan = planQuery(question, this.terms, {
      expansions: this.ranking.expansion > 0 ? this.expansions : undefined,
      scale: this.ranking.expansion,
      variants: this.variants,
    });
    if (plan.concepts.length === 0) return done([], true);
    const filter = this.filterFor(options);
    const { candidates, lexicalWeight, denseWeight } = this.ranking;

    let lexicalHits = this.keywordSearch(plan, filter);
    if (this.ranking.feedbackTerms > 0 && lexicalHits.length > 0) {
      lexicalHits = this.keywordSearch(this.withFeedback(plan, lexicalHits), filter);
    }
    lexicalHits = lexicalHits.slice(0, candidates);
    lap('bm25');
    let fused: Scored[];
    let queryVec: Float32Array | undefined;
    if (mode === 'hybrid') {
      const queryVector = await this.embedder!.embedQuery(question);
      lap('embed');
      const denseHits = searchVectors(this.vectors!, queryVector, candidates, this.settings.HNSW_EF_SEARCH, filter);
      lap('ann');
      const similarity = new Map(denseHits.map((h) => [h.id, h.similarity]));
      const scores =
        this.ranking.fusion === 'rrf'
          ? reciprocalRankFusion([
              { ids: lexicalHits.map((h) => h.id), weight: lexicalWeight },
              { ids: denseHits.map((h) => h.id), weight: denseWeight },
            ])
          : linearFusion([
              { scores: lexicalHits, weight: lexicalWeight },
              { scores: denseHits.map((h) => ({ id: h.id, score: h.similarity })), weight: denseWeight },
            ]);
      fused = [...scores].map(([id, score]) => this.candidate(id, score, similarity.get(id)));
      queryVec = queryVector;
    } else {
      fused = lexicalHits.map((h) => this.candidate(h.id, h.score));
    }
    fused.sort((a, b) => b.score - a.score);
    lap('fusion');
    const ranked = diversify(fused, { ...DEFAULT_DIVERSIFY, limit: offset + k + 1 });
    lap('rank');

    if (ranked.length === 0) return done([], true);
    // A best passage only the keyword side found still needs its similarity for the abstention rule.
    const best = ranked[0]!;
    if (queryVec && best.similarity === undefined) best.similarity = this.similarityTo(queryVec, best.chunkId);
    const confidence = this.confidence(best, plan);
    if (!this.relevantEnough(confidence)) return done([], true, false, confidence);
    const page = ranked.slice(offset, offset + k).map((c, i) => this.toResult(c, offset + i + 1, plan));
    lap('quote');
    return done(page, false, ranked.length > offset + k, confidence);
  }

  /**
   * BM25 in two passes. Question words found in a large share of passages ("Ukraine" in a war
   * corpus) have long posting lists that dominate query time yet barely move scores, so the first
   * pass uses only the rarer words to pick candidates, and the second scores those candidates on
   * the whole question (MiniSearch skips documents whose boost is 0 before doing any work on them).
   */
  private keywordSearch(plan: QueryPlan, filter?: (chunkId: number) => boolean): Array<{ id: number; score: number }> {
    const { commonTermShare, minQueryTerms, keywordCandidates } = this.ranking;
    const limit = this.terms.docs * commonTermShare;
    const terms = [...plan.boosts.keys()].map((term) => ({ term, df: this.terms.df[term] ?? 0 }));
    if (terms.length === 0) return [];
    // Terms absent from the corpus cannot find anything: leave them out of the first pass.
    const byRarity = terms.filter((t) => t.df > 0).sort((a, b) => a.df - b.df);
    // Small corpora are fast to search whole; the first pass always has a few words to go on.
    const rare = this.terms.docs < SMALL_CORPUS ? byRarity.length : byRarity.filter((t) => t.df <= limit).length;
    const split = Math.max(Math.min(minQueryTerms, byRarity.length), rare);
    // The plan's terms are already analysed: search them as they are, each with its boost.
    const options = {
      tokenize: (s: string) => s.split(' '),
      processTerm: (t: string) => t,
      boostTerm: (t: string) => plan.boosts.get(t) ?? 1,
    };
    const search = (list: Array<{ term: string }>, extra: Record<string, unknown>): Array<{ id: number; score: number; queryTerms: string[] }> =>
      this.lexical.search(list.map((t) => t.term).join(' '), { ...options, ...extra }) as unknown as Array<{ id: number; score: number; queryTerms: string[] }>;
    const first = search(byRarity.slice(0, split), filter ? { filter: (r: { id: unknown }) => filter(r.id as number) } : {}).slice(0, keywordCandidates);
    // MiniSearch multiplies the summed term scores by the number of terms matched; we undo that,
    // add the common terms' part for the same passages, and multiply by the number of question
    // concepts matched instead, so a synonym and the word it stands for count once.
    const parts = new Map(first.map((r) => [r.id, { raw: r.score / r.queryTerms.length, terms: new Set(r.queryTerms) }]));
    const common = byRarity.slice(split);
    if (common.length) {
      for (const r of search(common, { boostDocument: (id: unknown) => (parts.has(id as number) ? 1 : 0) })) {
        const p = parts.get(r.id)!;
        p.raw += r.score / r.queryTerms.length;
        for (const t of r.queryTerms) p.terms.add(t);
      }
    }
    return [...parts]
      .map(([id, p]) => {
        const concepts = new Set<number>();
        for (const t of p.terms) for (const c of plan.conceptOf.get(t) ?? []) concepts.add(c);
        return { id, score: p.raw * concepts.size };
      })
      .sort((a, b) => b.score - a.score);
  }

  /**
   * Pseudo-relevance feedback: words that stand out in the best few passages (by tf × idf) join
   * the query with a small boost. They help rank, but never count as question concepts, so they
   * cannot make an unrelated passage look like an answer.
   */
  private withFeedback(plan: QueryPlan, hits: Array<{ id: number }>): QueryPlan {
    const { feedbackDocs, feedbackTerms, feedbackWeight } = this.ranking;
    const scores = new Map<string, number>();
    for (const { id } of hits.slice(0, feedbackDocs)) {
      const terms = analyze(this.chunkText(id));
      const counts = new Map<string, number>();
      for (const t of terms) counts.set(t, (counts.get(t) ?? 0) + 1);
      for (const [t, n] of counts) {
        if (plan.boosts.has(t) || (this.terms.df[t] ?? 0) < 2 || /^\d+$/.test(t)) continue;
        scores.set(t, (scores.get(t) ?? 0) + (n / terms.length) * idf(this.terms, t));
      }
    }
    const top = [...scores].sort((a, b) => b[1] - a[1]).slice(0, feedbackTerms);
    if (top.length === 0) return plan;
    const max = top[0]![1];
    const boosts = new Map(plan.boosts);
    for (const [t, score] of top) boosts.set(t, feedbackWeight * (score / max));
    return { ...plan, boosts };
  }

  /** Cosine similarity of a stored passage vector to the question (hnswlib keeps them normalized). */
  private similarityTo(query: Float32Array, id: number): number {
    const v = this.vectors!.getPoint(id);
    let dot = 0;
    for (let i = 0; i < v.length; i++) dot += v[i]! * query[i]!;
    return dot;
  }

  private candidate(id: number, score: number, similarity?: number): Scored {
    const ai = this.chunkArticle[id]!;
    return { chunkId: id, articleId: this.article(ai).id, score, text: this.chunkText(id), similarity };
  }

  private confidence(best: Scored, plan: QueryPlan): Confidence {
    const title = this.article(this.chunkArticle[best.chunkId]!).title;
    const round = (x: number): number => Math.round(x * 1000) / 1000;
    const quote = this.quoteFor(best, plan).text;
    return {
      coverage: round(coverage(plan, new Set(analyze(`${title}\n${best.text}`)))),
      quoteCoverage: round(coverage(plan, new Set(analyze(`${title}\n${quote}`)))),
      similarity: best.similarity,
    };
  }

  /** The quote of a passage, chosen once (the best passage's serves both abstention and its result). */
  private quoteFor(c: Scored, plan: QueryPlan): Quote {
    c.quote ??= selectQuote(c.text, plan.termWeights, { maxSentences: 3, question: plan.question });
    return c.quote;
  }

  relevantEnough(c: Confidence): boolean {
    return relevantEnough(c, this.ranking);
  }

  private toResult(c: Scored, rank: number, plan: QueryPlan): SearchResult {
    const a = this.article(this.chunkArticle[c.chunkId]!);
    const quote = this.quoteFor(c, plan);
    return {
      rank,
      score: Math.round(c.score * 10000) / 10000,
      title: a.title,
      outlet: a.outlet,
      date: a.date,
      url: a.url,
      source: a.source,
      articleId: a.id,
      chunkId: c.chunkId,
      quote: quote.text,
      quoteSentences: quote.sentences,
      passage: c.text,
    };
  }

  /** Articles in the index, newest first, optionally narrowed by words in the title or outlet. */
  listArticles(query = '', offset = 0, limit = 10): { total: number; items: ArticleSummary[] } {
    const words = analyze(query);
    const matches = this.store.articles.filter((a) => {
      if (words.length === 0) return true;
      const have = new Set(analyze(`${a.title} ${a.outlet ?? ''}`));
      return words.every((w) => have.has(w));
    });
    matches.sort((a, b) => (b.date ?? '').localeCompare(a.date ?? '') || a.title.localeCompare(b.title));
    return {
      total: matches.length,
      items: matches.slice(offset, offset + limit).map(({ id, title, outlet, date, url, source }) => ({ id, title, outlet, date, url, source })),
    };
  }

}

/** The abstention rule: enough of the question's concepts, or (hybrid) close enough in meaning. */
export function relevantEnough(c: Confidence, ranking: Pick<RankingParams, 'minCoverage' | 'minQuoteCoverage' | 'minSimilarity'>): boolean {
  if (c.coverage >= ranking.minCoverage && c.quoteCoverage >= ranking.minQuoteCoverage) return true;
  return c.similarity !== undefined && c.similarity >= ranking.minSimilarity;
}

/** Date filters are inclusive; a month-only date matches if any day of it is in range. */
export function articleMatches(a: Pick<Article, 'date' | 'outlet'>, after?: string, before?: string, outlet?: string): boolean {
  if (outlet && !(a.outlet ?? '').toLowerCase().includes(outlet)) return false;
  if (after || before) {
    if (!a.date) return false;
    const first = a.date.length === 7 ? `${a.date}-01` : a.date;
    const last = a.date.length === 7 ? `${a.date}-31` : a.date;
    if (after && last < after) return false;
    if (before && first > before) return false;
  }
  return true;
}
