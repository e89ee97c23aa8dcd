import { randomBytes } from 'node:crypto';
import { link, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { makeFolder } from '../storage/make-folder.js';

/*
 * Sources added and removed from chat (`/sources add`, `/sources remove`), kept in the data folder
 * so that every build — the bot's /reindex, `npm run index`, the first build — sees them:
 *
 *   DATA_DIR/sources/                  files added from chat, read after CORPUS_PATHS (never overwritten)
 *   DATA_DIR/sources/.incoming/        downloads being checked (hidden: builds skip it)
 *   DATA_DIR/removed-articles.json     articles removed by an admin, by id: builds leave them out
 *
 * A removal is a list entry rather than an edit of the corpus, because the article may live in a
 * read-only corpus file (CORPUS_PATHS) shared with other articles. Adding the same article again
 * from chat takes it off the list.
 */

export const KEPT_SOURCES = 'sources';
export const REMOVALS_FILE = 'removed-articles.json';
const INCOMING = '.incoming';

export interface RemovedArticle {
  id: string;
  title: string;
  outlet?: string;
  url?: string;
  /** ISO time, and who removed it (a Discord user id, or another actor's name). */
  at: string;
  by: string;
}

const removalsSchema = z.array(
  z.object({ id: z.string().min(1), title: z.string(), outlet: z.string().optional(), url: z.string().optional(), at: z.string(), by: z.string() }),
);

/** The removal list cannot be read: building without it would bring removed articles back. */
export class RemovalsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RemovalsError';
  }
}

export const keptSourcesDir = (dataDir: string): string => path.join(dataDir, KEPT_SOURCES);
export const removalsFile = (dataDir: string): string => path.join(dataDir, REMOVALS_FILE);

/** What a build reads: the configured corpus plus the files kept from chat, and the removed articles' ids. */
export async function corpusInputs(paths: readonly string[], dataDir: string): Promise<{ corpus: string[]; exclude: Set<string> }> {
  const kept = keptSourcesDir(dataDir);
  const hasKept = await stat(kept).then((s) => s.isDirectory(), () => false);
  const removed = await readRemovals(dataDir);
  return { corpus: hasKept ? [...paths, kept] : [...paths], exclude: new Set(removed.map((r) => r.id)) };
}

/** How many files admins added from chat and how many articles they removed (for /status). */
export async function keptSummary(dataDir: string): Promise<{ files: number; removed: number }> {
  const files = await readdir(keptSourcesDir(dataDir)).then(
    (names) => names.filter((n) => !n.startsWith('.')).length,
    () => 0,
  );
  const removed = await readRemovals(dataDir).then(
    (list) => list.length,
    () => 0,
  );
  return { files, removed };
}

export async function readRemovals(dataDir: string): Promise<RemovedArticle[]> {
  const file = removalsFile(dataDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    // DATA_DIR (or a folder above it) is a file: say which setting to fix, not a code on a path that cannot exist.
    if (code === 'ENOTDIR') throw new RemovalsError(`DATA_DIR ${dataDir} is not a folder (a file is in its place): set DATA_DIR to a folder, where the bot keeps its state and the sources added from chat.`);
    throw new RemovalsError(`Cannot read ${file}: ${code ?? (err as Error).message}.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new RemovalsError(`${file} is not valid JSON: fix it (a JSON array of removed articles) or delete it to bring every removed article back.`);
  }
  const checked = removalsSchema.safeParse(parsed);
  if (!checked.success) {
    throw new RemovalsError(`${file} is not a list of removed articles ({"id", "title", "at", "by"}): fix it or delete it to bring every removed article back.`);
  }
  return checked.data;
}

/** Written whole to a temporary file and renamed over the list, so a crash never leaves half of it. */
async function writeRemovals(dataDir: string, list: readonly RemovedArticle[]): Promise<void> {
  await makeFolder(dataDir, 'set DATA_DIR to a writable folder');
  const file = removalsFile(dataDir);
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, `${JSON.stringify(list, null, 2)}\n`);
  await rename(tmp, file);
}

/** Adds an article to the removal list (once). */
export async function addRemoval(dataDir: string, entry: RemovedArticle): Promise<void> {
  const list = await readRemovals(dataDir);
  if (list.some((r) => r.id === entry.id)) return;
  await writeRemovals(dataDir, [...list, entry]);
}

/** Takes articles off the removal list; returns those that were on it. */
export async function forgetRemovals(dataDir: string, ids: Iterable<string>): Promise<RemovedArticle[]> {
  const drop = new Set(ids);
  const list = await readRemovals(dataDir);
  const forgotten = list.filter((r) => drop.has(r.id));
  if (forgotten.length) await writeRemovals(dataDir, list.filter((r) => !drop.has(r.id)));
  return forgotten;
}

/** A file name safe on every filesystem, keeping its extension; never hidden (builds skip hidden files). */
export function safeFileName(name: string): string {
  const base = path.basename(name.replace(/\\/g, '/'));
  const ext = path.extname(base).toLowerCase().replace(/[^.a-z0-9]/g, '');
  const stem = base
    .slice(0, base.length - path.extname(base).length)
    .normalize('NFKD')
    .replace(/[^\w.-]+/g, '_')
    .replace(/^[._-]+/, '')
    .slice(0, 80);
  return `${stem || 'file'}${ext}`;
}

/** A fresh path for a download being checked (in the hidden incoming folder). */
export async function incomingPath(dataDir: string, name: string): Promise<string> {
  const dir = path.join(keptSourcesDir(dataDir), INCOMING);
  await makeFolder(dir, 'set DATA_DIR to a writable folder');
  return path.join(dir, `${randomBytes(6).toString('hex')}-${safeFileName(name)}`);
}

/**
 * Moves a checked download into the kept folder under a new name that sorts after the files kept
 * before it (so their copies of an article stay the indexed ones). A name already taken is never
 * overwritten: link() fails on it and the next suffix is tried.
 */
export async function keepFile(dataDir: string, staged: string, name: string, now = new Date()): Promise<string> {
  const dir = keptSourcesDir(dataDir);
  await makeFolder(dir, 'set DATA_DIR to a writable folder');
  const stamp = now.toISOString().replace(/[-:.]/g, '');
  const safe = safeFileName(name);
  for (let n = 1; ; n++) {
    const target = path.join(dir, `${stamp}-${String(n).padStart(3, '0')}-${safe}`);
    try {
      await link(staged, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
    await rm(staged, { force: true });
    return target;
  }
}

/**
 * Deletes downloads left in the incoming folder by a bot that stopped mid-check (older than
 * `maxAgeMs`, so another shard's check in progress is left alone). Returns how many were deleted.
 */
export async function removeStaleIncoming(dataDir: string, maxAgeMs = 3_600_000, now = Date.now()): Promise<number> {
  const dir = path.join(keptSourcesDir(dataDir), INCOMING);
  const names = await readdir(dir).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names) {
    const file = path.join(dir, name);
    const info = await stat(file).catch(() => undefined);
    if (info && now - info.mtimeMs > maxAgeMs) {
      await rm(file, { force: true });
      removed++;
    }
  }
  return removed;
}
