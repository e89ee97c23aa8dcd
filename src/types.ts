/** Shapes that cross module boundaries: ingest → chunk → index, and question → results. */

/** One article as loaded and cleaned from the corpus. */
export interface Article {
  /** Stable id: the source's own id when it has one, else derived from URL or content. */
  id: string;
  title: string;
  /** Cleaned body text (never includes the title). */
  text: string;
  url?: string;
  /** ISO date, YYYY-MM-DD. */
  date?: string;
  outlet?: string;
  /** Where it came from: file path, plus ":line" for line-oriented formats. */
  source: string;
}

/** A passage of an article: whole sentences, with offsets into `Article.text`. */
export interface Chunk {
  /** Integer label, also the hnswlib label. */
  id: number;
  articleId: string;
  /** Position of this chunk within its article (0-based). */
  position: number;
  /** Character offsets into the article's cleaned text: text === article.text.slice(start, end). */
  start: number;
  end: number;
  text: string;
}

/** A problem with one input, reported by name (and line); the input is skipped unless `kept`. */
export interface IngestProblem {
  source: string;
  line?: number;
  message: string;
  /** The article was still indexed (undated, or truncated): a warning, not a skipped input. */
  kept?: boolean;
}

export interface SearchFilters {
  /** Inclusive ISO dates (YYYY-MM-DD). */
  after?: string;
  before?: string;
  /** Case-insensitive substring match on the outlet name. */
  outlet?: string;
}

export interface SearchOptions extends SearchFilters {
  /** How many results to return (default 5). */
  k?: number;
  /** Skip this many results first (paging: "More results"). */
  offset?: number;
  /**
   * Return the closest passages even when confidence is below the threshold (the user asked to see
   * them anyway); the answer then has `abstained: false` and `lowConfidence: true`.
   */
  evenIfUnsure?: boolean;
  /**
   * Earlier questions this one follows up on, newest first: their key terms are added to the query
   * at a lower weight, unless the question changed topic (src/search/follow-up.ts).
   */
  context?: string[];
  /**
   * The asker's today (ISO date; default: the clock's), from which time words count back: "this
   * week" searches the last seven days first (src/search/time-words.ts).
   */
  asOf?: string;
}

/** Dates a question's time words implied ("this week"), and the words. */
export interface ImpliedDates {
  /** Inclusive ISO dates (YYYY-MM-DD), as SearchFilters takes them. */
  after: string;
  before: string;
  phrase: string;
}

/** How an answer used the dates its question implied. */
export interface AnswerDates extends ImpliedDates {
  /** The results are of those dates; false: those dates held no confident answer, so they are of any date. */
  held: boolean;
}

/** How an answer used the earlier questions it was given (`SearchOptions.context`). */
export interface FollowUpInfo {
  /** The earlier questions whose terms were added, newest first (empty on a topic change). */
  used: string[];
  /** The terms added. */
  terms: string[];
  /** The question changed topic: the earlier questions were left out. */
  topicChange: boolean;
}

/** One sentence of a quote; `best` marks the sentence that best answers the question. */
export interface QuoteSentence {
  text: string;
  best: boolean;
  /** Sentences of the passage were skipped before this one (shown as "…"). */
  gap?: boolean;
}

export interface SearchResult {
  rank: number;
  /** Fused relevance score; higher is better. Comparable within one answer only. */
  score: number;
  title: string;
  outlet?: string;
  date?: string;
  url?: string;
  /** File (and line) the article came from. */
  source: string;
  articleId: string;
  chunkId: number;
  /** The 1–3 sentences of the passage that best answer the question, exact text. */
  quote: string;
  quoteSentences: QuoteSentence[];
  /** The whole passage the quote comes from. */
  passage: string;
}

export type SearchMode = 'hybrid' | 'lexical';

