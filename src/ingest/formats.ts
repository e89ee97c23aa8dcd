import { parse as parseCsv } from 'csv-parse/sync';
import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import type { IngestProblem } from '../types.js';
import { mapFields, outletFromUrl, recordToArticle, type RawArticle } from './fields.js';

/** What a format parser yields: articles with their position, and problems with theirs. */
export interface ParsedFile {
  articles: Array<RawArticle & { line?: number }>;
  problems: IngestProblem[];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Finds article-like records in a JSON value: an object with a text field is an article; otherwise
 * arrays of objects inside it are searched (e.g. `{"articles": [...]}` or RealtimeQA's `search_result`).
 */
function collectRecords(value: Json, depth = 0): JsonObject[] {
  if (depth > 3) return [];
  if (Array.isArray(value)) return value.flatMap((v) => collectRecords(v, depth + 1));
  if (!isObject(value)) return [];
  const mapping = mapFields(Object.keys(value));
  if (mapping.text !== undefined && typeof value[mapping.text] === 'string') return [value];
  return Object.values(value)
    .filter((v): v is Json[] => Array.isArray(v))
    .flatMap((v) => collectRecords(v, depth + 1));
}

function recordsToArticles(records: JsonObject[], source: string, line?: number): ParsedFile {
  const out: ParsedFile = { articles: [], problems: [] };
  for (const record of records) {
    const result = recordToArticle(record);
    if ('error' in result) out.problems.push({ source, line, message: result.error });
    else out.articles.push({ ...result, line });
  }
  return out;
}

export function parseJson(content: string, source: string): ParsedFile {
  let value: Json;
  try {
    value = JSON.parse(content) as Json;
  } catch (err) {
    return { articles: [], problems: [{ source, message: `not valid JSON: ${(err as Error).message}` }] };
  }
  const records = collectRecords(value);
  if (records.length === 0) {
    return { articles: [], problems: [{ source, message: 'no article records found (expected objects with a "text", "body" or "content" field)' }] };
  }
  return recordsToArticles(records, source);
}

export function parseJsonl(content: string, source: string): ParsedFile {
  const out: ParsedFile = { articles: [], problems: [] };
  const lines = content.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!.trim();
    if (!text) continue;
    let value: Json;
    try {
      value = JSON.parse(text) as Json;
    } catch (err) {
      out.problems.push({ source, line: i + 1, message: `malformed JSON line: ${(err as Error).message}` });
      continue;
    }
    const records = collectRecords(value);
    if (records.length === 0) {
      out.problems.push({ source, line: i + 1, message: 'no article text on this line (expected a "text", "body" or "content" field)' });
      continue;
    }
    const part = recordsToArticles(records, source, i + 1);
    out.articles.push(...part.articles);
    out.problems.push(...part.problems);
  }
  return out;
}

type CsvRow = { record: Record<string, string>; info: { lines: number; columns?: Array<{ name: string }> }; raw: string };

export function parseCsvFile(content: string, source: string): ParsedFile {
  const out: ParsedFile = { articles: [], problems: [] };
  let rows: CsvRow[];
  try {
    rows = parseCsv(content, {
      columns: (header: string[]) => header.map((h, i) => h.trim() || `column${i}`),
      bom: true,
      info: true,
      raw: true,
      relax_quotes: true,
      relax_column_count: true,
      skip_empty_lines: true,
    }) as CsvRow[];
  } catch (err) {
    return { articles: [], problems: [{ source, message: `CSV could not be parsed: ${(err as Error).message}` }] };
  }
  if (rows.length === 0) return out;
  // The header's names (a first row short of fields has fewer keys).
  const columns = rows[0]!.info.columns?.map((c) => c.name) ?? Object.keys(rows[0]!.record);
  const mapping = mapFields(columns);
  if (mapping.text === undefined) {
    return { articles: [], problems: [{ source, message: `no text column (expected "text", "body", "content" or "article"; header: ${columns.join(', ')})` }] };
  }
  for (const { record, info, raw } of rows) {
    // A multi-line record's first line (info.lines is its last).
    const first = info.lines - Math.max(0, raw.replace(/\r?\n$/, '').split('\n').length - 1);
    const swallowed = swallowedRows(record, mapping, columns);
    if (swallowed) {
      out.problems.push({
        source,
        line: first,
        message: `lines ${first}-${info.lines} read as one record (${swallowed}): a quote opened there is not closed where its field ends; close it, or double it (""), and index again (skipped)`,
      });
      continue;
    }
    const result = recordToArticle(record, mapping);
    if ('error' in result) out.problems.push({ source, line: info.lines, message: result.error });
    else out.articles.push({ ...result, line: info.lines });
  }
  return out;
}

const SINGLE_LINE = ['id', 'title', 'url', 'date', 'outlet'] as const;
const URL_VALUE = /^(https?:\/\/|www\.)\S+$/i;

/**
 * Why a CSV record looks like several rows merged by an unclosed quote (relax_quotes lets one
 * through): a one-line field (title, url, date…) spanning lines, a url holding prose, or a line
 * inside a multi-line field that is itself a row (as many fields as the header, a URL in the url
 * column). Undefined for a sound record.
 */
function swallowedRows(record: Record<string, string>, mapping: ReturnType<typeof mapFields>, columns: readonly string[]): string | undefined {
  for (const field of SINGLE_LINE) {
    const value = mapping[field] === undefined ? undefined : record[mapping[field]!]?.trim();
    if (value?.includes('\n')) return `its ${field} spans lines`;
  }
  const url = mapping.url === undefined ? undefined : record[mapping.url]?.trim();
  if (url && /\s/.test(url)) return 'its url holds text';
  if (mapping.url === undefined) return undefined;
  const urlColumn = columns.indexOf(mapping.url);
  for (const value of Object.values(record)) {
    if (!value.includes('\n')) continue;
    for (const line of value.split('\n').slice(1)) {
      // Cheap test first: a row of this file has a URL after a delimiter.
      if (!/,\s*"?(https?:\/\/|www\.)/i.test(line)) continue;
      let fields: string[] = [];
      try {
        fields = (parseCsv(line, { relax_quotes: true, relax_column_count: true }) as string[][])[0] ?? [];
      } catch {
        continue;
      }
      if (fields.length >= columns.length && URL_VALUE.test(fields[urlColumn]?.trim() ?? '')) return 'later rows inside a field';
    }
  }
  return undefined;
}

/** Splits "---\nkey: value\n---\n" front matter (simple key: value lines) from a text file. */
function splitFrontMatter(content: string): { meta: Record<string, string>; body: string } {
  const m = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/.exec(content);
  if (!m) return { meta: {}, body: content };
  const meta: Record<string, string> = {};
  for (const line of m[1]!.split(/\r?\n/)) {
    const kv = /^\s*([A-Za-z_][\w-]*)\s*:\s*(.*?)\s*$/.exec(line);
    if (kv) meta[kv[1]!] = kv[2]!.replace(/^(["'])(.*)\1$/, '$2');
  }
  return { meta, body: content.slice(m[0].length) };
}

/**
 * Plain text and Markdown: front matter supplies metadata; without a title there, the first
 * non-boilerplate line is the title (the cleaner then drops it from the body).
 */
export function parseText(content: string, source: string, firstLineIsTitle: (line: string) => boolean): ParsedFile {
  const { meta, body } = splitFrontMatter(content);
  const record: Record<string, unknown> = { ...meta };
  let text = body;
  const mapping = mapFields(Object.keys(meta));
  if (mapping.title === undefined) {
    const lines = body.split(/\r?\n/);
    const idx = lines.findIndex((l) => l.trim() !== '' && firstLineIsTitle(l.trim()));
    if (idx >= 0 && lines[idx]!.trim().length <= 300) {
      record.title = lines[idx]!.trim().replace(/^#+\s*/, '');
      text = lines.slice(idx + 1).join('\n');
    }
  }
  record.text = text;
  return recordsToArticles([record as JsonObject], source);
}

const BLOCK_SELECTOR = 'p, h1, h2, h3, h4, h5, h6, li, blockquote, pre';

/** HTML: Readability finds the main text; metadata comes from the usual meta tags. */
export function parseHtml(content: string, source: string): ParsedFile {
  const { document } = parseHTML(content);
  const meta = (selector: string): string | undefined =>
    document.querySelector(selector)?.getAttribute('content')?.trim() || undefined;
  const url =
    document.querySelector('link[rel="canonical"]')?.getAttribute('href')?.trim() || meta('meta[property="og:url"]');
  const date =
    meta('meta[property="article:published_time"]') ??
    meta('meta[name="date"]') ??
    meta('meta[itemprop="datePublished"]') ??
    document.querySelector('time[datetime]')?.getAttribute('datetime')?.trim() ??
    undefined;
  const outlet = meta('meta[property="og:site_name"]');
  // linkedom's document is DOM-compatible enough for Readability; the cast bridges the type gap.
  const parsed = new Readability(document as unknown as ConstructorParameters<typeof Readability>[0]).parse();
  if (!parsed?.content) {
    return { articles: [], problems: [{ source, message: 'no readable article text found in the HTML' }] };
  }
  const { document: articleDoc } = parseHTML(`<!doctype html><html><body>${parsed.content}</body></html>`);
  const blocks = [...articleDoc.querySelectorAll(BLOCK_SELECTOR)]
    // Nested blocks (p inside li/blockquote) would repeat text: keep the innermost only.
    .filter((el) => !el.querySelector(BLOCK_SELECTOR))
    .map((el) => (el.textContent ?? '').replace(/\s+/g, ' ').trim())
    .filter(Boolean);
  const text = blocks.length > 0 ? blocks.join('\n\n') : (parsed.textContent ?? '').trim();
  if (!text) return { articles: [], problems: [{ source, message: 'no readable article text found in the HTML' }] };
  return {
    articles: [
      {
        title: parsed.title?.trim() || meta('meta[property="og:title"]') || '',
        text,
        url,
        rawDate: date ?? (parsed.publishedTime || undefined),
        outlet: outlet ?? parsed.siteName ?? outletFromUrl(url),
      },
    ],
    problems: [],
  };
}
