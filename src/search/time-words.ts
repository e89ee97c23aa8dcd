/**
 * Dates a question implies by its time words, counted back from the asker's today: "what did the
 * minister say this week" means articles of the last seven days, not the best match of any year.
 * "Recently" and "latest" reach back a month; a question with no time words is not touched.
 */

import type { ImpliedDates } from '../types.js';

const DAY_MS = 86_400_000;

/** Days since New Year's Day of `end`'s year. */
const sinceNewYear = (end: number): number => Math.round((end - Date.UTC(new Date(end).getUTCFullYear(), 0, 1)) / DAY_MS);

/** Days back from today that each phrase reaches (a day of slack for time zones and late edits). */
const SPANS: Array<[RegExp, number | ((end: number) => number)]> = [
  [/\b(?:yesterday|last night)\b/i, 2],
  [/\b(?:today|this morning|this afternoon|this evening|tonight)\b/i, 1],
  [/\b(?:(?:so far |earlier )?this week|past (?:few|couple of) days|past week|over the weekend|this weekend|last weekend|on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b/i, 8],
  [/\blast week\b/i, 15],
  [/\b(?:recently|lately|latest|newly)\b/i, 31],
  [/\b(?:this month|past month)\b/i, 32],
  [/\blast month\b/i, 63],
  // The calendar year so far: "who won the final this year" asked in 2026 means 2026.
  [/\b(?:so far |earlier )?this year\b/i, (end) => sinceNewYear(end) + 1],
];
const iso = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The span the question's time words imply, ending on `today` (an ISO date); none: undefined. */
export function impliedDates(question: string, today: string): ImpliedDates | undefined {
  const end = Date.parse(`${today.slice(0, 10)}T00:00:00Z`);
  if (!Number.isFinite(end)) return undefined;
  for (const [pattern, days] of SPANS) {
    const m = pattern.exec(question);
    if (m) return { after: iso(end - (typeof days === 'number' ? days : days(end)) * DAY_MS), before: iso(end + DAY_MS), phrase: m[0] };
  }
  return undefined;
}

/**
 * Whether an index whose newest article is dated `newestDate` cannot hold an article of the implied
 * span: the span starts after the end of that article's year (no article's date, even a month- or
 * year-only one, reaches past the end of the newest article's year). Such a span is not searched:
 * a search filtered to nothing scores every match of the question's words before finding none.
 */
export function spanAfterIndex(implied: Pick<ImpliedDates, 'after'>, newestDate: string | undefined): boolean {
  const year = newestDate?.match(/^\d{4}/)?.[0];
  return year !== undefined && implied.after > `${year}-12-31`;
}
