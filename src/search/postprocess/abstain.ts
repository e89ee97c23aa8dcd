import { analyze } from '../../text/analyze.js';
import { withoutFraming } from '../framing.js';
import { chanceMatches, coverage, type QueryPlan } from '../query.js';
import { confidenceInputs } from '../ranker/confidence-inputs.js';
import { chatKind } from '../ranker/chat.js';
import { everydayModel } from '../ranker/everyday.js';
import { asksAdvice, TOPIC_POOL } from '../ranker/evidence.js';
import { questionInfo } from '../ranker/question.js';
import { MIN_PHRASE_PASSAGES, MIN_TOPICALITY, PHRASE_POOL, phraseEvidence, topicEvidence } from '../ranker/topic.js';
import type { Ranker } from '../ranker/model.js';
import type { ChatKind, Confidence } from '../../types.js';
import type { PostProcessor, Walk } from '../walk.js';
import { spanAfterCorpus, yearAfterCorpus } from './after-corpus.js';
import { quoteFor } from './quote-step.js';

/** The latest of some article dates (ISO, possibly month- or year-only), or undefined when none is dated. */
export function newestOf(dates: ReadonlyArray<string | undefined>): string | undefined {
  let newest: string | undefined;
  for (const d of dates) if (d && (!newest || d > newest)) newest = d;
  return newest;
}

/** Cosine similarity of two unit vectors. */
export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot;
}

/**
 * A floor under the learned confidence: a top passage (with its title) that covers less than this
 * share of the question's weighted words does not answer it, whatever the model says. The model
 * learns from news-2022, where off-topic questions are few; in a small corpus most words of an
 * off-topic question are simply absent. Chosen on the train split (≤ 2% of answerable questions
 * fall below it).
 */
export const MIN_COVERAGE = 0.3;

/**
 * The floor for questions asking for advice or a how-to ("how do i…", "best … for"), which news
 * rarely answers: twice the general floor. Every such question of the training set is off-topic;
 * a news passage that does answer one ("how do i apply for the visa scheme") covers most of it.
 */
export const MIN_COVERAGE_ADVICE = 0.6;

/**
 * A match is called strong only when the question names at least this many words the corpus uses
 * (earlier questions' words count in a follow-up). Every passage holding a lone word ("source?",
 * "halt", "kherson") covers all of the question, so the model's confidence, read from coverage, says
 * nothing there about which passage answers; and in an ask channel, where only strong matches are
 * answered unasked, a one-word remark is conversation, not a question to the archive.
 */
export const STRONG_MIN_WORDS = 2;

/**
 * A match on two words is strong only when one of them is distinctly the corpus's own (the bar chat
 * must clear too): "gas prices", "call justin", "define discretionary" are as often chat as a query,
 * and an ask channel answers strong matches unasked. Chosen on the train splits (everyday requests
 * answered as strong 45 → 31 of 4,470; no answerable question of ours or RealtimeQA's lost its
 * strong match), checked on dev (9 → 6 of 745, none lost): BENCHMARKS.md, session 16.
 */
export const STRONG_PLAIN_WORDS = 3;

/**
 * A match is strong only when the words the best passage shares with the question would meet in
 * fewer than this many passages of the index by chance (`chanceMatches`): "what time does the store
 * close on sundays" finds all four words in a report of shelling on a Sunday, and a confident
 * probability read from coverage cannot tell that from an answer. Such a match is still shown.
 */
export const STRONG_MAX_CHANCE = 0.1;

/** Why a confident match is only partial, and what to do about it (the CLI and the bot say it). */
export function partialReason(c: Pick<Confidence, 'fewWords' | 'plainWords' | 'commonWords' | 'chat'> | undefined): string | undefined {
  if (c?.fewWords) return 'one word matched, which every one of these passages holds; a few more words narrow it down';
  if (c?.plainWords) return 'two everyday words matched; a few more words narrow it down';
  if (c?.commonWords) return 'the words matched are common enough to meet in some passage by chance; a few more words narrow it down';
  if (c?.chat) return 'this reads like a personal or everyday request more than a question about the news';
  return undefined;
}

/** How many of the question's words (and carried-over ones) occur in the corpus. */
function wordsFound(plan: Pick<QueryPlan, 'concepts'>): number {
  return plan.concepts.filter((c) => c.df > 0).length;
}

type RuleInputs = Pick<Confidence, 'coverage' | 'advice' | 'afterCorpus' | 'topic' | 'chat'> & { confident?: boolean };

/**
 * Chat addressed to the bot (a greeting, a question about the bot, a request to write, translate or
 * order something) is never a question about the news, whatever passage its words find. Personal
 * advice, tonight's and tomorrow's events and everyday know-how are answered only from a strong match
 * on a word of the corpus's own topics; an everyday request the learned model names, only when it
 * names such a word.
 */
