import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { IngestOptions } from '../ingest/load.js';
import { SUPPORTED_EXTENSIONS } from '../ingest/load.js';
import { incomingPath } from '../ingest/kept-sources.js';
import { startWorker } from '../thread.js';

/** An attachment of `/sources add`, as Discord describes it. */
export interface IncomingFile {
  name: string;
  url: string;
  /** Bytes, as Discord reports them (checked again while downloading). */
  size: number;
}

/** A file that passed the checks: downloaded into the incoming folder, with what ingest read from it. */
export interface CheckedFile {
  ok: true;
  name: string;
  staged: string;
  articleIds: string[];
  /** Records of the file that were skipped or kept with a problem, described for the admin. */
  notes: string[];
}

export interface RejectedFile {
  ok: false;
  name: string;
  error: string;
}

export interface FileLimits {
  maxBytes: number;
  /** Give up on a download after this long. */
  timeoutMs?: number;
}

const mb = (bytes: number): string => `${(bytes / 1_048_576).toFixed(1)} MB`;

/** What the check worker (check-worker.ts) is given, and what it answers. */
export interface CheckJob {
  file: string;
  ingest: IngestOptions;
}
export type CheckReply =
  | { ok: true; articleIds: string[]; problems: Array<{ line?: number; message: string; kept: boolean }>; duplicates: number }
  | { ok: false; message: string };

/** A check worker's heap may grow to this (reading a 10 MB HTML file peaks near 400 MB RSS): a bigger one fails the file, not the bot. */
const CHECK_HEAP_MB = 768;
/** Reading a 10 MB HTML file takes ~12 s on a busy 2-core machine; this is for a thread that never ends. */
const CHECK_TIMEOUT_MS = 600_000;

/**
 * Downloads an attachment and checks it with the ingest loader (the same reading rules as a build):
 * a supported type, within the size limit (enforced while streaming, whatever Discord said), UTF-8
 * text, at least one readable article. The download streams to disk and the file is read in a
 * worker thread, so neither holds the bot's event loop. A rejected file is deleted and explained;
 * nothing is kept yet.
 */
export async function checkAttachment(file: IncomingFile, dataDir: string, limits: FileLimits, ingest: IngestOptions): Promise<CheckedFile | RejectedFile> {
  const reject = (error: string): RejectedFile => ({ ok: false, name: file.name, error });
  const ext = path.extname(file.name).toLowerCase();
  if (!SUPPORTED_EXTENSIONS.includes(ext)) {
    return reject(`unsupported type "${ext || 'no extension'}": send ${SUPPORTED_EXTENSIONS.join(' ')} files`);
  }
  const tooBig = (size: number): RejectedFile => reject(`too big: ${mb(size)}, the limit is ${mb(limits.maxBytes)} (SOURCES_MAX_FILE_MB)`);
  if (file.size > limits.maxBytes) return tooBig(file.size);

  const staged = await incomingPath(dataDir, file.name);
  const downloaded = await download(file.url, staged, limits);
  if (downloaded) {
    await rm(staged, { force: true });
    return reject(downloaded.tooBig ? `too big: more than the limit of ${mb(limits.maxBytes)} (SOURCES_MAX_FILE_MB)` : downloaded.error);
  }
  const loaded = await readInWorker({ file: staged, ingest });
  if (!loaded.ok) {
    await rm(staged, { force: true });
    return reject(`could not be read: ${loaded.message}`);
  }
  // Problems name the staged copy; the admin knows the file by its own name.
  const describe = (p: { line?: number; message: string }): string => `${p.line !== undefined ? `line ${p.line}: ` : ''}${p.message}`;
  if (loaded.articleIds.length === 0) {
    await rm(staged, { force: true });
    const first = loaded.problems[0];
    return reject(`no readable article${first ? ` (${describe(first)})` : ''}`);
  }
  const skipped = loaded.problems.filter((p) => !p.kept);
  const kept = loaded.problems.filter((p) => p.kept);
  const notes: string[] = [];
  if (skipped.length) notes.push(`${skipped.length} record${skipped.length === 1 ? '' : 's'} skipped (first: ${describe(skipped[0]!)})`);
  if (kept.length) notes.push(`${kept.length} indexed with a problem (first: ${describe(kept[0]!)})`);
  if (loaded.duplicates) notes.push(`${loaded.duplicates} repeated within the file`);
  return { ok: true, name: file.name, staged, articleIds: loaded.articleIds, notes };
}

/** Reads a staged file in a worker thread with a bounded heap and time; a crash or an overrun is the file's failure. */
function readInWorker(job: CheckJob): Promise<CheckReply> {
  return new Promise((resolve) => {
    const worker = startWorker(new URL('./check-worker', import.meta.url), { workerData: job, resourceLimits: { maxOldGenerationSizeMb: CHECK_HEAP_MB } });
    let settled = false;
    const settle = (reply: CheckReply): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // The reader's heap (hundreds of MB for a big file) is returned before the caller goes on.
      void worker.terminate().finally(() => resolve(reply));
    };
    const timer = setTimeout(() => settle({ ok: false, message: `reading it took over ${CHECK_TIMEOUT_MS / 1000} s: split it into smaller files` }), CHECK_TIMEOUT_MS);
    worker.on('message', (reply: CheckReply) => settle(reply));
    worker.on('error', (err) => {
      const memory = (err as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
      settle({ ok: false, message: memory ? 'it needs too much memory to read: split it into smaller files' : err.message });
    });
    worker.on('exit', (code) => settle({ ok: false, message: `the reader stopped (exit code ${code})` }));
  });
}

type DownloadError = { error: string; tooBig?: boolean };

/** Streams a URL to `target` (private to the bot), stopping as soon as it exceeds the limit; undefined when done. */
async function download(url: string, target: string, limits: FileLimits): Promise<DownloadError | undefined> {
  if (!/^https?:\/\//i.test(url)) return { error: 'the attachment has no downloadable URL' };
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(limits.timeoutMs ?? 60_000) });
  } catch (err) {
    return { error: `could not be downloaded (${(err as Error).name === 'TimeoutError' ? 'timed out' : (err as Error).message}): try again` };
  }
  if (!res.ok || !res.body) return { error: `could not be downloaded (HTTP ${res.status}): try again` };
  let bytes = 0;
  let tooBig = false;
  const limit = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.byteLength;
      if (bytes > limits.maxBytes) {
        tooBig = true;
        return done(new Error('too big'));
      }
      done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), limit, createWriteStream(target, { mode: 0o600 }));
  } catch (err) {
    if (tooBig) return { error: 'too big', tooBig: true };
    return { error: `the download broke off (${(err as Error).message}): try again` };
  }
  return undefined;
}
