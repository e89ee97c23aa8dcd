import type { QueryPlan } from '../src/search/query.js';
import { nextArticles, type RankedEvidence } from '../src/search/ranker/evidence.js';
import { conceptHits, type ConceptHit } from '../src/search/ranker/features.js';
import type { QuestionInfo } from '../src/search/ranker/question.js';
import { unitNear } from '../src/search/ranker/units.js';
import { analyze, processTerm, tokenize } from '../src/text/analyze.js';
import { splitSentences } from '../src/text/sentences.js';

/**
 * Candidate evidence features for the confidence model that were measured and NOT shipped (see
 * BENCHMARKS.md, "Refusing what the corpus does not hold"): kept here so `eval/confidence-ablation.ts`
 * can reproduce the figures. Each tells "the passage holds the asked fact" from "the passage is about
 * the topic" in another way; on the hard question set none separated unanswerable questions better
 * than the shipped features (most learned a weight of 0 under their sign constraint).
 */

export const CANDIDATE_FEATURES = [
  'detailCover', // idf-weighted share of the detail concepts (not the topic's) in the best sentence and its neighbours
  'detailPassage', // … anywhere in the top passage or its title
  'detailMissing', // weight share of the heaviest detail concept found nowhere in the top passage or title
  'typeNear', // a fresh answer of the asked type within 6 words of a matched detail word (1 when no type is asked)
  'focusNear', // the thing asked about ("how many *crew*") within 4 words of a fresh answer of the asked type
  'margin', // the ranker's lead of the top passage over the next: 1 - exp(-lead)
  'wordnetShare', // share of the top passage's matched weight that only WordNet alternatives match
  'agreement', // share of the next articles that cover the detail as well as the top one
  'futureOnly', // the question asks in the past tense, the best sentences speak of plans
  'dateForm', // a "what date / what day" question and a day-level date (month and day, or a weekday) in the top passage; for "when", any date
  'unitTop3', // unitNear over the top three passages (1 if any holds a number in the asked unit)
  'unitArticle', // unitNear over the top article's passages among the results
  'yearAfter', // the question asks in the past about a year later than the top article's date
  'nameNear', // "the name of the X" / "who was the X": a fresh capitalised name within 3 words of X (1 when no such question)
] as const;
export type CandidateFeature = (typeof CANDIDATE_FEATURES)[number];

/** The sign each candidate was constrained to (0: free). */
export const CANDIDATE_SIGNS: Record<CandidateFeature, number> = {
  detailCover: 1,
  detailPassage: 1,
  detailMissing: -1,
  typeNear: 1,
  focusNear: 1,
  margin: 1,
  wordnetShare: -1,
  agreement: 0,
  futureOnly: -1,
  dateForm: 1,
  unitTop3: 1,
  unitArticle: 1,
  yearAfter: -1,
  nameNear: 1,
};

