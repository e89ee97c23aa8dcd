import type { Confidence } from '../src/types.js';

/** Retrieval-quality metrics over a question set: pure functions, so they can be unit-tested. */

export interface EvalQuestion {
  id: string;
  question: string;
  /** Gold answer strings; a passage containing one (case-insensitively) is a hit. */
  answers: string[];
  /** Articles known to answer it (optional). */
  articleIds?: string[];
  unanswerable?: boolean;
  nearMiss?: boolean;
}

export interface RankedPassage {
  articleId: string;
  passage: string;
  quote: string;
}


export interface QuestionOutcome {
  id: string;
  question: string;
  unanswerable: boolean;
  /** 1-based rank of the first passage containing a gold answer, if any within k. */
  hitRank?: number;
  /** The top result's quote contains a gold answer. */
  quoteHit: boolean;
  /** 1-based rank of the first passage from a gold article. */
  articleRank?: number;
  confidence?: Confidence;
  top?: string;
}

const norm = (s: string): string =>
  s
    .normalize('NFKC')
    .replace(/[‘’ʼ]/g, "'")
    .replace(/[“”]/g, '"')
    .replace(/\s+/g, ' ')
    .toLowerCase();

export function containsAnswer(text: string, answers: readonly string[]): boolean {
  const t = norm(text);
  return answers.some((a) => a.trim() !== '' && t.includes(norm(a)));
}

export function judge(q: EvalQuestion, results: readonly RankedPassage[], confidence?: Confidence): QuestionOutcome {
  const hit = results.findIndex((r) => containsAnswer(r.passage, q.answers));
  const gold = new Set(q.articleIds ?? []);
  const art = gold.size ? results.findIndex((r) => gold.has(r.articleId)) : -1;
  return {
    id: q.id,
    question: q.question,
    unanswerable: q.unanswerable === true,
    hitRank: hit >= 0 ? hit + 1 : undefined,
    quoteHit: results[0] ? containsAnswer(results[0].quote, q.answers) : false,
    articleRank: art >= 0 ? art + 1 : undefined,
    confidence,
    top: results[0]?.quote.slice(0, 160),
  };
}

export interface Summary {
  answerable: number;
  unanswerable: number;
  hitAt1: number;
  hitAt5: number;
  hitAt10: number;
  mrrAt10: number;
  quoteHitAt1: number;
  articleHitAt10?: number;
  /** With the abstention rule applied: answerable questions wrongly abstained on, unanswerable ones rightly. */
  falseAbstain?: number;
  correctAbstain?: number;
  /** Mean of (answerable answered) and (unanswerable abstained). */
  abstentionAccuracy?: number;
}

const share = (n: number, d: number): number => (d === 0 ? 0 : Math.round((n / d) * 1000) / 1000);

export function summarize(outcomes: readonly QuestionOutcome[], abstains?: (c: Confidence | undefined) => boolean): Summary {
  const ans = outcomes.filter((o) => !o.unanswerable);
  const un = outcomes.filter((o) => o.unanswerable);
  const within = (k: number): number => ans.filter((o) => o.hitRank !== undefined && o.hitRank <= k).length;
  const withArticles = ans.filter((o) => o.articleRank !== undefined || o.hitRank !== undefined);
  const summary: Summary = {
    answerable: ans.length,
    unanswerable: un.length,
    hitAt1: share(within(1), ans.length),
    hitAt5: share(within(5), ans.length),
    hitAt10: share(within(10), ans.length),
    mrrAt10: share(ans.reduce((s, o) => s + (o.hitRank !== undefined && o.hitRank <= 10 ? 1 / o.hitRank : 0), 0), ans.length),
    quoteHitAt1: share(ans.filter((o) => o.quoteHit).length, ans.length),
  };
  if (withArticles.length) summary.articleHitAt10 = share(ans.filter((o) => o.articleRank !== undefined && o.articleRank <= 10).length, ans.length);
  if (abstains) {
    const falseAbstain = ans.filter((o) => abstains(o.confidence)).length;
    const correctAbstain = un.filter((o) => abstains(o.confidence)).length;
    summary.falseAbstain = share(falseAbstain, ans.length);
    summary.correctAbstain = share(correctAbstain, un.length);
    summary.abstentionAccuracy = share(
      (ans.length - falseAbstain) / Math.max(1, ans.length) + correctAbstain / Math.max(1, un.length),
      2,
    );
  }
  return summary;
}

export interface Calibration {
  minCoverage: number;
  minQuoteCoverage: number;
  /** Balanced accuracy of the abstention rule at these thresholds on this question set. */
  accuracy: number;
  falseAbstain: number;
  correctAbstain: number;
}

/**
 * Finds the passage- and quote-coverage thresholds that best separate answerable from
 * unanswerable questions (balanced accuracy); on ties, the lower thresholds, so fewer real
 * answers are withheld. `minSimilarity` is the hybrid rule's escape hatch (Infinity: lexical).
 */
export function calibrateAbstention(outcomes: readonly QuestionOutcome[], minSimilarity = Infinity): Calibration {
  let best: Calibration = { minCoverage: 0, minQuoteCoverage: 0, accuracy: -1, falseAbstain: 0, correctAbstain: 0 };
  const steps = Array.from({ length: 41 }, (_, i) => Math.round(i * 25) / 1000);
  for (const minCoverage of steps) {
    for (const minQuoteCoverage of steps) {
      const abstains = (c: Confidence | undefined): boolean =>
        !c ||
        ((c.coverage < minCoverage || c.quoteCoverage < minQuoteCoverage) &&
          !(c.similarity !== undefined && c.similarity >= minSimilarity));
      const s = summarize(outcomes, abstains);
      if ((s.abstentionAccuracy ?? 0) > best.accuracy) {
        best = { minCoverage, minQuoteCoverage, accuracy: s.abstentionAccuracy ?? 0, falseAbstain: s.falseAbstain ?? 0, correctAbstain: s.correctAbstain ?? 0 };
      }
    }
  }
  return best;
}
