import { commandLine } from '../command-line.js';
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { IndexDatabase } from './database.js';
import { AccessError, accessProblem, IndexError, MissingIndexError, rebuildHint, shellWord } from './errors.js';
import { makeFolder } from './make-folder.js';
import { META } from './schema.js';

/**
 * The index folder (e.g. `embeddings/`), owned by this module:
 *
 *   current                    the name of the live database (replaced atomically by rename)
 *   index-<id>.db (-wal, -shm) one index: articles, passages, keyword segments, metadata
 *   index-<id>.g<N>.hnsw       its vectors at generation N (written before the commit that names it
 *                              and records its size and SHA-256: meta vectors_checksum)
 *   .index.lock                the writer lock (src/storage/lock.ts)
 *
 * An update changes the live database in one transaction; a full rebuild writes a new database and
 * moves `current` to it when it is complete.
 */
export const POINTER = 'current';
const DB_PATTERN = /^index-[0-9A-Za-z-]+\.db$/;

export function newDatabaseName(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `index-${stamp}-${randomBytes(3).toString('hex')}.db`;
}

export function vectorsFileName(dbName: string, generation: number): string {
  return `${dbName.replace(/\.db$/, '')}.g${generation}.hnsw`;
}

export interface ResolvedIndex {
  /** Path of the live database. */
  file: string;
  /** Set when `current` did not name a database there (what was wrong with it) and the newest complete database was used instead. */
  recovered?: string;
}

/** What the pointer file holds: a database name, or what is wrong with it. */
type Pointer =
  | { kind: 'name'; name: string }
  | { kind: 'missing' }
  | { kind: 'empty' }
  | { kind: 'folder' }
  | { kind: 'unreadable'; code: string }
  | { kind: 'other'; text: string; bytes: number; binary: boolean };

/** A pointer holds one name and a newline: reading more than this only ever shows garbage. */
const POINTER_READ_BYTES = 256;
/** Characters of a garbage pointer quoted in messages. */
const EXCERPT_CHARS = 40;

async function readPointerFile(dir: string, entries: readonly string[]): Promise<Pointer> {
  if (!entries.includes(POINTER)) return { kind: 'missing' };
  let data: Buffer;
  let bytes: number;
  try {
    const handle = await open(path.join(dir, POINTER), 'r');
    try {
      bytes = (await handle.stat()).size;
      const buffer = Buffer.alloc(Math.min(bytes, POINTER_READ_BYTES));
      data = buffer.subarray(0, (await handle.read(buffer, 0, buffer.length, 0)).bytesRead);
    } finally {
      await handle.close();
    }
  } catch (err) {
    const code = String((err as { code?: unknown }).code ?? (err as Error).message);
    return code === 'EISDIR' ? { kind: 'folder' } : { kind: 'unreadable', code };
  }
  const text = data.toString('utf8').trim();
  if (!text) return { kind: 'empty' };
  if (DB_PATTERN.test(text)) return { kind: 'name', name: text };
  // NUL or other control bytes (tab, newline and the like aside), or bytes that are not UTF-8: not text someone wrote.
  const binary = [...text].some((c) => {
    const code = c.codePointAt(0)!;
    return code < 0x09 || (code > 0x0d && code < 0x20) || code === 0xfffd;
  });
  return { kind: 'other', text, bytes, binary };
}

/** What is wrong with a pointer that names no database there, for messages ("<dir>/current was empty"). */
function pointerProblem(pointer: Pointer): string {
  switch (pointer.kind) {
    case 'missing':
      return 'was missing';
    case 'empty':
      return 'was empty';
    case 'folder':
      return 'is a folder, not a file';
    case 'unreadable':
      return `could not be read (${pointer.code})`;
    case 'name':
      return `named ${pointer.name}, which is missing`;
    case 'other': {
      if (pointer.binary) return `held ${pointer.bytes} bytes of binary data, not the name of an index database`;
      // Printable characters only, cut short: the file may hold anything.
      const shown = pointer.text.replace(/[^\x20-\x7e]/g, '?');
      const excerpt = shown.length > EXCERPT_CHARS ? `${shown.slice(0, EXCERPT_CHARS)}…` : shown;
      const size = pointer.bytes > POINTER_READ_BYTES || shown.length > EXCERPT_CHARS ? ` (${pointer.bytes} bytes)` : '';
      return `held ${JSON.stringify(excerpt)}${size}, not the name of an index database (index-….db)`;
    }
  }
}

