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

/** An article as a format parser found it; the date is still the source's own value (ingest parses it). */
export type RawArticle = Omit<Article, 'id' | 'source' | 'date'> & { id?: string; rawDate?: unknown };

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
  let outlet = get('outlet');
  // A "source" column sometimes holds a URL or domain rather than a name.
  if (outlet && /^(https?:\/\/|www\.)/i.test(outlet)) outlet = outletFromUrl(outlet.startsWith('http') ? outlet : `https://${outlet}`);
  return {
    id: get('id'),
    title: get('title') ?? '',
    text,
    url,
    rawDate: mapping.date === undefined ? undefined : record[mapping.date],
    outlet: outlet ?? outletFromUrl(url),
  };
}
