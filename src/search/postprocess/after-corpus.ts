import { impliedDates, spanAfterIndex } from '../time-words.js';

/**
 * Questions about what happened after the corpus ends: "who won the 2024 election" over news that
 * stops in 2022. No article can report it, however well one matches the topic (it may even speak of
 * "the 2024 election" as a future event), so the search refuses it and says why.
 */

/** A year the question names as a horizon or a subject rather than as when something happened ("after 2024", "forecast for 2023"). */
const HORIZON = /\b(after|by|until|till|before|beyond|through|from|since|past|to|for|about)\s+((?:early|mid|late|the end of)\s+)?$/i;
/** Asking about what will happen: an article may well speak of it. */
const FUTURE = /\b(will|would|going to|gonna|plans?|planned|planning|expected|expects?|scheduled|due|set to|forecasts?|predict\w*|upcoming|next)\b/i;
/** Asking about what did happen (a past auxiliary, a regular past tense, or a common irregular one). */
const PAST =
  /\b(did|didn'?t|was|wasn'?t|were|weren'?t|had|has been|have been|\w{3,}ed|won|lost|got|took|made|became|said|died|told|bought|sold|went|came|left|met|paid|spent|held|gave|ran|began|fell|rose|struck|shot|chose|beat|saw|wrote|hit|happened|ended)\b/i;

/**
 * A year that names what someone aims at, said before it comes: "a 2024 White House bid", "the 2025
 * budget", "2030 targets" (announcing a bid in 2022 is news of 2022).
 */
const PROSPECT = /^\s+(?:[\w'’-]+\s+){0,2}?(bids?|campaigns?|candidacy|runs?|budgets?|plans?|targets?|goals?|deadlines?|forecasts?|outlook|strategy|ambitions?|pledges?|agenda|ticket)\b/i;
const MONTH = '(?:january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)';
/** The time of what is asked ("… in 2025", "as of march 2024"): a state then is as unknowable as an event. */
const WHEN = new RegExp(`\\b(?:in|as of|during)\\s+(?:(?:early|mid|late|the end of|${MONTH})\\s+)?$`, 'i');

/** A month right before the year: "the march 2023 budget". */
const MONTH_BEFORE = new RegExp(`\\b${MONTH}\\s+$`, 'i');
const NEWS_OF = /\b(?:news|articles?|stories|reports?|headlines|updates?|coverage)\s+(?:from|of|in|about)\s+(?:(?:early|mid|late)\s+)?$/i;

/**
 * The year, later than the newest article's, that the question asks about: in the past tense, or as
 * the time of what it asks ("who leads the party in 2025"); undefined when it names none (or only as a
 * horizon or an aim, or asks about plans), or when no article is dated.
 */
export function yearAfterCorpus(question: string, newestDate: string | undefined): number | undefined {
  if (!newestDate) return undefined;
  const newest = Number(newestDate.slice(0, 4));
  if (!Number.isFinite(newest) || FUTURE.test(question)) return undefined;
  const past = PAST.test(question);
  for (const m of question.matchAll(/\b(19|20)\d\d\b/g)) {
    const year = Number(m[0]);
    if (year <= newest) continue;
    const before = question.slice(0, m.index);
    // "the march 2023 budget" is dated: an event of 2023, not an aim.
    const dated = MONTH_BEFORE.test(before);
    // "news from 2025" asks for articles of that year, not for a horizon.
    const newsOf = NEWS_OF.test(before);
    if ((HORIZON.test(before) && !newsOf) || (!dated && PROSPECT.test(question.slice(m.index + m[0].length)))) continue;
    if (past || newsOf || WHEN.test(before)) return year;
  }
  return undefined;
}

/**
 * The days, week, month and year a question names from the asker's today ("yesterday", "this week",
 * "this year"), as opposed to "recently", "the latest" or "last month", which over an archive fairly
 * mean its newest articles.
 */
const NOW_SPAN = /^(?:yesterday|last night|today|this morning|this afternoon|this evening|tonight|(?:so far |earlier )?this (?:week|month|year)|this weekend)$/i;

/**
 * The phrase of a question asking about yesterday, today or this week when every article is older
 * than that by more than its year ("what was the score yesterday" over news of 2022, asked in 2026):
 * no article can report it. Undefined when the question names no such day or week, or the index may
 * hold one (a month- or year-only date reaches to the end of its year, as in `spanAfterIndex`).
 */
export function spanAfterCorpus(question: string, today: string | undefined, newestDate: string | undefined): string | undefined {
  if (!today || !newestDate) return undefined;
  const span = impliedDates(question, today);
  return span && NOW_SPAN.test(span.phrase) && spanAfterIndex(span, newestDate) ? span.phrase.toLowerCase() : undefined;
}