/** Whether the folder holds an index in the old JSON format (build-* folders with store.json). */
async function hasJsonIndex(entries: string[]): Promise<boolean> {
  if (entries.includes('manifest.json') || entries.includes('store.json')) return true;
  return entries.some((e) => e.startsWith('build-'));
}

/**
 * Finds the live database of an index folder. Only a folder with no index of any kind is
 * "missing" (and may be built on first use); anything else that cannot be opened is an error
 * naming the fix, so a good index is never built over.
 */
export async function resolveIndex(dir: string): Promise<ResolvedIndex> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    // A folder this user may not list, or a file named as the folder, is not a missing index.
    throw accessProblem(dir, err) ?? new MissingIndexError(`No index found in ${dir}: build one with \`${commandLine('index')}\`.`);
  }
  const pointer = await readPointerFile(dir, entries);
  if (pointer.kind === 'name') {
    const file = path.join(dir, pointer.name);
    if (entries.includes(pointer.name)) return { file };
    const others = entries.filter((e) => DB_PATTERN.test(e));
    if (others.length === 0) throw new IndexError(`${dir}/${POINTER} names ${pointer.name}, which is missing: ${rebuildHint(dir)}.`);
  } else if (pointer.kind === 'other' && pointer.text.startsWith('build-')) {
    throw new IndexError(oldFormatMessage(dir));
  }
  // Otherwise not a name this version writes: recovery, rather than trusting it.
  const candidates = entries.filter((e) => DB_PATTERN.test(e));
  if (candidates.length === 0) {
    if (await hasJsonIndex(entries)) throw new IndexError(oldFormatMessage(dir));
    if (pointer.kind !== 'missing') throw new IndexError(`${dir}/${POINTER} ${pointerProblem(pointer)}, and ${dir} holds no index database: ${rebuildHint(dir)}.`);
    throw new MissingIndexError(`No index found in ${dir}: build one with \`${commandLine('index')}\`.`);
  }
  // `current` is missing, empty, unreadable, garbage or stale: use the newest complete database.
  let best: { file: string; updatedAt: string } | undefined;
  let incomplete = 0;
  for (const name of candidates) {
    const file = path.join(dir, name);
    try {
      const db = IndexDatabase.open(file, { readonly: true });
      const updatedAt = db.meta<string>(META.updatedAt) ?? '';
      db.close();
      if (!best || updatedAt > best.updatedAt) best = { file, updatedAt };
    } catch (err) {
      // Unreadable by this user: say so (every candidate would fail alike). Incomplete or damaged: not a candidate.
      if (err instanceof AccessError) throw err;
      if (completeFlag(file) === false) incomplete++;
    }
  }
  // No pointer and only databases a killed first build left (never completed, so never live): no index
  // yet, which the next build makes (removing them) and `ask` builds on first use, without --rebuild.
  if (!best && pointer.kind === 'missing' && incomplete === candidates.length) {
    throw new MissingIndexError(`No index found in ${dir} (a build was stopped before it completed): build one with \`${commandLine('index')}\`.`);
  }
  if (!best) throw new IndexError(`${dir} holds no complete index (${candidates.join(', ')}): ${rebuildHint(dir)}.`);
  const repair = pointer.kind === 'folder' ? `remove that folder, then the next \`${commandLine('index')}\` writes the pointer` : `the next \`${commandLine('index')}\` repairs the pointer`;
  return { file: best.file, recovered: `${dir}/${POINTER} ${pointerProblem(pointer)}; using the newest complete index, ${path.basename(best.file)} (${repair}).` };
}

