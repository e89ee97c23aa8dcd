import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Article, IngestProblem } from '../types.js';
import { cleanText, cleanTitle, isBoilerplate } from './clean.js';
import { parseCsvFile, parseHtml, parseJson, parseJsonl, parseText, type ParsedFile } from './formats.js';

export const SUPPORTED_EXTENSIONS = ['.txt', '.md', '.markdown', '.html', '.htm', '.json', '.jsonl', '.ndjson', '.csv'];

export interface LoadResult {
  articles: Article[];
  problems: IngestProblem[];
  /** Files read, and records dropped as duplicates of an earlier article (same URL or same text). */
  files: number;
  duplicates: number;
}

export const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex');

/** Lists supported files under the given files/folders, recursively and in a stable order. Hidden entries are skipped. */
export async function listCorpusFiles(paths: readonly string[], problems: IngestProblem[]): Promise<string[]> {
  const files: string[] = [];
  const visit = async (p: string, explicit: boolean): Promise<void> => {
    let info;
    try {
      info = await stat(p);
    } catch (err) {
      problems.push({ source: p, message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      return;
    }
    if (info.isDirectory()) {
      const entries = (await readdir(p)).filter((e) => !e.startsWith('.')).sort();
      for (const entry of entries) await visit(path.join(p, entry), false);
    } else if (SUPPORTED_EXTENSIONS.includes(path.extname(p).toLowerCase())) {
      files.push(p);
    } else if (explicit) {
      problems.push({ source: p, message: `unsupported file type (supported: ${SUPPORTED_EXTENSIONS.join(' ')})` });
    }
  };
  for (const p of paths) await visit(p, true);
  return files;
}

/** Decodes a file as UTF-8 (or UTF-16 with a BOM); returns an error message for anything else. */
export function decode(buffer: Buffer): string | { error: string } {
  if (buffer[0] === 0xff && buffer[1] === 0xfe) return new TextDecoder('utf-16le').decode(buffer.subarray(2));
  if (buffer[0] === 0xfe && buffer[1] === 0xff) return new TextDecoder('utf-16be').decode(buffer.subarray(2));
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(buffer);
    if (text.includes('\u0000')) return { error: 'looks like a binary file (contains NUL bytes)' };
    return text;
  } catch {
    return { error: 'not valid UTF-8 text (re-save it as UTF-8)' };
  }
}

function parseByExtension(content: string, file: string): ParsedFile {
  switch (path.extname(file).toLowerCase()) {
    case '.json':
      return parseJson(content, file);
    case '.jsonl':
    case '.ndjson':
      return parseJsonl(content, file);
    case '.csv':
      return parseCsvFile(content, file);
    case '.html':
    case '.htm':
      return parseHtml(content, file);
    default:
      return parseText(content, file, (line) => !isBoilerplate(line));
  }
}

/** Canonical form of a URL for duplicate detection: no scheme, www, fragment, tracking parameters or trailing slash. */
export function urlKey(url: string): string {
  try {
    const u = new URL(url);
    for (const key of [...u.searchParams.keys()]) if (/^(utm_|fbclid|gclid|ref$|cmpid)/i.test(key)) u.searchParams.delete(key);
    const query = u.searchParams.toString();
    return `${u.hostname.replace(/^www\d?\./, '')}${u.pathname.replace(/\/+$/, '')}${query ? `?${query}` : ''}`.toLowerCase();
  } catch {
    return url.trim().toLowerCase();
  }
}

const textKey = (text: string): string => sha1(text.toLowerCase().replace(/\s+/g, ' '));

/** Minimum cleaned text for an article to be worth indexing. */
const MIN_TEXT_CHARS = 40;

/**
 * Loads, cleans and de-duplicates every article under `paths`. Bad files and records are reported
 * in `problems` (by file and line) and skipped; they never stop the rest of the corpus loading.
 */
export async function loadCorpus(
  paths: readonly string[],
  onFile?: (file: string, index: number, total: number) => void,
): Promise<LoadResult> {
  const problems: IngestProblem[] = [];
  const files = await listCorpusFiles(paths, problems);
  const articles: Article[] = [];
  const seenUrls = new Set<string>();
  const seenTexts = new Set<string>();
  const seenIds = new Set<string>();
  let duplicates = 0;

  for (const [i, file] of files.entries()) {
    onFile?.(file, i, files.length);
    let buffer: Buffer;
    try {
      buffer = await readFile(file);
    } catch (err) {
      problems.push({ source: file, message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      continue;
    }
    const content = decode(buffer);
    if (typeof content !== 'string') {
      problems.push({ source: file, message: content.error });
      continue;
    }
    const parsed = parseByExtension(content, file);
    problems.push(...parsed.problems);
    for (const raw of parsed.articles) {
      const source = raw.line !== undefined ? `${file}:${raw.line}` : file;
      const title = cleanTitle(raw.title);
      const text = cleanText(raw.text, { title });
      if (text.length < MIN_TEXT_CHARS) {
        problems.push({ source: file, line: raw.line, message: 'article text is empty or too short after cleaning' });
        continue;
      }
      const urlK = raw.url ? urlKey(raw.url) : undefined;
      const textK = textKey(text);
      if ((urlK && seenUrls.has(urlK)) || seenTexts.has(textK)) {
        duplicates++;
        continue;
      }
      if (urlK) seenUrls.add(urlK);
      seenTexts.add(textK);
      let id = raw.id ?? (urlK ? sha1(urlK).slice(0, 16) : textK.slice(0, 16));
      // Two datasets can both number their rows from 1: keep ids unique without losing either article.
      if (seenIds.has(id)) id = `${id}~${textK.slice(0, 8)}`;
      seenIds.add(id);
      articles.push({
        id,
        title: title || firstWords(text),
        text,
        url: raw.url,
        date: raw.date,
        outlet: raw.outlet,
        source,
      });
    }
  }
  return { articles, problems, files: files.length, duplicates };
}

/** A fallback title for datasets without one: the opening words of the text. */
function firstWords(text: string, max = 12): string {
  const words = text.split(/\s+/);
  return words.length <= max ? text : `${words.slice(0, max).join(' ')}…`;
}
