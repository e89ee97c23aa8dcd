import { analyze } from '../text/analyze.js';
import type { Answer, FollowUpInfo } from '../types.js';
import type { Concept, QueryPlan } from './query.js';

/**
 * Follow-up questions ("and when did that happen?", "what about Mykolaiv?"): the earlier questions'
 * key terms join the follow-up's query at a lower weight, unless the follow-up is a complete
 * question of its own (then it is answered alone, and may start a new topic). The searcher plans
 * every question the same way (planQuery) and hands the plans in here. The rule, in order:
 * 1. nothing to carry (every earlier word is already in the follow-up): answer it alone;
 * 2. it may stand alone (`mayStandAlone`) and, asked alone, gets a strong match: that answer, and
 *    a new topic if it shares nothing with the earlier questions (`topicChanged`);
 * 3. otherwise the earlier questions' words are added at a lower weight (`withContext`); should
 *    that be refused while the follow-up alone is answered, the answer alone is given.
 */

/** The newest earlier question's words weigh half as much as the follow-up's own words… */
export const CONTEXT_SHARE = 0.5;
/** …and each older one this much less again (a chain fades instead of piling up). */
const DECAY = 0.6;
/** Earlier questions looked at, newest first. */
export const MAX_CONTEXT = 3;
/**
 * Results of the follow-up alone checked for the earlier questions' words: the best one, where its
 * answer is (the weaker ones under it match a few words of anything, more so in a small corpus).
 */
const CHECKED_RESULTS = 1;

export interface Carried {
  /** Concepts of the earlier questions to add, weights already reduced by `share`. */
  concepts: Array<Concept & { share: number }>;
  /** The earlier questions that gave at least one concept, newest first. */
  used: string[];
  /** Every content term of the earlier questions (before any was skipped). */
  earlierTerms: Set<string>;
  /** The follow-up uses a word of an earlier question: it is about the same thing. */
  sharesTerm: boolean;
}

/**
 * What the earlier questions (their plans, newest first) add to the follow-up's plan: their concepts
 * the follow-up does not already have (stop words never reach a plan), that the corpus has at all,
 * each at CONTEXT_SHARE × DECAY^age of its weight. When the follow-up names its own subject (a name
 * the corpus has), the earlier names are left out: "what about Mykolaiv?" asks the earlier question
 * about Mykolaiv instead of Kherson, not about both.
 */
export function carryContext(own: QueryPlan, earlier: ReadonlyArray<QueryPlan>): Carried {
  const ownTerms = new Set(own.concepts.map((c) => c.term));
  const ownSubject = own.concepts.some((c) => c.name && !c.absent);
  const earlierTerms = new Set(earlier.flatMap((p) => p.concepts.map((c) => c.term)));
  const taken = new Set(ownTerms);
  const concepts: Carried['concepts'] = [];
  const used: string[] = [];
  earlier.slice(0, MAX_CONTEXT).forEach((plan, age) => {
    const share = CONTEXT_SHARE * DECAY ** age;
    let gave = false;
    for (const c of plan.concepts) {
      if (taken.has(c.term) || c.absent || (ownSubject && c.name)) continue;
      taken.add(c.term);
      gave = true;
      concepts.push({
        term: c.term,
        weight: c.weight * share,
        // Its own spellings and places still count; WordNet synonyms of context words would only add noise.
        alternatives: c.alternatives.filter((a) => a.kind !== 'wordnet' && !taken.has(a.term)).map((a) => ({ ...a, share: a.share * share })),
        name: c.name,
        absent: false,
        df: c.df,
        share,
      });
    }
    if (gave) used.push(plan.question);
  });
  return { concepts, used, earlierTerms, sharesTerm: [...ownTerms].some((t) => earlierTerms.has(t)) };
}

