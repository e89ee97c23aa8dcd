import { splitSentences } from '../../text/sentences.js';
import { analyze } from '../../text/analyze.js';
import type { QueryPlan } from '../query.js';
import { hasFreshAnswer, sentenceScore } from '../postprocess/quote.js';
import type { QuestionInfo } from './question.js';
import { unitNear } from './units.js';

/**
 * Features of a (question, passage) pair for the learned ranker, and of a (question, sentence) pair
 * for quote selection. Every feature is a number roughly in 0–1, computed from the passage text, its
 * title and date, and what the retrievers said about it.
 */

/** What the retrievers and the store know of one candidate passage. */
export interface CandidateEvidence {
  text: string;
  title: string;
  /** ISO date of the article, when known. */
  date?: string;
  /** Position of the passage within its article (0 = first). */
  position: number;
  /** The article it belongs to: passages of one article in the same pool vouch for each other. */
  articleId?: string;
  /** Keyword (BM25 × concepts) score, 0 when only the dense retriever found it. */
  keywordScore: number;
  /** 0-based rank in the keyword list, if there. */
  keywordRank?: number;
  /** Cosine similarity to the question, when a model is loaded. */
  similarity?: number;
  /** 0-based rank in the fused list. */
  fusedRank: number;
}

export const PASSAGE_FEATURES = [
  'keyword', // keyword score / best keyword score in the pool
  'keywordRR', // 1 / (1 + keyword rank)
  'fusedRR', // 1 / (1 + fused rank)
  'similarity', // cosine similarity (0 without a model)
  'coverOwn', // idf-weighted share of concepts present through the question's own words
  'coverAlt', // … added through WordNet alternatives
  'coverVariant', // … added through name spellings and place adjectives
  'coverCorpus', // … added through related words learned from the corpus
  'coverTitle', // share present in the title
  'coverAll', // passage + title, own or alternative (today's abstention coverage)
  'namesMissing', // share of the question's names found nowhere in the passage or title
  'bestSentence', // best single sentence's weighted coverage
  'answerNear', // a sentence holding a fresh answer of the asked type is the best or next to it (1 when no type is asked)
  'answerAny', // any sentence with a fresh answer of the asked type (1 when no type is asked)
  'proximity', // matched concepts / the shortest span holding them
  'bigrams', // share of the question's word pairs found together
  'dateMatch', // the article's date matches a year or month the question names
  'position', // 1 / (1 + position in article)
  'length', // log words / 6
  'topMissing', // weight share of the heaviest question concept found nowhere in the passage or title
  'yearMissing', // the question names a year that the passage, title and date never mention
  'unitMatch', // the question measures in a unit (money, a share, what "how many" counts) and the passage holds a number in it (1 when no unit is asked)
  'articleCover', // weighted coverage by the title and every passage of the same article in the pool
  'articleKeyword', // the article's summed keyword scores in the pool / the best article's
] as const;

export type PassageFeature = (typeof PASSAGE_FEATURES)[number];

export const SENTENCE_FEATURES = [
  'cover', // weighted coverage of the sentence (own + alternatives)
  'coverShare', // … relative to the passage's best sentence
  'fresh', // holds a fresh answer of the asked type
  'freshNeighbour', // a neighbour holds one
  'first', // first sentence of the passage
  'short', // fewer than 8 words
  'dependent', // opens with a pronoun or connective that leans on the previous sentence
  'coverRank', // 1 / (1 + rank of its coverage within the passage)
  'freshNumber', // fresh answer, and the question asks how many / how much
  'freshDate', // … asks when
  'freshName', // … asks who / which / where
  'hasNumber', // holds any number
  'terms', // idf-weighted question terms with pair bonus (the pre-model quote score), relative to the passage's best
  'unit', // holds a number in the unit the question measures in (units.ts: the count next to what is counted, an age, money…; 1 when none is asked)
] as const;

/** Per-sentence scores the passage features computed on the way, reused to choose the quote. */
export interface SentenceEvidence {
  start: number;
  end: number;
  text: string;
  features: number[];
}

export interface PassageFeatures {
  values: number[];
  sentences: SentenceEvidence[];
}

