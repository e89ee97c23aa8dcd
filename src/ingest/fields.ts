import type { Article } from '../types.js';

/**
 * Maps the many column/field names real news datasets use onto our article fields.
 * Keys are compared after lower-casing and dropping everything but letters and digits,
 * so "Article Url", "article_url" and "articleURL" are the same key. Earlier names win.
 */
const SYNONYMS = {
  id: ['id', 'articleid', 'docid', 'documentid', 'uuid', 'guid', 'key'],
  title: ['title', 'headline', 'headlines', 'heading', 'header', 'name', 'subject'],
  url: ['url', 'link', 'articleurl', 'weburl', 'sourceurl', 'href', 'uri', 'permalink', 'canonicalurl'],
  date: [
    'date', 'dateformatted', 'published', 'publishedat', 'publishdate', 'publisheddate', 'publicationdate',
    'pubdate', 'datepublished', 'datetime', 'createdat', 'timestamp', 'time', 'seendate',
  ],
  outlet: ['outlet', 'publisher', 'publication', 'source', 'sourcename', 'site', 'sitename', 'newspaper', 'media', 'domain'],
  text: [
    'text', 'body', 'content', 'article', 'articles', 'articletext', 'articlebody', 'fulltext', 'maintext',
    'story', 'bodytext', 'contents',
  ],
} as const;

export type FieldName = keyof typeof SYNONYMS;

const normalizeKey = (key: string): string => key.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Finds which source key feeds each article field, given the keys of one record or a CSV header. */
export function mapFields(keys: readonly string[]): Partial<Record<FieldName, string>> {
  const byNorm = new Map<string, string>();
  for (const key of keys) {
    const norm = normalizeKey(key);
    if (!byNorm.has(norm)) byNorm.set(norm, key);
  }
  const mapping: Partial<Record<FieldName, string>> = {};
  for (const field of Object.keys(SYNONYMS) as FieldName[]) {
    for (const candidate of SYNONYMS[field]) {
      const key = byNorm.get(candidate);
      if (key !== undefined) {
        mapping[field] = key;
        break;
      }
    }
  }
  return mapping;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * Normalizes the date shapes seen in news datasets to YYYY-MM-DD (or YYYY-MM when only the month
 * is known). Returns undefined when the value is not a recognisable date: a missing date is not an error.
 */
export function normalizeDate(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) {
    // Unix seconds or milliseconds.
    const ms = value < 1e11 ? value * 1000 : value;
    return new Date(ms).toISOString().slice(0, 10);
  }
  if (typeof value !== 'string') return undefined;
  const s = value.trim();
  if (!s) return undefined;
  let m = /^(\d{4})[-/.](\d{1,2})(?:[-/.](\d{1,2}))?(?:$|[T\s])/.exec(s);
  if (m) {
    const [, y, mo, d] = m;
    if (Number(mo) < 1 || Number(mo) > 12) return undefined;
    return d ? `${y}-${mo!.padStart(2, '0')}-${d.padStart(2, '0')}` : `${y}-${mo!.padStart(2, '0')}`;
  }
  // GDELT-style compact timestamps: 20220125T090000Z or 20220125.
  m = /^(\d{4})(\d{2})(\d{2})(?:T\d{6}Z?)?$/.exec(s);
  if (m) return `${m[1]}-${m[2]}-${m[3]}`;
  // "Wednesday, 23 February 2022", "23 Feb 2022", "February 23, 2022".
  m = /(\d{1,2})\s+([A-Za-z]{3,})\.?,?\s+(\d{4})/.exec(s) ?? null;
  if (m) {
    const month = MONTHS.indexOf(m[2]!.slice(0, 3).toLowerCase());
    if (month >= 0) return `${m[3]}-${String(month + 1).padStart(2, '0')}-${m[1]!.padStart(2, '0')}`;
  }
  m = /([A-Za-z]{3,})\.?\s+(\d{1,2}),?\s+(\d{4})/.exec(s);
  if (m) {
    const month = MONTHS.indexOf(m[1]!.slice(0, 3).toLowerCase());
    if (month >= 0) return `${m[3]}-${String(month + 1).padStart(2, '0')}-${m[2]!.padStart(2, '0')}`;
  }
  return undefined;
}

const OUTLET_BY_DOMAIN: Record<string, string> = {
  'theguardian.com': 'The Guardian',
  'nytimes.com': 'The New York Times',
  'cnn.com': 'CNN',
  'bbc.co.uk': 'BBC',
  'bbc.com': 'BBC',
  'reuters.com': 'Reuters',
  'apnews.com': 'Associated Press',
  'usatoday.com': 'USA Today',
  'theweek.com': 'The Week',
  'washingtonpost.com': 'The Washington Post',
  'foxnews.com': 'Fox News',
  'cbsnews.com': 'CBS News',
  'abcnews.go.com': 'ABC News',
  'nbcnews.com': 'NBC News',
  'aljazeera.com': 'Al Jazeera',
  'euromaidanpress.com': 'Euromaidan Press',
  'kyivindependent.com': 'The Kyiv Independent',
  'kyivpost.com': 'Kyiv Post',
};

/** Outlet name from a URL's host, for datasets that have a URL but no outlet column. */
export function outletFromUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase().replace(/^www\d?\./, '');
  } catch {
    return undefined;
  }
  for (const [domain, name] of Object.entries(OUTLET_BY_DOMAIN)) {
    if (host === domain || host.endsWith(`.${domain}`)) return name;
  }
  return host || undefined;
}

function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join('\n\n');
  return undefined;
}

export type RawArticle = Omit<Article, 'id' | 'source'> & { id?: string };

/**
 * Turns one record (a JSON object or CSV row) into raw article fields, or explains why it cannot.
 * Text is not cleaned here: that is the cleaner's job.
 */
export function recordToArticle(
  record: Record<string, unknown>,
  mapping: Partial<Record<FieldName, string>> = mapFields(Object.keys(record)),
): RawArticle | { error: string } {
  const get = (field: FieldName): string | undefined => {
    const key = mapping[field];
    const value = key === undefined ? undefined : asText(record[key]);
    return value?.trim() || undefined;
  };
  const text = get('text');
  if (!text) {
    const seen = Object.keys(record).slice(0, 8).join(', ');
    return { error: `no article text (looked for a field such as "text", "body" or "content"; found: ${seen || 'nothing'})` };
  }
  const url = get('url');
  const rawDate = mapping.date === undefined ? undefined : record[mapping.date];
  let outlet = get('outlet');
  // A "source" column sometimes holds a URL or domain rather than a name.
  if (outlet && /^(https?:\/\/|www\.)/i.test(outlet)) outlet = outletFromUrl(outlet.startsWith('http') ? outlet : `https://${outlet}`);
  return {
    id: get('id'),
    title: get('title') ?? '',
    text,
    url,
    date: normalizeDate(rawDate),
    outlet: outlet ?? outletFromUrl(url),
  };
}
