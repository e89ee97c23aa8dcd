/**
 * Dates as news datasets write them, normalized to YYYY-MM-DD (or YYYY-MM when only the month is
 * known), with real calendar validation. Shared by ingest (article dates) and the CLI (filters).
 * A date is taken as written: "2022-10-31T23:30:00-05:00" is 2022-10-31, the publisher's own day.
 */

/** How to read an ambiguous numeric date such as 03/04/2022: month first or day first. */
export type DateOrder = 'mdy' | 'dmy';

/** A normalized date, nothing (no date given), or why the value is not a date. */
export type DateResult = { date: string } | { error: string } | undefined;

const MONTH_NAMES = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
/** Full names, three-letter abbreviations, and "Sept". */
const MONTH = '(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)';

function monthNumber(name: string): number {
  const lower = name.toLowerCase();
  return MONTH_NAMES.findIndex((m) => m.startsWith(lower.slice(0, 3))) + 1;
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

const pad = (n: number): string => String(n).padStart(2, '0');
const MONTH_LABEL = (m: number): string => MONTH_NAMES[m - 1]!.replace(/^./, (c) => c.toUpperCase());

/** Checks a year, month and (optional) day against the calendar and formats them. */
function calendarDate(year: number, month: number, day?: number): DateResult {
  if (year < 1000 || year > 9999) return { error: `year ${year} is out of range` };
  if (month < 1 || month > 12) return { error: `there is no month ${month}` };
  if (day === undefined) return { date: `${year}-${pad(month)}` };
  const days = daysInMonth(year, month);
  if (day < 1 || day > days) return { error: `not a calendar date (${MONTH_LABEL(month)} ${year} has ${days} days)` };
  return { date: `${year}-${pad(month)}-${pad(day)}` };
}

/** The accepted shapes, for error messages. */
export const DATE_FORMATS =
  'YYYY-MM-DD (ISO, with or without time), YYYY-MM, RFC 2822 ("Tue, 01 Nov 2022 10:00:00 +0000"), ' +
  '"November 1, 2022", "1 November 2022", MM/DD/YYYY, DD.MM.YYYY';

/** Day and month of a numeric date such as 03/04/2022 or 31.10.2022. */
function numericDayMonth(a: number, b: number, separator: string, order: DateOrder): [day: number, month: number] | undefined {
  // Unambiguous when only one of the two can be a month.
  if (a > 12 && b <= 12) return [a, b];
  if (b > 12 && a <= 12) return [b, a];
  if (a > 12 && b > 12) return undefined;
  // Dots are the day-first convention everywhere they are used (31.10.2022); slashes and dashes follow DATE_ORDER.
  if (separator === '.' || order === 'dmy') return [a, b];
  return [b, a];
}

/**
 * Parses one date value from a dataset. Numbers are Unix timestamps (seconds or milliseconds).
 * Returns undefined for no value at all (an empty field is not an error).
 */
export function parseDate(value: unknown, order: DateOrder = 'mdy'): DateResult {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 1e8) return { error: `${value} is not a Unix timestamp` };
    const ms = value < 1e11 ? value * 1000 : value;
    const iso = new Date(ms).toISOString();
    return calendarDate(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)), Number(iso.slice(8, 10)));
  }
  if (typeof value !== 'string') return { error: `a ${Array.isArray(value) ? 'list' : typeof value} is not a date` };
  const s = value.trim();
  if (!s) return undefined;

  // ISO and its relatives: 2022-10-31, 2022/10/31, 2022.10.31, 2022-10 (month only), with any time after.
  let m = /^(\d{4})([-/.])(\d{1,2})(?:\2(\d{1,2}))?(?=$|[T\s])/.exec(s);
  if (m) return calendarDate(Number(m[1]), Number(m[3]), m[4] === undefined ? undefined : Number(m[4]));
  // Compact timestamps (GDELT): 20220125T090000Z or 20220125.
  m = /^(\d{4})(\d{2})(\d{2})(?:T\d{4,6}Z?)?$/.exec(s);
  if (m) return calendarDate(Number(m[1]), Number(m[2]), Number(m[3]));
  // Numeric day and month: 10/31/2022, 31.10.2022, 03/04/2022 (DATE_ORDER), with any time after.
  m = /^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?=$|[T\s,])/.exec(s);
  if (m) {
    const dm = numericDayMonth(Number(m[1]), Number(m[3]), m[2]!, order);
    if (!dm) return { error: `neither ${m[1]} nor ${m[3]} can be a month` };
    return calendarDate(Number(m[4]), dm[1], dm[0]);
  }
  // "1 November 2022", "Tue, 01 Nov 2022 10:00:00 +0000" (RFC 2822), "Wednesday, 23rd of February 2022".
  m = new RegExp(`(?:^|[^\\p{L}\\d])(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?${MONTH}\\.?,?\\s+(\\d{4})(?!\\d)`, 'iu').exec(s);
  if (m) return calendarDate(Number(m[3]), monthNumber(m[2]!), Number(m[1]));
  // "November 1, 2022", "Nov. 1 2022", "Published on February 23rd, 2022".
  m = new RegExp(`(?:^|[^\\p{L}])${MONTH}\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?,?\\s+(\\d{4})(?!\\d)`, 'iu').exec(s);
  if (m) return calendarDate(Number(m[3]), monthNumber(m[1]!), Number(m[2]));
  // Month only: "November 2022".
  m = new RegExp(`^${MONTH}\\.?,?\\s+(\\d{4})$`, 'iu').exec(s);
  if (m) return calendarDate(Number(m[2]), monthNumber(m[1]!));
  return { error: `not a date format Archivist reads (${DATE_FORMATS})` };
}

/** Shortens a value for an error message. */
export function showValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}

/**
 * Validates a filter date given as YYYY-MM-DD (CLI --after/--before): returns why it is not a real
 * calendar date, or undefined when it is one.
 */
export function checkIsoDay(value: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return 'expected a date as YYYY-MM-DD';
  const result = calendarDate(Number(m[1]), Number(m[2]), Number(m[3]));
  return result && 'error' in result ? result.error : undefined;
}
