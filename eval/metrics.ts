import { refusedByRule } from '../src/search/postprocess/abstain.js';
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
  /** Unanswerable sets (eval/questions/README.md): what kind of question the corpus cannot answer. */
  category?: string;
  /** A false premise: articles whose passage plainly contradicts it (showing one is a good answer). */
  contradictedBy?: string[];
  /** The asker's today (ISO date), when the question was asked on a known day (RealtimeQA's quiz week). */
  asOf?: string;
}

/** How many of the first results a passage contradicting a false premise may be among to count as a good answer. */
export const CONTRADICTION_DEPTH = 3;

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
  /** 1-based rank of the first result whose quote (the sentences shown) contains a gold answer. */
  quoteHitRank?: number;
  /** 1-based rank of the first passage from a gold article. */
  articleRank?: number;
  confidence?: Confidence;
  top?: string;
  category?: string;
  /** A false premise with a contradicting article among the first CONTRADICTION_DEPTH results. */
  contradicted?: boolean;
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
  const quoteHit = results.findIndex((r) => containsAnswer(r.quote, q.answers));
  const gold = new Set(q.articleIds ?? []);
  const art = gold.size ? results.findIndex((r) => gold.has(r.articleId)) : -1;
  const against = new Set(q.contradictedBy ?? []);
  return {
    id: q.id,
    question: q.question,
    unanswerable: q.unanswerable === true,
    ...(q.category ? { category: q.category } : {}),
    ...(against.size ? { contradicted: results.slice(0, CONTRADICTION_DEPTH).some((r) => against.has(r.articleId)) } : {}),
    hitRank: hit >= 0 ? hit + 1 : undefined,
    quoteHit: quoteHit === 0,
    quoteHitRank: quoteHit >= 0 ? quoteHit + 1 : undefined,
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
  quoteHitAt5: number;
  articleHitAt10?: number;
  /** With the abstention rule applied: answerable questions wrongly abstained on, unanswerable ones rightly. */
  falseAbstain?: number;
  correctAbstain?: number;
  /** Mean of (answerable answered) and (unanswerable abstained). */
  abstentionAccuracy?: number;
  /** Shares answered as a strong match: what an ask channel replies to unasked (answerable, and unanswerable: a public wrong reply). */
  strongAnswerable?: number;
  strongUnanswerable?: number;
  /** Unanswerable questions per category: how many, the share refused, and (when some are labelled with contradicting articles) the share refused or contradicted. */
  categories?: Record<string, { n: number; refused: number; refusedOrContradicted?: number }>;
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
    quoteHitAt5: share(ans.filter((o) => o.quoteHitRank !== undefined && o.quoteHitRank <= 5).length, ans.length),
  };
  if (withArticles.length) summary.articleHitAt10 = share(ans.filter((o) => o.articleRank !== undefined && o.articleRank <= 10).length, ans.length);
  if (abstains) {
    const falseAbstain = ans.filter((o) => abstains(o.confidence)).length;
    const correctAbstain = un.filter((o) => abstains(o.confidence)).length;
    summary.falseAbstain = share(falseAbstain, ans.length);
    summary.correctAbstain = share(correctAbstain, un.length);
    summary.strongAnswerable = share(ans.filter((o) => o.confidence?.strong).length, ans.length);
    summary.strongUnanswerable = share(un.filter((o) => o.confidence?.strong).length, un.length);
    summary.abstentionAccuracy = share(
      (ans.length - falseAbstain) / Math.max(1, ans.length) + correctAbstain / Math.max(1, un.length),
      2,
    );
    const categories = new Map<string, QuestionOutcome[]>();
    for (const o of un) if (o.category) (categories.get(o.category) ?? categories.set(o.category, []).get(o.category)!).push(o);
    if (categories.size) {
      summary.categories = {};
      for (const [name, items] of [...categories].sort(([a], [b]) => a.localeCompare(b))) {
        const refused = items.filter((o) => abstains(o.confidence));
        summary.categories[name] = { n: items.length, refused: share(refused.length, items.length) };
        if (items.some((o) => o.contradicted !== undefined)) {
          summary.categories[name]!.refusedOrContradicted = share(items.filter((o) => abstains(o.confidence) || o.contradicted).length, items.length);
        }
      }
    }
  }
  return summary;
}

export interface Calibration {
  /** Withhold answers whose confidence is below this. */
  threshold: number;
  /** Share of answerable questions refused, and of unanswerable ones refused, at that threshold. */
  falseRefusal: number;
  refusal: number;
}

/** One question as the threshold sees it: its confidence, and whether the search refuses it whatever the threshold. */
export interface ThresholdItem {
  unanswerable: boolean;
  probability: number;
  /** Below the coverage floor (or no result at all): refused at any threshold. */
  floored: boolean;
  /** The question set it comes from: the false-refusal budget holds for every set on its own. */
  group?: string;
}

/**
 * The confidence threshold that refuses the most unanswerable questions while refusing at most
 * `maxFalseRefusal` of the answerable ones of every group (on ties, the lowest threshold). Questions the search
 * refuses anyway (the coverage floor) count as refused at every threshold, so the budget is the
 * search's real false-refusal rate.
 */
export function chooseThreshold(items: readonly ThresholdItem[], maxFalseRefusal = 0.05): Calibration {
  const ans = items.filter((o) => !o.unanswerable);
  const un = items.filter((o) => o.unanswerable);
  const refusedAt = (o: ThresholdItem, t: number): boolean => o.floored || o.probability < t;
  const at = (t: number): Calibration => ({
    threshold: t,
    falseRefusal: share(ans.filter((o) => refusedAt(o, t)).length, ans.length),
    refusal: share(un.filter((o) => refusedAt(o, t)).length, un.length),
  });
  const groups = [...new Set(ans.map((o) => o.group))].map((g) => ans.filter((o) => o.group === g));
  const worst = (t: number): number => Math.max(0, ...groups.map((g) => share(g.filter((o) => refusedAt(o, t)).length, g.length)));
  let best = at(0);
  for (const t of [...new Set(items.filter((o) => !o.floored).map((o) => o.probability))].sort((a, b) => a - b)) {
    if (worst(t) > maxFalseRefusal) break;
    const c = at(t);
    if (c.refusal > best.refusal) best = c;
  }
  return best;
}

/** `chooseThreshold` over evaluated questions (their confidence and coverage as the search reported them). */
export function calibrateThreshold(outcomes: readonly QuestionOutcome[], maxFalseRefusal = 0.05): Calibration {
  return chooseThreshold(
    outcomes.map((o) => ({
      unanswerable: o.unanswerable === true,
      probability: o.confidence?.probability ?? 0,
      floored: refusedByRule(o.confidence),
    })),
    maxFalseRefusal,
  );
}
