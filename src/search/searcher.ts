import { commandLine } from '../command-line.js';
import type { CoreConfig } from '../config.js';
import type { IndexInfo, OutletCount, SearchBackend } from '../storage/backend.js';
import { cacheBytes, EmbeddedBackend } from '../storage/embedded.js';
import { IndexError } from '../storage/errors.js';
import type { Answer, ArticleSummary, Confidence, IndexStatus, QueryStage, SearchOptions, SearchResult } from '../types.js';
import { linearFusion, reciprocalRankFusion } from './fusion.js';
import { abstainStep } from './postprocess/abstain.js';
import { diversifyStep } from './postprocess/diversify.js';
import { quoteFor, quoteStep } from './postprocess/quote-step.js';
import { rerankStep } from './postprocess/rerank.js';
import { answeredAlone, carryContext, followUpInfo, MAX_CONTEXT, mayStandAlone, topicChanged, withContext } from './follow-up.js';
import { planQuery, type QueryPlan } from './query.js';
import type { PassageFeatures } from './ranker/features.js';
import type { QuestionInfo } from './ranker/question.js';
import { loadRanker, type Ranker } from './ranker/model.js';
import { DEFAULT_RANKING, type RankingParams } from './ranking.js';
import { DenseRetriever } from './retrievers/dense.js';
import { KeywordRetriever } from './retrievers/keyword.js';
import { impliedDates, spanAfterIndex } from './time-words.js';
import { VariantFinder } from './variants.js';
import type { PostProcessor, Scored, Walk } from './walk.js';

export { DEFAULT_RANKING, type RankingParams } from './ranking.js';

export type SearchSettings = Pick<
  CoreConfig,
  'MODEL_DIR' | 'ALLOW_REMOTE_MODELS' | 'MODEL_QUANTIZED' | 'MODEL_LOAD_TIMEOUT_MS' | 'HNSW_EF_SEARCH'
> & {
  /** Keyword postings cache per opened index, MB (default 64: DEFAULT_POSTING_CACHE_MB). */
  KEYWORD_CACHE_MB?: number;
  /** The model the user configured, if they set one: an index built with another model is an error. */
  EMBEDDING_MODEL?: string;
  /** ONNX Runtime intra-op threads of the query model (0 or unset: one per core). */
  EMBED_THREADS?: number;
};

export interface OpenOptions {
  /**
   * 'await': load the model before returning; 'background': answer lexically until it is loaded;
   * 'later': answer lexically and start loading only when `ready()` is first called (the bot's
   * search workers, which warm up and start answering first: loading a model holds the thread and
   * a core for seconds); 'never': lexical only.
   */
  model?: 'await' | 'background' | 'later' | 'never';
  /** Told about things worth a line on stderr (e.g. a recovered index pointer). */
  onNotice?: (message: string) => void;
  /** The learned ranker (default: the committed weights). */
  ranker?: Ranker;
}

/** One question's candidate pool with the ranker's features: what `npm run train-ranker` learns from. */
export interface CandidatePool {
  info: QuestionInfo;
  candidates: Array<{ chunkId: number; articleId: string; title: string; date?: string; text: string; keywordScore: number; features: PassageFeatures }>;
}

/**
 * Answers questions from an index by composing its parts: the query plan, the retrievers
 * (keyword, dense), fusion, and the post-processors (diversify, abstain, quote). Storage is
 * behind a SearchBackend. `refresh()` picks up a newer index generation in place.
 */
export class Searcher {
  private readonly keyword: KeywordRetriever;
  private readonly dense: DenseRetriever | undefined;
  private readonly post: PostProcessor[];
  private readonly rerank: PostProcessor;
  private variants: VariantFinder;
  private disabledReason: string | undefined;

  private constructor(
    private readonly backend: SearchBackend,
    settings: SearchSettings,
    readonly ranking: RankingParams,
    ranker: Ranker,
  ) {
    const dense = backend.info.dense;
    this.keyword = new KeywordRetriever(backend, ranking);
    this.dense = dense.status === 'ok' ? new DenseRetriever(backend, dense, settings) : undefined;
    this.disabledReason = dense.status === 'ok' ? undefined : dense.reason;
    this.rerank = rerankStep(ranker, (id) => backend.vectorOf(id));
    this.post = [this.rerank, diversifyStep(ranking.perArticle), abstainStep(ranker, ranking.minConfidence, () => backend.info.newestDate), quoteStep];
    this.variants = new VariantFinder(backend.terms.vocabulary());
  }

  static async open(dir: string, settings: SearchSettings, options: OpenOptions = {}, ranking: RankingParams = DEFAULT_RANKING): Promise<Searcher> {
    const backend = await EmbeddedBackend.open(dir, { efSearch: settings.HNSW_EF_SEARCH, postingCacheBytes: cacheBytes(settings.KEYWORD_CACHE_MB), onNotice: options.onNotice });
    return Searcher.over(backend, settings, options, ranking);
  }

