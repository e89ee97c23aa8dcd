import { analyze, processTerm, tokenize } from '../../text/analyze.js';
import { backgroundShare } from '../../text/background.js';
import type { TopicEvidence } from '../../types.js';
import type { Concept, QueryPlan } from '../query.js';

/**
 * Is the question about what this corpus is about at all? A word's topicality is how much more
 * often the corpus uses it than everyday English does (text/background.ts): in war news "kherson",
 * "sanctions", "missile" score high, "steak", "homework", "guitar" low. A question the corpus can
 * answer nearly always has at least one word of the corpus's own topics (a name, a place, the
 * subject's vocabulary); everyday chat and requests ("how many minutes do pasta shells
 * boil", "why is the sky blue") have none, whatever passage the search finds for their words.
 * It needs no training, and it follows the corpus: in a cooking corpus "steak" is topical.
 */

/** Log-ratio of the corpus's use of the term (share of passages holding it) to everyday English's (share of words). */
export function topicality(plan: Pick<QueryPlan, 'docs'>, c: Pick<Concept, 'term' | 'df'>): number {
  return Math.log((c.df + 0.5) / Math.max(plan.docs, 1)) - Math.log(backgroundShare(c.term));
}

/**
 * Below this, not one of the question's words is a word of the corpus's topics: refused
 * (postprocess/abstain.ts). Chosen on the train splits (the most off-topic questions refused while
 * adding at most 1.5 points of false refusals on the answerable train sets, ours and RealtimeQA's
 * train weeks), then checked on dev: see BENCHMARKS.md. The unit: passages vs words, so a word
 * used as often in the corpus as in speech scores about log(words per passage) ≈ 5.
 */
export const MIN_TOPICALITY = 6.5;

/** Numbers are no topic, and the everyday background lists none. */
const NUMBER = /^\p{N}+$/u;

/**
 * The question's most topical word that the corpus uses (numbers left out: they are no topic, and
 * the background lists none), and its content words as written.
 */
export function topicEvidence(plan: QueryPlan): TopicEvidence {
  const surface = surfaceForms(plan.question);
  let best: { word: string; topicality: number } | undefined;
  for (const c of plan.concepts) {
    if (c.df === 0 || NUMBER.test(c.term)) continue;
    const t = topicality(plan, c);
    if (!best || t > best.topicality) best = { word: surface.get(c.term) ?? c.term, topicality: Math.round(t * 100) / 100 };
  }
  const words = plan.concepts.filter((c) => !NUMBER.test(c.term)).map((c) => surface.get(c.term) ?? c.term);
  return { topicality: best?.topicality ?? -Infinity, ...(best ? { word: best.word } : {}), words };
}

/** Each index term of a text → the word it was first written as (to name words in a reply). */
function surfaceForms(text: string): Map<string, string> {
  const surface = new Map<string, string>();
  for (const token of tokenize(text)) {
    const term = processTerm(token);
    if (term !== null && !surface.has(term)) surface.set(term, token);
  }
  return surface;
}

/**
 * Everyday words can name a story the corpus covers at length: "interest rates", "heat wave", "the
 * queen's funeral", "world cup": each word is common in everyday English, the pair is a topic of the
 * news. Two consecutive words of the question that stand side by side in at least this many of the
 * best `PHRASE_POOL` passages make it a question about the corpus's topics. Chosen on the train
 * splits (2 to 4: 4 keeps the most everyday requests refused), checked on dev (BENCHMARKS.md, session 16).
 */
export const MIN_PHRASE_PASSAGES = 4;
/** How many of the best passages are read for a phrase. */
export const PHRASE_POOL = 10;

/**
 * The question's pair of consecutive content words (stop words between them skipped, numbers left
 * out) that stands side by side in the most of these passages, and in how many.
 */
export function phraseEvidence(question: string, passages: readonly string[]): { phrase: string; passages: number } | undefined {
  const terms = analyze(question);
  const pairs = new Set<string>();
  for (let i = 0; i + 1 < terms.length; i++) {
    const [a, b] = [terms[i]!, terms[i + 1]!];
    if (a !== b && !NUMBER.test(a) && !NUMBER.test(b)) pairs.add(`${a} ${b}`);
  }
  if (pairs.size === 0) return undefined;
  const counts = new Map<string, number>();
  for (const text of passages) {
    const t = analyze(text);
    const seen = new Set<string>();
    for (let i = 0; i + 1 < t.length; i++) {
      const pair = `${t[i]} ${t[i + 1]}`;
      if (pairs.has(pair)) seen.add(pair);
    }
    for (const pair of seen) counts.set(pair, (counts.get(pair) ?? 0) + 1);
  }
  let best: [string, number] | undefined;
  for (const entry of counts) if (!best || entry[1] > best[1]) best = entry;
  if (!best) return undefined;
  const surface = surfaceForms(question);
  return { phrase: best[0].split(' ').map((t) => surface.get(t) ?? t).join(' '), passages: best[1] };
}
