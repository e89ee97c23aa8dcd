/** Checks of what users type, each failure a message saying what to do instead. */

export const MAX_QUESTION_LENGTH = 500;

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Mentions, channel links, custom emoji and slash-command mentions are Discord syntax, not words to
 * search for (an emoji's name and id would otherwise be searched as words).
 */
const DISCORD_SYNTAX = /<(?:@[!&]?|#)\d+>|<a?:\w+:\d+>|<\/[\w -]+:\d+>|@(?:everyone|here)\b/g;
/**
 * A Discord timestamp (`<t:1667260800:D>`) in a style members see as a date: searched as that date, in
 * words (UTC; a member far from it may see the day before or after). Times and "3 days ago" (t, T, R) are dropped.
 */
const TIMESTAMP = /<t:(-?\d{1,12})(?::([tTdDfFR]))?>/g;
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

function timestampWords(_: string, seconds: string, style: string | undefined): string {
  const d = new Date(Number(seconds) * 1000);
  if (Number.isNaN(d.getTime()) || (style !== undefined && 'tTR'.includes(style))) return ' ';
  return ` ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} `;
}

/**
 * Characters that show nothing: zero-width spaces and joiners, word joiners, byte-order marks,
 * direction marks (format characters), control characters, Hangul fillers and the grapheme joiner.
 */
const INVISIBLE = /[\p{Cf}\p{Cc}\u115F\u1160\u3164\uFFA0]|\u034F/gu;

/** The words of a question or claim that go to the search. */
export function searchText(text: string): string {
  return text.replace(DISCORD_SYNTAX, ' ').replace(TIMESTAMP, timestampWords).replace(/\s+/g, ' ').replace(INVISIBLE, '').trim();
}

/** Whether there is anything to search for: a letter or digit outside mentions (not only emoji or symbols). */
export function hasWords(text: string): boolean {
  return /[\p{L}\p{N}]/u.test(searchText(text));
}

/** A question or claim: not empty or invisible, not only mentions, emoji or symbols, at most 500 characters. */
export function checkText(raw: string | null | undefined, what: 'question' | 'claim'): Checked<string> {
  const value = (raw ?? '').replace(/\s+/g, ' ').replace(INVISIBLE, '').trim();
  if (!value) return { ok: false, error: `Your ${what} is empty. Type a few words, e.g. \`/ask question: What did Saldo urge Kherson residents to do?\`` };
  if (!hasWords(value)) return { ok: false, error: `Your ${what} has only mentions, emoji or symbols in it. Type the words to search for.` };
  if (value.length > MAX_QUESTION_LENGTH) {
    return { ok: false, error: `Your ${what} is ${value.length} characters long; the limit is ${MAX_QUESTION_LENGTH}. Shorten it to the key words and try again.` };
  }
  return { ok: true, value };
}

/** An optional YYYY-MM-DD date option that must be a real calendar date. */
export function checkDate(raw: string | null | undefined, option: string): Checked<string | undefined> {
  const value = raw?.trim();
  if (!value) return { ok: true, value: undefined };
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const date = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
  if (!m || !date || date.getUTCMonth() !== Number(m[2]) - 1 || date.getUTCDate() !== Number(m[3])) {
    return { ok: false, error: `\`${option}\` must be a date written YYYY-MM-DD, e.g. 2022-10-31.` };
  }
  return { ok: true, value };
}

export interface Filters {
  after?: string;
  before?: string;
  outlet?: string;
}

export function checkFilters(raw: { after?: string | null; before?: string | null; outlet?: string | null }): Checked<Filters> {
  const after = checkDate(raw.after, 'after');
  if (!after.ok) return after;
  const before = checkDate(raw.before, 'before');
  if (!before.ok) return before;
  if (after.value && before.value && after.value > before.value) {
    return { ok: false, error: `\`after\` (${after.value}) is later than \`before\` (${before.value}): swap them or widen the range.` };
  }
  const outlet = raw.outlet?.trim() || undefined;
  return { ok: true, value: { after: after.value, before: before.value, outlet } };
}