export const CHAT_ALWAYS_REFUSED: ReadonlySet<ChatKind> = new Set(['social', 'bot', 'request']);

/**
 * A personal or how-to question answered from a strong match must also name one of the corpus's own
 * words (a place, a name, its subject's vocabulary): "how do i get better at public speaking" can
 * match a passage well on everyday words alone. Two points of topicality (about 7× the use) above
 * the off-topic floor.
 */
export const CHAT_MIN_TOPICALITY = MIN_TOPICALITY + 2;

/**
 * The kind of chat a message is: the rules name its common shapes, the learned model the long tail of
 * everyday wording. The model learned from messages that stand alone; a follow-up in a conversation
 * ("is it open again?") is short and leans on the question before it, so only the rules judge it.
 */
export function chatOf(message: string, followUp = false): ChatKind | undefined {
  return chatKind(message) ?? (!followUp && everydayModel().isEveryday(modelText(message)) ? 'everyday' : undefined);
}

/**
 * What the everyday model reads: a question wrapped in a request to know ("could u tell me who…",
 * "i'd like to know when…") is read from its question word on. Everyday requests open that way so often
 * (CLINC's) that the model learned the wrapping as everyday wording; a request for a thing ("can you
 * tell me the calories in…") keeps it.
 */
function modelText(message: string): string {
  const framed = withoutFraming(message);
  return WH_START.test(framed) ? framed : message;
}
const WH_START = /^\s*(?:who|whom|whose|what|which|when|where|why|how|whether|if)\b/;

export function refusedAsChat(c: Pick<Confidence, 'chat' | 'topic'> & { confident?: boolean }): boolean {
  if (c.chat === undefined) return false;
  // Everyday wording alone is no refusal: one naming the corpus's own subject ("how long will the
  // evacuation last") is a question for the confidence model like any other, strong match or not.
  if (c.chat === 'everyday') return c.topic === undefined || c.topic.topicality < CHAT_MIN_TOPICALITY;
  if (CHAT_ALWAYS_REFUSED.has(c.chat) || !c.confident) return true;
  return c.topic !== undefined && c.topic.topicality < CHAT_MIN_TOPICALITY;
}

const CHAT_REASONS: Record<ChatKind, string> = {
  social: 'I search and quote the news articles in this index: ask about an event, a person or a place they cover.',
  bot: 'I search and quote the news articles in this index; I have no opinions or life of my own to tell about. Ask about an event, a person or a place they cover.',
  request: 'I can only find and quote news articles; I cannot write, translate, convert, book or order anything.',
  personal: 'This looks like a question about your own plans or life; the index holds news articles, and none matches it closely.',
  now: 'This asks about today, tonight or tomorrow; the index holds news articles already published, and none matches it closely.',
  advice: 'This looks like a request for advice or a how-to; the index holds news articles, and none matches it closely.',
  everyday: 'This reads like an everyday request (an account, a trip, a recipe, a setting) and names nothing these news articles are about; ask about an event, a person or a place they cover.',
};

/**
 * Not one of the question's words is a word of the corpus's topics, nor any two of them a phrase
 * the best passages use (ranker/topic.ts).
 */
export function offTopic(c: Pick<Confidence, 'topic'>): boolean {
  return c.topic !== undefined && c.topic.topicality < MIN_TOPICALITY && (c.topic.phrase?.passages ?? 0) < MIN_PHRASE_PASSAGES;
}

/**
 * Refused whatever the model's probability: below the coverage floor (the higher one for advice
 * questions), asking about a year after the corpus ends, or off the corpus's topics.
 */
export function refusedByRule(c: RuleInputs | undefined): boolean {
  if (!c) return true;
  return c.coverage < (c.advice ? MIN_COVERAGE_ADVICE : MIN_COVERAGE) || c.afterCorpus !== undefined || offTopic(c) || refusedAsChat(c);
}

/**
 * Why a refusal happened, in words a reply can show, when a rule made it and the asker can act on
 * it; undefined when the passages simply did not answer the question.
 */
export function refusalReason(c: RuleInputs | undefined): string | undefined {
  if (c?.afterCorpus) {
    const { newestDate, ofMatches, phrase, year } = c.afterCorpus;
    const dated = ofMatches ? `The articles that match this question are dated ${newestDate} or earlier` : `The newest article in the index is dated ${newestDate}`;
    return `${dated}, so none can report what happened ${phrase ?? `in ${year}`}.`;
  }
  if (c && refusedAsChat(c)) return CHAT_REASONS[c.chat!];
  if (c && offTopic(c)) {
    const words = c.topic!.words.slice(0, 6).join(', ');
    return `None of this question's words${words ? ` (${words})` : ''} is one these news articles use more than everyday English does: it looks like a question about something else.`;
  }
  if (c?.advice && c.coverage < MIN_COVERAGE_ADVICE && c.coverage >= MIN_COVERAGE) return 'This looks like a request for advice or a how-to; the index holds news articles, and none matches it closely.';
  if (c && c.coverage < MIN_COVERAGE) return `The closest passage holds only ${Math.round(c.coverage * 100)} % of what this question's words weigh.`;
  return undefined;
}

