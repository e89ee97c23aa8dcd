import { hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import type { Article, IngestProblem } from '../types.js';
import { cleanText, cleanTitle, isBoilerplate } from './clean.js';
import { parseCsvFile, parseHtml, parseJson, parseJsonl, parseText, type ParsedFile } from './formats.js';
import { cannotRead, decode, limitLength, listCorpusFiles, readDate, sha1, urlKey, type IngestOptions, type LoadResult, type UnreadPath } from './load.js';
import { DEFAULT_MAX_ARTICLE_CHARS } from '../config.js';

/**
 * The streaming twin of `loadCorpus`: yields articles one by one (line-oriented files are read a
 * line at a time, other files one at a time), cleaned and de-duplicated by the same rules, so a
 * corpus never has to fit in memory. Counts and problems accumulate in `stats` as it goes.
 */
export interface StreamStats {
  files: number;
  /** Files read so far, and bytes read of `totalBytes` (for progress). */
  filesDone: number;
  bytesDone: number;
  totalBytes: number;
  duplicates: number;
  /** Articles left out because their id is in `IngestOptions.exclude`. */
  excluded: number;
  /** Records the caller knew unchanged by their raw key (a JSONL line: by its bytes, before decoding): not cleaned again. */
  recognised: number;
  /** JSONL lines decoded and parsed (not recognised from their bytes). */
  parsedLines: number;
  /** Records parsed out and cleaned (new, changed, or not recognised by raw key). */
  cleaned: number;
  problems: IngestProblem[];
  /** Corpus paths (named, listed or opened) that could not be read or decoded: not a deletion of their articles. */
  unread: UnreadPath[];
}

const MIN_TEXT_CHARS = 40;
const BINARY = 'looks like a binary file (contains NUL bytes; a UTF-16 file must be re-saved as UTF-8), not JSON Lines';
const textKey = (text: string): string => sha1(text.toLowerCase().replace(/\s+/g, ' '));

/**
 * Keys of a streamed article: its raw record's hash (for a JSONL line that makes one article, the
 * hash of the line's bytes; else of the record's fields), and the URL and text keys duplicates are found by.
 */
export interface ArticleKeys {
  raw: string;
  url?: string;
  text: string;
}

export type Streamed =
  | { kind: 'article'; article: Article; keys: ArticleKeys }
  /**
   * A raw record the caller already knows (`known` returned its keys): not cleaned again. `keys`: the
   * keys to store instead, when it was known by an older key (a JSONL line keyed by its fields).
   */
  | { kind: 'known'; id: string; source: string; keys?: ArticleKeys };

/**
 * `known(rawHash)` lets an indexer skip cleaning records it has already indexed unchanged: it
 * returns the stored id and keys of the article made from that exact raw record, if any.
 */
export async function* streamCorpus(
  paths: readonly string[],
  stats: StreamStats,
  known?: (rawHash: string) => { id: string; url?: string; text: string } | undefined,
  options: IngestOptions = {},
): AsyncGenerator<Streamed> {
  const dateOrder = options.dateOrder ?? 'mdy';
  const maxChars = options.maxArticleChars ?? DEFAULT_MAX_ARTICLE_CHARS;
  const exclude = options.exclude;
  const cleanBudget = maxChars + Math.max(maxChars, 1_000_000);
  const files = await listCorpusFiles(paths, stats.problems, stats.unread);
  stats.files = files.length;
  stats.totalBytes = 0;
  for (const f of files) stats.totalBytes += await stat(f).then((s) => s.size, () => 0);
  const seenUrls = new Set<string>();
  const seenTexts = new Set<string>();
  const seenIds = new Set<string>();

  // The settings that shape an article are part of its raw key: changing them re-reads it.
  const settings = `${dateOrder}|${maxChars}|`;
  const lineKey = (bytes: Buffer): string => sha1(settings + hash('sha1', bytes, 'hex'));
  const fieldKey = (raw: ParsedFile['articles'][number]): string =>
    sha1(JSON.stringify([raw.id ?? null, raw.title, raw.text, raw.url ?? null, raw.rawDate ?? null, raw.outlet ?? null, dateOrder, maxChars]));

  /** A record known unchanged: only the duplicate and exclusion rules apply, by its stored keys. */
  const acceptKnown = (seenBefore: { id: string; url?: string; text: string }, source: string, newRawKey?: string): Streamed | undefined => {
    stats.recognised++;
    if ((seenBefore.url && seenUrls.has(seenBefore.url)) || seenTexts.has(seenBefore.text) || seenIds.has(seenBefore.id)) {
      stats.duplicates++;
      return undefined;
    }
    if (seenBefore.url) seenUrls.add(seenBefore.url);
    seenTexts.add(seenBefore.text);
    seenIds.add(seenBefore.id);
    if (exclude?.has(seenBefore.id)) {
      stats.excluded++;
      return undefined;
    }
    if (newRawKey === undefined) return { kind: 'known', id: seenBefore.id, source };
    return { kind: 'known', id: seenBefore.id, source, keys: { raw: newRawKey, url: seenBefore.url, text: seenBefore.text } };
  };

  /** `lineKey`: the raw key already looked up (a JSONL line's); without it the record's fields make the key. */
  const accept = (raw: ParsedFile['articles'][number], file: string, lineKey?: string): Streamed | undefined => {
    const source = raw.line !== undefined ? `${file}:${raw.line}` : file;
    let rawKey = lineKey;
    if (rawKey === undefined) {
      rawKey = fieldKey(raw);
      const seenBefore = known?.(rawKey);
      if (seenBefore) return acceptKnown(seenBefore, source);
    }
    stats.cleaned++;
    const title = cleanTitle(raw.title);
    // Cleaning takes time and memory in proportion to the text (~25 bytes a character): a text far over
    // MAX_ARTICLE_CHARS is cut before it, so a 200 MB record costs what a 2 MB one does.
    const precut = raw.text.length > cleanBudget ? raw.text.length : undefined;
    let text = cleanText(precut ? raw.text.slice(0, cleanBudget) : raw.text, { title });
    if (text.length < MIN_TEXT_CHARS) {
      stats.problems.push({ source: file, line: raw.line, message: 'article text is empty or too short after cleaning' });
      return undefined;
    }
    text = limitLength(text, maxChars, { source: file, line: raw.line }, stats.problems, precut);
    const urlK = raw.url ? urlKey(raw.url) : undefined;
    const textK = textKey(text);
    if ((urlK && seenUrls.has(urlK)) || seenTexts.has(textK)) {
      stats.duplicates++;
      return undefined;
    }
    if (urlK) seenUrls.add(urlK);
    seenTexts.add(textK);
    const date = readDate(raw.rawDate, dateOrder, { source: file, line: raw.line }, stats.problems);
    let id = raw.id ?? (urlK ? sha1(urlK).slice(0, 16) : textK.slice(0, 16));
    if (seenIds.has(id)) id = `${id}~${textK.slice(0, 8)}`;
    seenIds.add(id);
    // Checked after its keys are marked seen, so a copy of an excluded article does not come back.
    if (exclude?.has(id)) {
      stats.excluded++;
      return undefined;
    }
    return {
      kind: 'article',
      article: { id, title: title || firstWords(text), text, url: raw.url, date, outlet: raw.outlet, source },
      keys: { raw: rawKey, url: urlK, text: textK },
    };
  };

  for (const file of files) {
    const ext = path.extname(file).toLowerCase();
    if (ext === '.jsonl' || ext === '.ndjson') {
      let empty = true;
      for await (const lines of jsonlLines(file, stats)) {
        for (const { bytes, n } of lines) {
          if (empty && bytes.some((b) => b !== 0x20 && b !== 0x09 && b !== 0x0d)) empty = false;
          // An unchanged line is recognised from its bytes: not decoded, parsed or cleaned again.
          const key = lineKey(bytes);
          const seenBefore = known?.(key);
          if (seenBefore) {
            const a = acceptKnown(seenBefore, `${file}:${n}`);
            if (a) yield a;
            continue;
          }
          stats.parsedLines++;
          const part = parseJsonlLine(bytes, n, file);
          stats.problems.push(...part.problems);
          // A line of several articles keys each by its fields (one line key cannot name them all).
          if (part.articles.length !== 1) {
            for (const raw of part.articles) {
              const a = accept(raw, file);
              if (a) yield a;
            }
            continue;
          }
          const raw = part.articles[0]!;
          // An index built before line keys knows the line by its fields: recognised without cleaning, its key replaced.
          const old = known?.(fieldKey(raw));
          const a = old ? acceptKnown(old, `${file}:${n}`, key) : accept(raw, file, key);
          if (a) yield a;
        }
      }
      if (empty && !stats.unread.some((u) => u.path === file)) stats.problems.push({ source: file, message: 'empty' });
    } else {
      let buffer: Buffer;
      try {
        buffer = await readFile(file);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        stats.problems.push({ source: file, message: cannotRead(file, code) });
        stats.unread.push({ path: file, reason: `cannot read (${code})` });
        stats.filesDone++;
        continue;
      }
      stats.bytesDone += buffer.byteLength;
      const content = decode(buffer);
      if (typeof content !== 'string') {
        stats.problems.push({ source: file, message: content.error });
        stats.unread.push({ path: file, reason: content.error });
      } else if (!content.trim()) {
        stats.problems.push({ source: file, message: 'empty' });
      } else {
        const parsed = parseByExtension(content, file, ext);
        stats.problems.push(...parsed.problems);
        for (const raw of parsed.articles) {
          const a = accept(raw, file);
          if (a) yield a;
        }
      }
    }
    stats.filesDone++;
  }
}

/** A JSONL line's bytes (a view into the chunk it was read from) and its 1-based line number. */
interface RawLine {
  bytes: Buffer;
  n: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** One JSONL line's articles and problems, with its real line number; a line that is not UTF-8 is reported and skipped. */
function parseJsonlLine(bytes: Buffer, n: number, file: string): ParsedFile {
  let line: string;
  try {
    line = utf8.decode(bytes);
  } catch {
    return { articles: [], problems: [{ source: file, line: n, message: 'not valid UTF-8 text (re-save it as UTF-8)' }] };
  }
  if (!line.trim()) return { articles: [], problems: [] };
  const parsed = parseJsonl(line, file);
  const fix = <T extends { line?: number }>(x: T): T => ({ ...x, line: n });
  return { articles: parsed.articles.map(fix), problems: parsed.problems.map(fix) };
}

/**
 * The lines of a JSONL file as raw bytes, a read chunk's worth at a time: one await per chunk, not
 * per line (the per-line generator cost dominated an update's re-read).
 */
async function* jsonlLines(file: string, stats: StreamStats): AsyncGenerator<RawLine[]> {
  let n = 0;
  const line = (bytes: Buffer): RawLine => {
    stats.bytesDone += bytes.byteLength + 1;
    return { bytes, n: ++n };
  };
  // The start of a line longer than a chunk, in pieces joined once at its end (joining them chunk by
  // chunk copied the line again for every chunk: quadratic, 35 s to read one 200 MB line).
  let rest: Buffer[] = [];
  let first = true;
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      // JSON text never holds a raw NUL byte: a binary file (or UTF-16) is named once, not line by line.
      if (first && chunk.includes(0)) {
        stats.problems.push({ source: file, message: BINARY });
        stats.unread.push({ path: file, reason: BINARY });
        return;
      }
      first = false;
      const lines: RawLine[] = [];
      let start = 0;
      let nl = chunk.indexOf(10);
      if (rest.length) {
        if (nl < 0) {
          rest.push(chunk);
          continue;
        }
        lines.push(line(Buffer.concat([...rest, chunk.subarray(0, nl)])));
        rest = [];
        start = nl + 1;
        nl = chunk.indexOf(10, start);
      }
      for (; nl >= 0; nl = chunk.indexOf(10, start)) {
        lines.push(line(chunk.subarray(start, nl)));
        start = nl + 1;
      }
      // A view is enough: a read stream hands out a fresh buffer for each chunk.
      if (start < chunk.length) rest = [chunk.subarray(start)];
      if (lines.length) yield lines;
    }
    if (rest.length) yield [line(Buffer.concat(rest))];
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    stats.problems.push({ source: file, line: n || undefined, message: cannotRead(file, code) });
    // Its lines after the failure were not seen: the file counts as unread.
    stats.unread.push({ path: file, reason: `cannot read (${code})` });
  }
}

