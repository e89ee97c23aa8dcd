import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { IngestOptions } from '../ingest/load.js';
import { SUPPORTED_EXTENSIONS } from '../ingest/load.js';
import { incomingPath } from '../ingest/kept-sources.js';
import { loadCorpus } from '../ingest/stream.js';

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

/**
 * Downloads an attachment and checks it with the ingest loader (the same reading rules as a build):
 * a supported type, within the size limit (enforced while streaming, whatever Discord said), UTF-8
 * text, at least one readable article. A rejected file is deleted and explained; nothing is kept yet.
 */
export async function checkAttachment(file: IncomingFile, dataDir: string, limits: FileLimits, ingest: IngestOptions): Promise<CheckedFile | RejectedFile> {
  const reject = (error: string): RejectedFile => ({ ok: false, name: file.name, error });
  const ext = path.extname(file.name).toLowerCase();
  if (!SUPPORTED_EXTENSIONS.includes(ext)) {
    return reject(`unsupported type "${ext || 'no extension'}": send ${SUPPORTED_EXTENSIONS.join(' ')} files`);
  }
  const tooBig = (size: number): RejectedFile => reject(`too big: ${mb(size)}, the limit is ${mb(limits.maxBytes)} (SOURCES_MAX_FILE_MB)`);
  if (file.size > limits.maxBytes) return tooBig(file.size);

  const downloaded = await download(file.url, limits);
  if ('error' in downloaded) {
    return reject(downloaded.tooBig ? `too big: more than the limit of ${mb(limits.maxBytes)} (SOURCES_MAX_FILE_MB)` : downloaded.error);
  }
  const staged = await incomingPath(dataDir, file.name);
  await writeFile(staged, downloaded.body);
  let loaded: Awaited<ReturnType<typeof loadCorpus>>;
  try {
    loaded = await loadCorpus([staged], ingest);
  } catch (err) {
    await rm(staged, { force: true });
    return reject(`could not be read: ${(err as Error).message}`);
  }
  // Problems name the staged copy; the admin knows the file by its own name.
  const describe = (p: (typeof loaded.problems)[number]): string => `${p.line !== undefined ? `line ${p.line}: ` : ''}${p.message}`;
  if (loaded.articles.length === 0) {
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
  return { ok: true, name: file.name, staged, articleIds: loaded.articles.map((a) => a.id), notes };
}

type Downloaded = { body: Buffer } | { error: string; tooBig?: boolean };

/** Streams a URL into memory, stopping as soon as it exceeds the limit. */
async function download(url: string, limits: FileLimits): Promise<Downloaded> {
  if (!/^https?:\/\//i.test(url)) return { error: 'the attachment has no downloadable URL' };
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(limits.timeoutMs ?? 60_000) });
  } catch (err) {
    return { error: `could not be downloaded (${(err as Error).name === 'TimeoutError' ? 'timed out' : (err as Error).message}): try again` };
  }
  if (!res.ok || !res.body) return { error: `could not be downloaded (HTTP ${res.status}): try again` };
  const chunks: Buffer[] = [];
  let bytes = 0;
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      if (bytes > limits.maxBytes) {
        await reader.cancel();
        return { error: 'too big', tooBig: true };
      }
      chunks.push(Buffer.from(value));
    }
  } catch (err) {
    return { error: `the download broke off (${(err as Error).message}): try again` };
  }
  return { body: Buffer.concat(chunks) };
}
