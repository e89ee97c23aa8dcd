import type { Article, ArticleSummary } from '../types.js';
import type { StoredPassage } from './backend.js';

/** Row shapes of the SQLite tables and their one decoder each: nothing else reads raw rows. */

export interface ArticleRow {
  rowid: number;
  id: string;
  title: string;
  url: string | null;
  date: string | null;
  outlet: string | null;
  source: string;
}

export interface PassageRow extends ArticleRow {
  pid: number;
  position: number;
  start_char: number;
  end_char: number;
  text: string;
}

/** Columns to select for a PassageRow (passages p joined with articles a). */
export const PASSAGE_COLUMNS =
  'p.id AS pid, p.position, p.start_char, p.end_char, p.text, a.rowid, a.id, a.title, a.url, a.date, a.outlet, a.source';
export const ARTICLE_COLUMNS = 'rowid, id, title, url, date, outlet, source';

const opt = (v: string | null): string | undefined => v ?? undefined;

export function decodeArticle(row: ArticleRow): ArticleSummary {
  return { id: row.id, title: row.title, url: opt(row.url), date: opt(row.date), outlet: opt(row.outlet), source: row.source };
}

export function decodePassage(row: PassageRow): StoredPassage {
  return { id: row.pid, position: row.position, start: row.start_char, end: row.end_char, text: row.text, article: decodeArticle(row) };
}

/** The values an article row is written from (the text itself lives in its passages). */
export function encodeArticle(a: Omit<Article, 'text'>, hash: string, keys?: { raw: string; url?: string; text: string }): Record<string, string | null> {
  const first = a.date ? (a.date.length === 7 ? `${a.date}-01` : a.date) : null;
  const last = a.date ? (a.date.length === 7 ? `${a.date}-31` : a.date) : null;
  return {
    id: a.id,
    title: a.title,
    url: a.url ?? null,
    date: a.date ?? null,
    outlet: a.outlet ?? null,
    source: a.source,
    hash,
    date_first: first,
    date_last: last,
    outlet_key: a.outlet ? a.outlet.toLowerCase() : null,
    raw_hash: keys?.raw ?? null,
    url_key: keys?.url ?? null,
    text_key: keys?.text ?? null,
  };
}