export function oldFormatMessage(dir: string): string {
  return `${dir} holds an index in the old JSON format (build-* folders), which this version no longer reads: ${rebuildHint(dir).replace('rebuild it with', 'run')} to convert it.`;
}

/** Writes a file and flushes it, so a crash right after cannot leave it half-written. */
export async function writeDurable(file: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(file, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Flushes a file written by someone else (hnswlib) to disk. */
export async function fsyncFile(file: string): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes `name` the live database: the pointer is replaced by an atomic rename. */
export async function publishDatabase(dir: string, name: string): Promise<void> {
  await makeFolder(dir);
  const tmp = path.join(dir, `.${POINTER}-${randomBytes(3).toString('hex')}`);
  await writeDurable(tmp, `${name}\n`);
  try {
    await rename(tmp, path.join(dir, POINTER));
  } catch (err) {
    await rm(tmp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    // A folder named `current` (rename cannot replace it): readers fall back to the newest complete database meanwhile.
    if (code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST') {
      throw new IndexError(
        `${dir}/${POINTER} is a folder, not a file, so it cannot name the new index database: remove that folder and run \`${commandLine('index', `--out ${shellWord(dir)}`)}\` again (until then ask and the bot use the newest complete index there).`,
      );
    }
    throw err;
  }
}

/**
 * Removes what no reader can need any more: databases older than the live one and the one it
 * replaced (with their vectors), vector files of the live database other than the current and
 * previous generation, and staging files of interrupted builds. Call it holding the lock.
 */
export async function removeUnused(
  dir: string,
  live: string,
  previous: string | undefined,
  generation: number,
  options: { otherDatabases: boolean } = { otherDatabases: true },
): Promise<void> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  const liveBase = live.replace(/\.db$/, '');
  const previousBase = previous?.replace(/\.db$/, '');
  for (const entry of entries) {
    const full = path.join(dir, entry);
    if (entry.startsWith('.staging-') || entry.startsWith(`.${POINTER}-`)) {
      await rm(full, { recursive: true, force: true });
      continue;
    }
    const m = /^(index-[0-9A-Za-z-]+)(\.db(-wal|-shm)?|\.g(\d+)\.hnsw(\.tmp)?)$/.exec(entry);
    if (!m) continue;
    const base = m[1]!;
    if (base === liveBase) {
      const gen = m[4] === undefined ? undefined : Number(m[4]);
      // Keep the previous generation: a reader may be between reading the pointer and the file.
      if (gen !== undefined && (m[5] !== undefined || gen > generation || gen < generation - 1)) await rm(full, { force: true });
    } else if (options.otherDatabases && base !== previousBase) {
      await rm(full, { force: true });
    }
  }
}

export async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/**
 * Removes databases (and their files) that a killed full build left incomplete: they never had
 * `complete` set, so no reader ever used them. Call it holding the lock.
 */
export async function removeIncomplete(dir: string, keep: readonly string[]): Promise<void> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  for (const name of entries.filter((e) => DB_PATTERN.test(e) && !keep.includes(e))) {
    // Unreadable: not provably incomplete, so left alone.
    if (completeFlag(path.join(dir, name)) !== false) continue;
    const base = name.replace(/\.db$/, '');
    for (const e of entries) if (e === name || e.startsWith(`${name}-`) || (e.startsWith(`${base}.g`) && e.endsWith('.hnsw'))) await rm(path.join(dir, e), { force: true });
  }
}

/** Whether a database says it is complete; undefined when it cannot be read (damaged, or no metadata yet). */
function completeFlag(file: string): boolean | undefined {
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare("SELECT value FROM meta WHERE key = 'complete'").get() as { value: string } | undefined;
      return row?.value === 'true';
    } finally {
      db.close();
    }
  } catch {
    return undefined;
  }
}