const MONTH_OR_DAY = /^(jan(uary)?|feb(ruary)?|march|april|may|june|july|aug(ust)?|sept?(ember)?|oct(ober)?|nov(ember)?|dec(ember)?|monday|tuesday|wednesday|thursday|friday|saturday|sunday)$/i;
const NUMBER_WORD = /^(hundreds?|thousands?|millions?|billions?|dozens?|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|half|quarter|third)$/i;
const WORD = /[\p{L}\p{N}][\p{L}\p{N}'’.,%$£€-]*/gu;
const NOT_FOCUS = new Set(['kind', 'type', 'sort', 'exact', 'actual', 'total', 'name', 'number', 'amount', 'share', 'percentage', 'proportion', 'part', 'level', 'year', 'date', 'day', 'month', 'time']);
const PAST_QUESTION = /\b(did|was|were|had|has|have)\b|\b\w{3,}ed\b/i;
const FUTURE = /\b(will|would|wo?n't|plans?|planned|planning|expected|expects?|scheduled|set to|due to|intends?|aims?|hopes?|could|may|might|should|next|upcoming|future|propos\w*)\b/i;

const matchOf = (h: ConceptHit): number => (h.own ? 1 : Math.max(h.alt, h.variant));

function freshAnswerWord(raw: string, first: boolean, info: QuestionInfo): boolean {
  const word = raw.replace(/[’'.,-]+$/u, '');
  if (info.words.has(word.toLowerCase())) return false;
  if (info.type === 'number') return /\d/.test(word) || NUMBER_WORD.test(word);
  if (info.type === 'date') return MONTH_OR_DAY.test(word) || /^(19|20)\d\d$/.test(word);
  if (info.type === 'name') return !first && /^\p{Lu}[\p{L}'’-]+$/u.test(word) && !MONTH_OR_DAY.test(word);
  return false;
}

function near(sentence: string, plan: QueryPlan, wanted: ReadonlySet<number>, info: QuestionInfo, within: number): boolean {
  const words = sentence.match(WORD) ?? [];
  const answers: number[] = [];
  const matched: number[] = [];
  words.forEach((raw, i) => {
    if (freshAnswerWord(raw, i === 0, info)) answers.push(i);
    const token = tokenize(raw)[0];
    const term = token === undefined ? null : processTerm(token);
    if (term !== null && (plan.conceptOf.get(term) ?? []).some((c) => wanted.has(c))) matched.push(i);
  });
  return answers.some((a) => matched.some((m) => m !== a && Math.abs(m - a) <= within));
}

function focusConcept(plan: QueryPlan): number | undefined {
  const m = /\b(?:how (?:many|much)|which|whose|what(?:'s|’s| is| was| were| are)?)\s+(.+)$/.exec(plan.question.toLowerCase());
  if (!m) return undefined;
  for (const token of tokenize(m[1]!).slice(0, 4)) {
    if (NOT_FOCUS.has(token)) continue;
    const term = processTerm(token);
    if (term === null) continue;
    const i = plan.concepts.findIndex((c) => c.term === term);
    return i >= 0 ? i : undefined;
  }
  return undefined;
}

const DAY_QUESTION = /\b(what|which|on what) (date|day)\b/i;
const DAY_DATE = /\b(jan(uary)?|feb(ruary)?|march|april|may|june|july|aug(ust)?|sept?(ember)?|oct(ober)?|nov(ember)?|dec(ember)?)\.?\s+\d{1,2}\b|\b\d{1,2}(st|nd|rd|th)?\s+(of\s+)?(jan(uary)?|feb(ruary)?|march|april|may|june|july|aug(ust)?|sept?(ember)?|oct(ober)?|nov(ember)?|dec(ember)?)\b|\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b/i;
const ANY_DATE = /\b(jan(uary)?|feb(ruary)?|march|april|june|july|aug(ust)?|sept?(ember)?|oct(ober)?|nov(ember)?|dec(ember)?|monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|last (week|month|year))\b|\b(19|20)\d\d\b/i;

/** The candidates' values for the top answer; `scores` are the ranker's scores in the same order. */
export function candidateEvidence(info: QuestionInfo, ranked: readonly RankedEvidence[], scores: readonly number[]): Record<CandidateFeature, number> {
  const { plan } = info;
  const concepts = plan.concepts;
  const total = concepts.reduce((s, c) => s + c.weight, 0) || 1;
  const top = ranked[0]!;
  const others = nextArticles(ranked);
  const titleHits = conceptHits(plan, new Set(analyze(top.title)));
  const passageHits = conceptHits(plan, new Set(analyze(`${top.title}\n${top.text}`)));
  const otherHits = others.map((o) => conceptHits(plan, new Set(analyze(`${o.title}\n${o.text}`))));
  const topic = concepts.map((_, i) => matchOf(titleHits[i]!) > 0 || (others.length > 0 && otherHits.filter((h) => matchOf(h[i]!) > 0).length * 2 >= others.length));
  const detail = concepts.map((_, i) => i).filter((i) => !topic[i]);
  const detailWeight = detail.reduce((s, i) => s + concepts[i]!.weight, 0);
  const detailShare = (hits: ConceptHit[]): number => (detailWeight ? detail.reduce((s, i) => s + concepts[i]!.weight * matchOf(hits[i]!), 0) / detailWeight : 1);

  const sentences = splitSentences(top.text);
  const sentenceHits = sentences.map((s) => conceptHits(plan, new Set(analyze(s.text))));
  const cover = sentenceHits.map((h) => h.reduce((s, x, i) => s + concepts[i]!.weight * matchOf(x), 0));
  const best = cover.length ? cover.indexOf(Math.max(...cover)) : -1;
  const windowIdx = best < 0 ? [] : [best - 1, best, best + 1].filter((j) => j >= 0 && j < sentences.length);
  const windowHits: ConceptHit[] = concepts.map((_, i) => ({
    own: windowIdx.some((j) => sentenceHits[j]![i]!.own),
    alt: Math.max(0, ...windowIdx.map((j) => sentenceHits[j]![i]!.alt)),
    variant: Math.max(0, ...windowIdx.map((j) => sentenceHits[j]![i]!.variant)),
    corpus: Math.max(0, ...windowIdx.map((j) => sentenceHits[j]![i]!.corpus)),
  }));

  let detailMissing = 0;
  for (const i of detail) if (matchOf(passageHits[i]!) === 0) detailMissing = Math.max(detailMissing, concepts[i]!.weight / total);
  const wanted = new Set(detail.length ? detail : concepts.map((_, i) => i));
  const typeNear = !info.type || sentences.some((s) => near(s.text, plan, wanted, info, 6));
  const focus = focusConcept(plan);
  const focusNear = !info.type || focus === undefined ? typeNear : sentences.some((s) => near(s.text, plan, new Set([focus]), info, 4));
  let matched = 0;
  let viaWordnet = 0;
  concepts.forEach((c, i) => {
    const h = passageHits[i]!;
    matched += c.weight * matchOf(h);
    if (!h.own && h.alt > 0 && h.alt >= h.variant) viaWordnet += c.weight * matchOf(h);
  });
  const topDetail = detailShare(passageHits);
  const future = PAST_QUESTION.test(plan.question) && windowIdx.length > 0 && windowIdx.every((j) => FUTURE.test(sentences[j]!.text));
  return {
    detailCover: detailShare(windowHits),
    detailPassage: topDetail,
    detailMissing,
    typeNear: typeNear ? 1 : 0,
    focusNear: focusNear ? 1 : 0,
    margin: scores.length > 1 ? 1 - Math.exp(-Math.max(0, scores[0]! - scores[1]!)) : 1,
    wordnetShare: matched ? viaWordnet / matched : 0,
    agreement: others.length ? otherHits.filter((h) => detailShare(h) >= topDetail - 1e-9).length / others.length : 0,
    futureOnly: future ? 1 : 0,
    dateForm: info.type !== 'date' ? 1 : DAY_QUESTION.test(plan.question) ? (DAY_DATE.test(top.text) ? 1 : 0) : ANY_DATE.test(top.text) ? 1 : 0,
    unitTop3: Math.max(...ranked.slice(0, 3).map((r) => unitNear(info, r.text))),
    unitArticle: Math.max(...ranked.filter((r) => r.articleId === top.articleId).map((r) => unitNear(info, r.text))),
    yearAfter: yearAfter(info, top.date),
    nameNear: nameNear(info, ranked.slice(0, 3)),
  };
}

/** Words that mark a question about what will happen, not what did. */
const FUTURE_QUESTION = /\b(will|would|going to|gonna|plans?|planned|expected|scheduled|due|set to|forecast|predict\w*)\b/i;

/** 1 when the question asks (not in the future tense) about a year after the top article was published. */
function yearAfter(info: QuestionInfo, date: string | undefined): number {
  if (!date || info.years.length === 0 || FUTURE_QUESTION.test(info.plan.question)) return 0;
  const published = Number(date.slice(0, 4));
  return info.years.some((y) => Number(y) > published) ? 1 : 0;
}

const ROLE_QUESTION = /\b(?:name of (?:the |that |this |a |an )?|who (?:was|is|were) (?:the |that )|which )(\w[\w-]*)(?:\s+(\w[\w-]*))?/i;

/** "what's the name of the driver", "who was the pilot": a fresh capitalised name within 3 words of a word for that role. */
function nameNear(info: QuestionInfo, ranked: readonly RankedEvidence[]): number {
  const m = ROLE_QUESTION.exec(info.plan.question);
  if (!m) return 1;
  const roles = [m[1], m[2]].filter((w): w is string => w !== undefined).map((w) => processTerm(w.toLowerCase())).filter((t): t is string => t !== null);
  if (roles.length === 0) return 1;
  const wanted = new Set(roles.flatMap((t) => info.plan.conceptOf.get(t) ?? []));
  for (const r of ranked) {
    for (const s of splitSentences(r.text)) {
      const words = s.text.match(WORD) ?? [];
      const names: number[] = [];
      const hits: number[] = [];
      words.forEach((raw, i) => {
        const word = raw.replace(/[’'.,-]+$/u, '');
        if (i > 0 && /^\p{Lu}[\p{L}'’-]+$/u.test(word) && !info.words.has(word.toLowerCase()) && !MONTH_OR_DAY.test(word)) names.push(i);
        const token = tokenize(raw)[0];
        const term = token === undefined ? null : processTerm(token);
        if (term !== null && (roles.includes(term) || (plan(info).conceptOf.get(term) ?? []).some((c) => wanted.has(c)))) hits.push(i);
      });
      if (names.some((n) => hits.some((h) => h !== n && Math.abs(h - n) <= 3))) return 1;
    }
  }
  return 0;
}
const plan = (info: QuestionInfo): QueryPlan => info.plan;