const DEPENDENT_OPENING = /^[“"]?(he|she|they|it|this|that|these|those|but|however|and|also|his|her|their|its)\b/i;

export interface ConceptHit {
  own: boolean;
  alt: number;
  variant: number;
  corpus: number;
}

/** How each concept is matched by a set of terms: by its own word, or by an alternative's share. */
export function conceptHits(plan: QueryPlan, terms: ReadonlySet<string>): ConceptHit[] {
  return plan.concepts.map((c) => {
    let alt = 0;
    let variant = 0;
    let corpus = 0;
    for (const a of c.alternatives) {
      if (!terms.has(a.term)) continue;
      if (a.kind === 'wordnet') alt = Math.max(alt, a.share);
      else if (a.kind === 'corpus') corpus = Math.max(corpus, a.share);
      else variant = Math.max(variant, a.share);
    }
    return { own: terms.has(c.term), alt, variant, corpus };
  });
}

function weightedCover(plan: QueryPlan, hits: ConceptHit[]): number {
  let total = 0;
  let covered = 0;
  plan.concepts.forEach((c, i) => {
    total += c.weight;
    const h = hits[i]!;
    covered += c.weight * (h.own ? 1 : Math.max(h.alt, h.variant, h.corpus));
  });
  return total ? covered / total : 0;
}

/** Shortest window of the term sequence holding every matched concept (0 when fewer than two match). */
function proximity(terms: readonly string[], conceptOf: ReadonlyMap<string, number[]>): number {
  const positions: Array<{ at: number; concept: number }> = [];
  terms.forEach((t, at) => {
    for (const concept of conceptOf.get(t) ?? []) positions.push({ at, concept });
  });
  const needed = new Set(positions.map((p) => p.concept)).size;
  if (needed < 2) return 0;
  const count = new Map<number, number>();
  let have = 0;
  let best = Infinity;
  let lo = 0;
  for (let hi = 0; hi < positions.length; hi++) {
    const c = positions[hi]!.concept;
    count.set(c, (count.get(c) ?? 0) + 1);
    if (count.get(c) === 1) have++;
    while (have === needed) {
      best = Math.min(best, positions[hi]!.at - positions[lo]!.at + 1);
      const d = positions[lo]!.concept;
      count.set(d, count.get(d)! - 1);
      if (count.get(d) === 0) have--;
      lo++;
    }
  }
  return needed / best;
}

function dateMatch(info: QuestionInfo, date: string | undefined): number {
  if (!date || (info.years.length === 0 && info.months.length === 0)) return 0;
  const year = date.slice(0, 4);
  const month = Number(date.slice(5, 7));
  const yearOk = info.years.length === 0 || info.years.includes(year);
  const monthOk = info.months.length === 0 || info.months.includes(month);
  return yearOk && monthOk ? 1 : 0;
}

/** Features of every candidate of one question's pool (pool-relative ones need the whole pool). */
export function passageFeatures(info: QuestionInfo, pool: readonly CandidateEvidence[]): PassageFeatures[] {
  const { plan } = info;
  const maxKeyword = Math.max(0, ...pool.map((c) => c.keywordScore)) || 1;
  const names = plan.concepts.map((c, i) => (c.name ? i : -1)).filter((i) => i >= 0);
  // Each sentence is analysed once; the passage's terms are theirs in order (analysing the whole text
  // as well gave the same terms, bar a few odd apostrophes, for ~10 % of the answer time).
  const split = pool.map((c) => splitSentences(c.text).map((s) => ({ s, terms: analyze(s.text) })));
  const analysed = split.map((sentences) => sentences.flatMap((x) => x.terms));
  const titles = pool.map((c) => analyze(c.title));
  const articleKeyOf = (i: number): string => pool[i]!.articleId ?? `#${i}`;
  // A paraphrased question often shares few words with the passage that answers it, but many with
  // the article around it: the article's other passages in the pool are evidence for this one.
  const articleTerms = new Map<string, Set<string>>();
  const articleKeyword = new Map<string, number>();
  pool.forEach((c, i) => {
    const key = articleKeyOf(i);
    let set = articleTerms.get(key);
    if (!set) {
      set = new Set(titles[i]);
      articleTerms.set(key, set);
    }
    for (const t of analysed[i]!) set.add(t);
    articleKeyword.set(key, (articleKeyword.get(key) ?? 0) + c.keywordScore);
  });
  const articleCover = new Map([...articleTerms].map(([key, set]) => [key, weightedCover(plan, conceptHits(plan, set))]));
  const maxArticleKeyword = Math.max(0, ...articleKeyword.values()) || 1;
  return pool.map((c, index) => {
    const articleKey = articleKeyOf(index);
    const terms = analysed[index]!;
    const termSet = new Set(terms);
    const titleSet = new Set(titles[index]);
    const hits = conceptHits(plan, termSet);
    const titleHits = conceptHits(plan, titleSet);
    const total = plan.concepts.reduce((s, k) => s + k.weight, 0) || 1;
    let own = 0;
    let alt = 0;
    let variant = 0;
    let corpus = 0;
    let title = 0;
    let all = 0;
    plan.concepts.forEach((k, i) => {
      const h = hits[i]!;
      const t = titleHits[i]!;
      const best = Math.max(h.alt, h.variant, h.corpus);
      if (h.own) own += k.weight;
      else if (best === 0) {
        /* not matched in the text */
      } else if (h.alt === best) alt += k.weight * h.alt;
      else if (h.variant === best) variant += k.weight * h.variant;
      else corpus += k.weight * h.corpus;
      const inTitle = t.own ? 1 : Math.max(t.alt, t.variant, t.corpus);
      title += k.weight * inTitle;
      all += k.weight * Math.max(h.own ? 1 : best, inTitle);
    });
    const namesMissing = names.length
      ? names.filter((i) => {
          const h = hits[i]!;
          const t = titleHits[i]!;
          return !h.own && !h.variant && !t.own && !t.variant;
        }).length / names.length
      : 0;

    // Sentences: coverage and answer-type evidence, kept for the quote.
    const sentences = split[index]!.map((x) => x.s);
    const covers = split[index]!.map((x) => weightedCover(plan, conceptHits(plan, new Set(x.terms))));
    const fresh = sentences.map((s) => (info.type ? hasFreshAnswer(s.text, info.type, info.words) : false));
    const bestCover = Math.max(0, ...covers);
    const best = covers.indexOf(bestCover);
    // A question that asks for no particular kind of answer (yes / no, why) lacks none.
    const answerNear = !info.type || (best >= 0 && (fresh[best] || fresh[best - 1] || fresh[best + 1])) ? 1 : 0;
    const termScores = sentences.map((s) => sentenceScore(s.text, plan.termWeights));
    const topTerms = Math.max(0, ...termScores) || 1;
    const coverOrder = covers.map((c, i) => ({ c, i })).sort((a, b) => b.c - a.c || a.i - b.i);
    const coverRank = new Array<number>(covers.length);
    coverOrder.forEach((o, rank) => {
      coverRank[o.i] = rank;
    });
    const sentenceEvidence: SentenceEvidence[] = sentences.map((s, i) => ({
      start: s.start,
      end: s.end,
      text: s.text,
      features: [
        covers[i]!,
        bestCover ? covers[i]! / bestCover : 0,
        fresh[i] ? 1 : 0,
        fresh[i - 1] || fresh[i + 1] ? 1 : 0,
        i === 0 ? 1 : 0,
        (s.text.match(/\S+/g) ?? []).length < 8 ? 1 : 0,
        DEPENDENT_OPENING.test(s.text) ? 1 : 0,
        1 / (1 + coverRank[i]!),
        fresh[i] && info.type === 'number' ? 1 : 0,
        fresh[i] && info.type === 'date' ? 1 : 0,
        fresh[i] && info.type === 'name' ? 1 : 0,
        /\d/.test(s.text) ? 1 : 0,
        termScores[i]! / topTerms,
        unitNear(info, s.text),
      ],
    }));

    let pairs = 0;
    if (info.bigrams.length) {
      const adjacent = new Set<string>();
      for (let i = 0; i + 1 < terms.length; i++) adjacent.add(`${terms[i]} ${terms[i + 1]}`);
      pairs = info.bigrams.filter(([a, b]) => adjacent.has(`${a} ${b}`)).length / info.bigrams.length;
    }

    let topMissing = 0;
    plan.concepts.forEach((k, i) => {
      const h = hits[i]!;
      const t = titleHits[i]!;
      if (!h.own && !h.alt && !h.variant && !h.corpus && !t.own && !t.alt && !t.variant && !t.corpus) topMissing = Math.max(topMissing, k.weight / total);
    });
    const lowerText = `${c.title} ${c.text} ${c.date ?? ''}`;
    const yearMissing = info.years.some((y) => !lowerText.includes(y)) ? 1 : 0;
    const values: Record<PassageFeature, number> = {
      keyword: c.keywordScore / maxKeyword,
      keywordRR: c.keywordRank === undefined ? 0 : 1 / (1 + c.keywordRank),
      fusedRR: 1 / (1 + c.fusedRank),
      similarity: c.similarity ?? 0,
      coverOwn: own / total,
      coverAlt: alt / total,
      coverVariant: variant / total,
      coverCorpus: corpus / total,
      coverTitle: title / total,
      coverAll: all / total,
      namesMissing,
      bestSentence: bestCover,
      answerNear,
      answerAny: !info.type || fresh.some(Boolean) ? 1 : 0,
      proximity: proximity(terms, plan.conceptOf),
      bigrams: pairs,
      dateMatch: dateMatch(info, c.date),
      position: 1 / (1 + c.position),
      length: Math.log(1 + terms.length) / 6,
      topMissing,
      yearMissing,
      unitMatch: unitNear(info, c.text),
      articleCover: articleCover.get(articleKey)!,
      articleKeyword: articleKeyword.get(articleKey)! / maxArticleKeyword,
    };
    return { values: PASSAGE_FEATURES.map((f) => values[f]), sentences: sentenceEvidence };
  });
}