/**
 * Judges the answer: the trained confidence model's probability that the top passage holds what
 * was asked, from the ranker's features of that passage and its lead over the runner-up; abstains
 * below `minConfidence` (the threshold chosen on the dev questions, unless overridden). Coverage
 * figures are kept for reports.
 */
export function abstainStep(ranker: Ranker, minConfidence: number | undefined, newestDate: () => string | undefined): PostProcessor {
  const threshold = minConfidence ?? ranker.threshold;
  return {
    name: 'abstain',
    async run(walk: Walk): Promise<void> {
      const best = walk.ranked[0];
      if (!best) {
        walk.abstained = true;
        return;
      }
      walk.info ??= questionInfo(walk.plan);
      const info = walk.info;
      const ranked = (walk.reranked ?? walk.ranked).map((c) => ({ text: c.text, title: c.passage.article.title, articleId: c.articleId }));
      const x = confidenceInputs(info, { features: best.features?.values, similarity: best.similarity ?? 0, text: best.text }, ranked);
      const probability = ranker.confidence.probability(x);
      const title = best.passage.article.title;
      const round = (v: number): number => Math.round(v * 1000) / 1000;
      const quote = quoteFor(best, walk.plan).text;
      const found = wordsFound(walk.plan);
      const fewWords = found < STRONG_MIN_WORDS;
      const topic = topicEvidence(walk.plan);
      const plainWords = !fewWords && found < STRONG_PLAIN_WORDS && topic.topicality < CHAT_MIN_TOPICALITY;
      const present = new Set(analyze(`${title}\n${best.text}`));
      // Set only where it is what keeps a confident match from being strong (the reply says so).
      const commonWords = probability >= ranker.strong && !fewWords && !plainWords && chanceMatches(walk.plan, present) > STRONG_MAX_CHANCE;
      walk.confidence = {
        probability: round(probability),
        confident: probability >= ranker.strong && !fewWords && !plainWords && !commonWords,
        strong: false,
        ...(fewWords ? { fewWords: true as const } : {}),
        ...(plainWords ? { plainWords: true as const } : {}),
        ...(commonWords ? { commonWords: true as const } : {}),
        features: x,
        coverage: round(coverage(walk.plan, present)),
        quoteCoverage: round(coverage(walk.plan, new Set(analyze(`${title}\n${quote}`)))),
        similarity: best.similarity,
      };
      walk.confidence.topic = topic;
      if (topic.topicality < MIN_TOPICALITY) {
        // Only then can a phrase change anything (offTopic), so only then are the passages read again.
        const top = (walk.reranked ?? walk.ranked).slice(0, PHRASE_POOL);
        const pair = phraseEvidence(walk.question, top.map((c) => `${c.passage.article.title}\n${c.text}`));
        if (pair) topic.phrase = pair;
      }
      if (asksAdvice(walk.question)) walk.confidence.advice = true;
      const chat = chatOf(walk.question, (walk.plan.carried ?? 0) > 0);
      if (chat) walk.confidence.chat = chat;
      const newest = newestDate();
      const year = yearAfterCorpus(walk.question, newest);
      const phrase = spanAfterCorpus(walk.question, walk.asOf, newest);
      if (year !== undefined && newest) walk.confidence.afterCorpus = { year, newestDate: newest };
      else if (phrase !== undefined && newest) walk.confidence.afterCorpus = { phrase, newestDate: newest };
      else {
        // The index may hold a stray later article; the articles that match must be as late as the year asked.
        const matchedNewest = newestOf((walk.reranked ?? walk.ranked).slice(0, TOPIC_POOL).map((c) => c.passage.article.date));
        const matchedYear = yearAfterCorpus(walk.question, matchedNewest);
        if (matchedYear !== undefined && matchedNewest) walk.confidence.afterCorpus = { year: matchedYear, newestDate: matchedNewest, ofMatches: true };
      }
      const ruled = refusedByRule(walk.confidence);
      // A rule's refusal is never shown as a strong match (the reply says why instead); nor is chat
      // the rules let through ("how would i get to city hall via bus" over local news): /ask answers
      // it, an ask channel does not reply to it unasked.
      walk.confidence.strong = walk.confidence.confident && !ruled && !walk.confidence.chat;
      walk.abstained = probability < threshold || ruled;
      walk.lap('abstain');
    },
  };
}
