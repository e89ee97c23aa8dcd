import { createHash } from 'node:crypto';
import { readlinkSync, type Stats } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseDate, showValue, type DateOrder } from '../dates.js';
import { articleSentences } from '../text/sentences.js';
import type { Article, IngestProblem } from '../types.js';

export const SUPPORTED_EXTENSIONS = ['.txt', '.md', '.markdown', '.html', '.htm', '.json', '.jsonl', '.ndjson', '.csv'];

export interface LoadResult {
  articles: Article[];
  problems: IngestProblem[];
  /** Files read, and records dropped as duplicates of an earlier article (same URL or same text). */
  files: number;
  duplicates: number;
}

export const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex');

const errorCode = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

/**
 * Why a corpus path could not be read, for the report: the error code with what it means and what to
 * do, not a bare `EACCES`. A symlink whose target is gone says so (stat reports it as ENOENT).
 */
export function cannotRead(file: string, code: string): string {
  if (code === 'EACCES' || code === 'EPERM') return `cannot read: permission denied (${code}); give this user read permission, or leave it out of the corpus`;
  if (code === 'ENOENT') {
    try {
      return `broken symlink: its target ${readlinkSync(file)} does not exist`;
    } catch {
      return `cannot read: no such file or folder (${code})`;
    }
  }
  if (code === 'EISDIR') return `cannot read: a folder where a file was expected (${code})`;
  if (code === 'EIO') return `cannot read: input/output error (${code}); check the disk`;
  return `cannot read: ${code}`;
}

/**
 * A corpus path (file or folder) that could not be read this time, and why: an update keeps the
 * articles it indexed from there rather than taking the failure for a deletion.
 */
export interface UnreadPath {
  path: string;
  reason: string;
}

/**
 * Lists supported files under the given files/folders, recursively and in a stable order. Hidden
 * entries are skipped. Each real file is listed once however many links lead to it, and a symlink
 * leading back into a folder being walked (a loop) is reported once and not followed. Paths that
 * cannot be read are reported in `problems` and, when given, `unread`.
 */
export async function listCorpusFiles(paths: readonly string[], problems: IngestProblem[], unread?: UnreadPath[]): Promise<string[]> {
  const files: string[] = [];
  const seen = new Set<string>();
  const visit = async (p: string, explicit: boolean, ancestors: readonly string[]): Promise<void> => {
    let info: Stats;
    let real: string;
    try {
      info = await stat(p);
      real = await realpath(p);
    } catch (err) {
      const code = errorCode(err);
      problems.push({ source: p, message: code === 'ELOOP' ? 'symlink loop (the link leads back to itself), not followed' : cannotRead(p, code) });
      if (code !== 'ELOOP') unread?.push({ path: p, reason: `cannot read (${code})` });
      return;
    }
    if (info.isDirectory()) {
      if (ancestors.includes(real)) {
        problems.push({ source: p, message: `symlink loop: leads back to ${real}, which is already being read; not followed` });
        return;
      }
      // The same folder reached again by another link: its files are already listed.
      if (seen.has(real)) return;
      seen.add(real);
      let entries: string[];
      try {
        entries = (await readdir(p)).filter((e) => !e.startsWith('.')).sort();
      } catch (err) {
        problems.push({ source: p, message: cannotRead(p, errorCode(err)) });
        unread?.push({ path: p, reason: `cannot read (${errorCode(err)})` });
        return;
      }
      for (const entry of entries) await visit(path.join(p, entry), false, [...ancestors, real]);
    } else if (SUPPORTED_EXTENSIONS.includes(path.extname(p).toLowerCase())) {
      if (seen.has(real)) return;
      seen.add(real);
      files.push(p);
    } else if (explicit) {
      problems.push({ source: p, message: `unsupported file type (supported: ${SUPPORTED_EXTENSIONS.join(' ')})` });
    } else {
      // Named, so that a .tsv or .jsonl.gz the operator expected to be read is not silently left out.
      problems.push({ source: p, message: `not a corpus format: ${path.extname(p) || 'no extension'} (supported: ${SUPPORTED_EXTENSIONS.join(' ')})` });
    }
  };
  for (const p of paths) await visit(p, true, []);
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


export interface IngestOptions {
  /** How to read an ambiguous numeric date such as 03/04/2022 (default mdy). */
  dateOrder?: DateOrder;
  /** Longer articles (after cleaning) are truncated at a sentence end and reported (default 1,000,000). */
  maxArticleChars?: number;
  /**
   * Ids of articles to leave out (removed by an admin, e.g. `/sources remove`): they are read and
   * counted as excluded, and later copies of them are dropped as their duplicates.
   */
  exclude?: ReadonlySet<string>;
}

/**
 * Cuts a text to at most `max` characters at the end of a sentence (or, when there is none in
 * reach, of a word). Linear: only the first `max` characters are split into sentences.
 */
export function truncateAtSentence(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = text.slice(0, max);
  const sentences = articleSentences(head);
  const last = sentences.at(-1);
  // The last sentence of the head may be cut mid-way; keep it only if the text really breaks after it.
  if (last && /[.!?…"”'’)\]]$/.test(last.text) && /\s/.test(text[last.end] ?? ' ')) return text.slice(0, last.end);
  const previous = sentences.at(-2);
  if (previous) return text.slice(0, previous.end);
  const space = head.lastIndexOf(' ');
  return space > 0 ? head.slice(0, space) : head;
}

type Where = Pick<IngestProblem, 'source' | 'line'>;

/**
 * Applies MAX_ARTICLE_CHARS to a cleaned text; a cut is reported, and the article is kept. `precut`:
 * the raw text was this long and only its head was cleaned (the text given may end mid-sentence).
 */
export function limitLength(text: string, maxChars: number, where: Where, problems: IngestProblem[], precut?: number): string {
  if (text.length <= maxChars && precut === undefined) return text;
  const cut = truncateAtSentence(text, Math.min(maxChars, precut === undefined ? text.length : text.length - 1));
  const length = precut === undefined ? `${text.length.toLocaleString('en')} characters` : `${precut.toLocaleString('en')} characters before cleaning`;
  problems.push({
    ...where,
    kept: true,
    message: `article text is ${length}, over MAX_ARTICLE_CHARS (${maxChars.toLocaleString('en')}): indexed its first ${cut.length.toLocaleString('en')} (raise MAX_ARTICLE_CHARS to keep more)`,
  });
  return cut;
}

/** An article's date as DATE_ORDER reads it; one that cannot be read is reported, and the article is kept undated. */
export function readDate(rawDate: unknown, order: DateOrder, where: Where, problems: IngestProblem[]): string | undefined {
  // A Unix timestamp written as a string (every CSV value is one; JSON exports often quote them): 10
  // digits are seconds, 13 milliseconds. Eight digits stay a compact date (20221031).
  const value = typeof rawDate === 'string' && /^\s*(\d{10}|\d{13})\s*$/.test(rawDate) ? Number(rawDate) : rawDate;
  const result = parseDate(value, order);
  if (result && 'error' in result) {
    problems.push({ ...where, kept: true, message: `date ${showValue(rawDate)}: ${result.error}; indexed without a date` });
    return undefined;
  }
  return result?.date;
}