/**
 * Words that point back at what was said before ("when did *that* happen?", "what did *he* say?"),
 * and openings that continue it ("*and* …", "*what about* …"). Stop words never reach a plan, so
 * they are looked for in the question's text. "There" and "this" are sometimes not anaphora ("is
 * there…", "this week"): then the context is kept at its lower weight, which costs little.
 */
const POINTS_BACK = /\b(?:it|its|that|this|these|those|they|them|their|there|then|he|him|his|she|her|same)\b/i;
const CONTINUES = /^\W*(?:and|also|so|but|or|plus|what about|how about)\b/i;

export function refersBack(question: string): boolean {
  return POINTS_BACK.test(question) || CONTINUES.test(question);
}

/** Content words (not names) a question needs to ask something by itself: "How many died?" has one. */
const OWN_WORDS = 2;

/**
 * Whether the follow-up may stand on its own, so it is first asked alone: it does not point back
 * (`refersBack`) and asks something itself, with at least OWN_WORDS content words the corpus has
 * that are not names ("what about Mykolaiv?" only swaps the subject and asks the earlier question
 * again; "how many died?" is too short to say about what).
 */
export function mayStandAlone(own: QueryPlan): boolean {
  return !refersBack(own.question) && own.concepts.filter((c) => !c.name && !c.absent).length >= OWN_WORDS;
}

/**
 * Whether the follow-up, asked alone, needs no context: it may stand alone and is answered with a
 * strong match. The earlier questions' words, counted in the confidence too, would then only pull
 * the answer toward the earlier question (on news-2022, "how many people were still living in
 * Kherson when Zelensky visited" after "What did Saldo urge Kherson residents to do?" was refused
 * with them and answered strongly without).
 */
export function answeredAlone(own: QueryPlan, alone: Answer): boolean {
  return mayStandAlone(own) && !alone.abstained && !alone.lowConfidence && alone.confidence?.strong === true;
}

/**
 * Whether a follow-up answered alone also changed topic (its thread's chain then starts again from
 * it): it shares no word with the earlier questions and its best passage uses none of their words
 * either (the earlier topic is not where its answer is).
 */
export function topicChanged(carried: Carried, alone: Answer): boolean {
  if (carried.sharesTerm) return false;
  return alone.results.slice(0, CHECKED_RESULTS).every((r) => !analyze(`${r.title} ${r.passage}`).some((t) => carried.earlierTerms.has(t)));
}

/** The follow-up's plan with the carried concepts added (as QueryPlan's own fields expect them). */
export function withContext(plan: QueryPlan, carried: Carried): QueryPlan {
  if (carried.concepts.length === 0) return plan;
  const concepts = [...plan.concepts, ...carried.concepts];
  const boosts = new Map(plan.boosts);
  const termWeights = new Map(plan.termWeights);
  const conceptOf = new Map([...plan.conceptOf].map(([t, list]) => [t, [...list]]));
  const base = plan.concepts.length;
  carried.concepts.forEach((c, j) => {
    // A carried concept's weight is its idf × share, and its keyword boost the share, as for alternatives.
    const terms: Array<[string, number, number]> = [[c.term, c.share, c.weight], ...c.alternatives.map((a): [string, number, number] => [a.term, a.share, (a.share / c.share) * c.weight])];
    for (const [term, s, w] of terms) {
      boosts.set(term, Math.max(boosts.get(term) ?? 0, s));
      termWeights.set(term, Math.max(termWeights.get(term) ?? 0, w));
      conceptOf.set(term, [...(conceptOf.get(term) ?? []), base + j]);
    }
  });
  return { ...plan, concepts, boosts, termWeights, conceptOf, carried: carried.concepts.length };
}

/** What the answer says about the context: carried over, or not used (and whether the topic changed). */
export function followUpInfo(carried: Carried, how: 'carried' | 'not needed' | 'new topic'): FollowUpInfo {
  if (how === 'carried') return { used: carried.used, terms: carried.concepts.map((c) => c.term), topicChange: false };
  return { used: [], terms: [], topicChange: how === 'new topic' };
}