export interface Answer {
  question: string;
  /** True when nothing in the corpus is relevant enough: results is then empty. */
  abstained: boolean;
  /** Results shown although confidence is below the threshold (`evenIfUnsure`). */
  lowConfidence?: boolean;
  mode: SearchMode;
  results: SearchResult[];
  /** How many results exist past offset+k (for paging). */
  more: boolean;
  /** Milliseconds spent answering. */
  tookMs: number;
  /** Evidence behind the abstention decision, for the best passage (absent when nothing matched at all). */
  confidence?: Confidence;
  /** Present when the question was asked with `context`: what was carried over. */
  followUp?: FollowUpInfo;
  /** The dates the question's time words implied ("this week"), and whether the results are of them. */
  dates?: AnswerDates;
  /** Milliseconds per stage (bm25, embed, ann, fusion, rank, quote), for benchmarks and logs. */
  timings: Partial<Record<QueryStage, number>>;
}

export type QueryStage = 'plan' | 'bm25' | 'embed' | 'ann' | 'fusion' | 'rerank' | 'rank' | 'quote' | 'abstain';

/** The kinds of chat search/ranker/chat.ts tells from questions about the news. */
export type ChatKind = 'social' | 'bot' | 'request' | 'personal' | 'now' | 'advice' | 'everyday';

export interface Confidence {
  /** Probability (0–1) that the top passage holds the answer, from the trained confidence model. */
  probability: number;
  /**
   * At or above the model's "strong match" level, on a question of enough words (see abstain.ts):
   * what the chat rules ask of a personal question before answering it.
   */
  confident: boolean;
  /** Shown as a strong match, and answered unasked in an ask channel: confident, no rule refusing, not chat. */
  strong: boolean;
  /** The confidence model's inputs (for calibration and eval). */
  features: number[];
  /** Share of the question's idf-weighted terms found in the best passage and its title (0–1). */
  coverage: number;
  /** The same, counting only the title and the quote (the sentences that would be shown). */
  quoteCoverage: number;
  /** Cosine similarity of the best passage to the question (hybrid mode only). */
  similarity?: number;
  /**
   * Set when the question asks what happened in a year after the index's newest article, or on a
   * day or week (yesterday, this week) that is: it is refused whatever the passages, and the reply says why.
   */
  afterCorpus?: {
    /** The year asked about (`yearAfterCorpus`). */
    year?: number;
    /** Or the day or week, as the question names it ("yesterday": `spanAfterCorpus`). */
    phrase?: string;
    newestDate: string;
    /** The index holds later articles, but none of those that match the question (the best few) is that late. */
    ofMatches?: true;
  };
  /** Set when the question asks for advice or a how-to: it must clear a higher coverage floor. */
  advice?: true;
  /** How far the question is about this corpus's topics (see search/ranker/topic.ts). */
  topic?: TopicEvidence;
  /** Set when the message reads as chat rather than a question about the news (search/ranker/chat.ts). */
  chat?: ChatKind;
  /** Set when the question names fewer than two words the corpus uses: never a strong match, and the reply says why. */
  fewWords?: true;
  /** Set when the question names two words the corpus uses, neither distinctly its own: never a strong match. */
  plainWords?: true;
  /** Set when a confident match is on words common enough to meet in some passage of the index by chance: never a strong match. */
  commonWords?: true;
}

/** The question's most topical word for the corpus (search/ranker/topic.ts). */
export interface TopicEvidence {
  /** How much more the corpus uses that word than everyday English does (log-ratio; -Infinity: no word the corpus uses). */
  topicality: number;
  word?: string;
  /** The question's content words as written (numbers left out), to say why it was refused. */
  words: string[];
  /** Two of its words that stand together in many of the best passages ("interest rates"): a topic of the corpus. */
  phrase?: { phrase: string; passages: number };
}

export interface IndexStatus {
  dir: string;
  articles: number;
  chunks: number;
  mode: SearchMode;
  model: string;
  /** Why the dense index is missing, when mode is lexical. */
  modelError?: string;
  createdAt: string;
  /** The newest article's date: questions about later years are refused. */
  newestDate?: string;
}

export interface ArticleSummary {
  id: string;
  title: string;
  outlet?: string;
  date?: string;
  url?: string;
  source: string;
}