function parseByExtension(content: string, file: string, ext: string): ParsedFile {
  switch (ext) {
    case '.json':
      return parseJson(content, file);
    case '.csv':
      return parseCsvFile(content, file);
    case '.html':
    case '.htm':
      return parseHtml(content, file);
    default:
      return parseText(content, file, (line) => !isBoilerplate(line));
  }
}

function firstWords(text: string, max = 12): string {
  const words = text.split(/\s+/);
  return words.length <= max ? text : `${words.slice(0, max).join(' ')}…`;
}

/**
 * The corpus paths and files that cannot be read or decoded now, found by reading every file's bytes
 * without parsing or cleaning them (a fraction of a build's reading time): a full build checks them
 * before it rewrites anything, since a path it cannot read would lose the articles indexed from it.
 */
export async function unreadCorpusPaths(paths: readonly string[]): Promise<UnreadPath[]> {
  const unread: UnreadPath[] = [];
  const files = await listCorpusFiles(paths, [], unread);
  for (const file of files) {
    const ext = path.extname(file).toLowerCase();
    try {
      if (ext === '.jsonl' || ext === '.ndjson') {
        // Read through, as the build reads it (a line that is not UTF-8 is a problem of that line, not of the file).
        let binary = false;
        const stream = createReadStream(file, { highWaterMark: 1 << 20 });
        stream.once('data', (chunk) => {
          binary = (chunk as Buffer).includes(0);
        });
        await finished(stream.resume());
        if (binary) unread.push({ path: file, reason: BINARY });
        continue;
      }
      const content = decode(await readFile(file));
      if (typeof content !== 'string') unread.push({ path: file, reason: content.error });
    } catch (err) {
      unread.push({ path: file, reason: `cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` });
    }
  }
  return unread;
}

export function newStreamStats(): StreamStats {
  return { files: 0, filesDone: 0, bytesDone: 0, totalBytes: 0, duplicates: 0, excluded: 0, recognised: 0, parsedLines: 0, cleaned: 0, problems: [], unread: [] };
}

/**
 * Loads, cleans and de-duplicates every article under `paths` at once (the streaming reader,
 * collected): for tools and tests that want the whole corpus in memory. Bad files and records are
 * reported in `problems` (by file and line) and skipped; an unreadable date or an over-long text is
 * reported too, but the article is kept (undated, or truncated).
 */
export async function loadCorpus(paths: readonly string[], options: IngestOptions = {}): Promise<LoadResult> {
  const stats = newStreamStats();
  const articles: Article[] = [];
  for await (const item of streamCorpus(paths, stats, undefined, options)) if (item.kind === 'article') articles.push(item.article);
  return { articles, problems: stats.problems, files: stats.files, duplicates: stats.duplicates };
}