  /** A searcher over an opened backend (embedded or PostgreSQL); it closes the backend when closed. */
  static async over(backend: SearchBackend, settings: SearchSettings, options: OpenOptions = {}, ranking: RankingParams = DEFAULT_RANKING): Promise<Searcher> {
    const dense = backend.info.dense;
    const dir = backend.info.location;
    // A model trained on the corpus stands in for a configured one that could not be loaded at build time.
    if (dense.status === 'ok' && !dense.modelDir && settings.EMBEDDING_MODEL && settings.EMBEDDING_MODEL !== dense.model) {
      await backend.close();
      throw new IndexError(
        `The index in ${dir} was built with ${dense.model} but EMBEDDING_MODEL is ${settings.EMBEDDING_MODEL}: ` +
          `rebuild it with \`${commandLine('index', '--rebuild')}\`, or set EMBEDDING_MODEL=${dense.model}.`,
      );
    }
    const searcher = new Searcher(backend, settings, ranking, options.ranker ?? loadRanker());
    const mode = options.model ?? 'await';
    if (searcher.dense && mode !== 'never') {
      const loading = mode === 'later' ? undefined : searcher.dense.load();
      if (mode === 'await') await loading;
    } else if (searcher.dense) {
      searcher.disabledReason = 'semantic search disabled';
    }
    return searcher;
  }

  get info(): IndexInfo {
    return this.backend.info;
  }

  /** Resolves when the model has loaded or failed; starts the load if it has not started (model 'later'). */
  async ready(): Promise<void> {
    await this.dense?.load();
  }

  get mode(): 'hybrid' | 'lexical' {
    return this.dense?.available() ? 'hybrid' : 'lexical';
  }

  status(): IndexStatus {
    const info = this.backend.info;
    return {
      dir: info.location,
      articles: info.articles,
      chunks: info.passages,
      mode: this.mode,
      model: info.dense.model,
      modelError: this.mode === 'lexical' ? (this.disabledReason ?? this.dense?.error) : undefined,
      createdAt: info.updatedAt || info.createdAt,
      newestDate: info.newestDate,
    };
  }

  /** Picks up a newer generation of the index (after `npm run index` or /reindex); true if it changed. */
  async refresh(): Promise<boolean> {
    const changed = await this.backend.refresh();
    if (changed) this.variants = await VariantFinder.create(this.backend.terms.vocabulary());
    return changed;
  }

  /** Frees the model and the database handles. */
  async close(): Promise<void> {
    await this.dense?.close();
    await this.backend.close();
  }

  /**
   * Answers a question: ranked, de-duplicated passages with quotes, or an abstention. A question
   * whose time words imply dates ("this week") and that names none itself is answered from those
   * dates first, and from every date when they hold no confident answer.
   */
  async ask(question: string, options: SearchOptions = {}): Promise<Answer> {
    // Today is read once here and passed on: the refusal of "yesterday" over an old index counts from it too.
    const today = options.asOf ?? new Date().toISOString();
    const rest = { ...options, asOf: today };
    const implied = rest.after || rest.before ? undefined : impliedDates(question, today);
    if (implied) {
      if (spanAfterIndex(implied, this.backend.info.newestDate)) return { ...(await this.askAnyTime(question, rest)), dates: { ...implied, held: false } };
      const within = await this.askAnyTime(question, { ...rest, after: implied.after, before: implied.before });
      if (within.results.length > 0 && !within.abstained && !within.lowConfidence) return { ...within, dates: { ...implied, held: true } };
      return { ...(await this.askAnyTime(question, rest)), dates: { ...implied, held: false } };
    }
    return this.askAnyTime(question, rest);
  }

  private async askAnyTime(question: string, options: SearchOptions): Promise<Answer> {
    const { context, ...plain } = options;
    if (!context?.length) return this.answer(question, plain);
    // A follow-up (src/search/follow-up.ts): the earlier questions' concepts join at a lower weight unless it stands alone.
    const own = this.plan(question);
    const carried = carryContext(own, context.slice(0, MAX_CONTEXT).map((q) => this.plan(q)));
    if (carried.concepts.length === 0) return { ...(await this.answer(question, plain, own)), followUp: followUpInfo(carried, 'not needed') };
    let single: Answer | undefined;
    if (mayStandAlone(own)) {
      single = await this.answer(question, plain, own);
      if (answeredAlone(own, single)) return { ...single, followUp: followUpInfo(carried, topicChanged(carried, single) ? 'new topic' : 'not needed') };
    }
    const followed = await this.answer(question, plain, withContext(own, carried));
    if (followed.abstained) {
      single ??= await this.answer(question, plain, own);
      if (!single.abstained) return { ...single, followUp: followUpInfo(carried, 'not needed') };
    }
    return { ...followed, followUp: followUpInfo(carried, 'carried') };
  }

  /** The question's weighted concepts (with WordNet alternatives and name variants). */
  private plan(question: string): QueryPlan {
    return planQuery(question, this.backend.terms, {
      expansions: this.ranking.expansion > 0 ? (lemma) => this.backend.expansions(lemma) : undefined,
      scale: this.ranking.expansion,
      variants: this.variants,
      related: this.ranking.related > 0 ? (term) => this.backend.related(term) : undefined,
      relatedScale: this.ranking.related,
      relatedRetrieval: this.ranking.relatedRetrieval > 0,
    });
  }

  private async answer(question: string, options: SearchOptions, plan?: QueryPlan): Promise<Answer> {
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

    const walk = await this.retrieve(question, options, offset, k, lap, plan);
    if (!walk) return done([], true);

    let lowConfidence = false;
    for (const step of this.post) {
      await step.run(walk);
      if (!walk.abstained) continue;
      // Nothing at all to show, or not confident enough and not asked to show it anyway.
      if (walk.ranked.length === 0 || !options.evenIfUnsure) return done([], true, false, walk.confidence);
      walk.abstained = false;
      lowConfidence = true;
    }
    const page = walk.ranked.slice(offset, offset + k).map((c, i) => toResult(c, offset + i + 1, quoteFor(c, walk.plan)));
    return { ...done(page, false, walk.ranked.length > offset + k, walk.confidence), ...(lowConfidence ? { lowConfidence } : {}) };
  }

  /** The question's plan, its candidates from the retrievers, fused and read from storage. */
  private async retrieve(question: string, options: SearchOptions, offset: number, k: number, lap: Walk['lap'], planned?: QueryPlan): Promise<Walk | undefined> {
    const plan = planned ?? this.plan(question);
    if (plan.concepts.length === 0) return undefined;
    lap('plan');
    const walk: Walk = { question, plan, filter: await this.backend.filterFor(options), offset, k, ranked: [], abstained: false, asOf: options.asOf, lap };

    const { candidates, lexicalWeight, denseWeight } = this.ranking;
    const lexicalHits = await this.keyword.retrieve(walk, candidates);
    walk.keyword = new Map(lexicalHits.map((h, rank) => [h.id, { score: h.score, rank }]));
    let fused: Array<{ id: number; score: number; similarity?: number }>;
    if (this.mode === 'hybrid' && this.dense) {
      const denseHits = await this.dense.retrieve(walk, candidates);
      const similarity = new Map(denseHits.map((h) => [h.id, h.similarity]));
      const scores =
        this.ranking.fusion === 'rrf'
          ? reciprocalRankFusion([
              { ids: lexicalHits.map((h) => h.id), weight: lexicalWeight },
              { ids: denseHits.map((h) => h.id), weight: denseWeight },
            ])
          : linearFusion([
              { scores: lexicalHits, weight: lexicalWeight },
              { scores: denseHits, weight: denseWeight },
            ]);
      fused = [...scores].map(([id, score]) => ({ id, score, similarity: similarity.get(id) }));
    } else {
      fused = lexicalHits;
    }
    fused.sort((a, b) => b.score - a.score);
    walk.ranked = await this.materialize(fused);
    lap('fusion');
    return walk;

  }

  /** The ranker's view of a question's candidates (for `npm run train-ranker` and inspection). */
  async pool(question: string, options: SearchOptions = {}): Promise<CandidatePool | undefined> {
    const walk = await this.retrieve(question, options, 0, 10, () => {});
    if (!walk) return undefined;
    await this.rerank.run(walk);
    return {
      info: walk.info!,
      candidates: walk.ranked
        .filter((c) => c.features)
        .map((c) => ({ chunkId: c.chunkId, articleId: c.articleId, title: c.passage.article.title, date: c.passage.article.date, text: c.text, keywordScore: c.keywordScore ?? 0, features: c.features! })),
    };
  }

  /** Reads the candidates' passages (only these) from storage, in rank order. */
  private async materialize(fused: Array<{ id: number; score: number; similarity?: number }>): Promise<Scored[]> {
    const passages = await this.backend.passages(fused.map((f) => f.id));
    const out: Scored[] = [];
    for (const f of fused) {
      const p = passages.get(f.id);
      // A passage removed by an update this searcher has not picked up yet is skipped.
      if (p) out.push({ chunkId: f.id, articleId: p.article.id, score: f.score, text: p.text, passage: p, similarity: f.similarity });
    }
    return out;
  }

  /** Outlets by case-insensitive prefix, most articles first (for autocomplete). */
  listOutlets(prefix = '', limit = 25): Promise<OutletCount[]> {
    return this.backend.listOutlets(prefix, limit);
  }

  /**
   * Articles in the index, newest first, optionally narrowed by words in the title or outlet (or an
   * article's exact id). The last word may be unfinished (autocomplete while typing): it also
   * matches as the start of a title or outlet word. Answered from the backend's title index.
   */
  listArticles(query = '', offset = 0, limit = 10): Promise<{ total: number; items: ArticleSummary[] }> {
    const id = query.trim();
    // Bounded: a title lookup never needs more words than a title has.
    const words = fold(id).split(/[^\p{L}\p{N}]+/u).filter(Boolean).slice(0, 12);
    return this.backend.listArticles({ id, words, prefix: words.length > 0 && !/\s$/.test(query) }, offset, limit);
  }
}

/** Lower case without diacritics, for matching what someone is typing. */
const fold = (s: string): string => s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();

function toResult(c: Scored, rank: number, quote: { text: string; sentences: SearchResult['quoteSentences'] }): SearchResult {
  const a = c.passage.article;
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
