import { accessSync, constants, existsSync, statfsSync, statSync } from 'node:fs';
import path from 'node:path';
import { commandLine } from '../command-line.js';

/** An index that cannot be used as it is; the message names the fix. */
export class IndexError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IndexError';
  }
}

/**
 * A vector file whose bytes differ from those its commit recorded. Here rather than in vectors.ts so
 * the bot's main thread can revive it from a search worker without loading hnswlib.
 */
export class VectorChecksumError extends IndexError {
  constructor(message: string) {
    super(message);
    this.name = 'VectorChecksumError';
  }
}

/** There is no index at all yet (as opposed to a damaged one): the only case that may be built on first use. */
export class MissingIndexError extends IndexError {
  constructor(message: string) {
    super(message);
    this.name = 'MissingIndexError';
  }
}

/** An index written by an older version (a format this one no longer reads): `npm run index` builds it anew. */
export class OldFormatError extends IndexError {
  constructor(
    message: string,
    readonly format: number,
  ) {
    super(message);
    this.name = 'OldFormatError';
  }
}

/** A path as one shell word (quoted when it has spaces or quotes). */
export const shellWord = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/**
 * The command that rebuilds the index in `dir`, which it always names: run as printed, it must rebuild
 * the damaged index, not the default folder (INDEX_DIR, else embeddings/).
 */
export function rebuildHint(dir: string): string {
  return `rebuild it with \`${commandLine('index', `--rebuild --out ${shellWord(dir)}`)}\``;
}

/** Another build holds the writer lock (a file lock, or PostgreSQL's advisory lock): nothing is wrong, it is busy. */
export class IndexBusyError extends IndexError {
  constructor(message: string) {
    super(message);
    this.name = 'IndexBusyError';
  }
}

/** The index folder or its files cannot be written (or read) by this user, or the folder is a file: not damage. */
export class AccessError extends IndexError {
  constructor(message: string) {
    super(message);
    this.name = 'AccessError';
  }
}

/** This process's user, for permission messages (its uid where the platform has one). */
function thisUser(): string {
  const uid = process.getuid?.();
  return uid === undefined ? 'This user' : `This user (uid ${uid})`;
}

/** Who owns `p`, as a clause for permission messages ("" when it cannot be told). */
function ownedBy(p: string): string {
  try {
    return ` (owned by uid ${statSync(p).uid})`;
  } catch {
    return '';
  }
}

const allowed = (p: string, mode: number): boolean => {
  try {
    accessSync(p, mode);
    return true;
  } catch {
    return false;
  }
};

/** The nearest existing ancestor of `p` (itself included), when it is a file rather than a folder. */
function fileOnTheWay(p: string): string | undefined {
  for (let at = path.resolve(p); ; at = path.dirname(at)) {
    try {
      return statSync(at).isDirectory() ? undefined : at;
    } catch {
      if (path.dirname(at) === at) return undefined;
    }
  }
}

/** Free bytes (for this user) on the file system holding `p` or its nearest existing ancestor; undefined when it cannot be told. */
export function freeBytes(p: string): number | undefined {
  for (let at = path.resolve(p); ; at = path.dirname(at)) {
    try {
      const fs = statfsSync(at);
      return fs.bavail * fs.bsize;
    } catch {
      if (path.dirname(at) === at) return undefined;
    }
  }
}

/** Below this, an I/O error from SQLite is taken for a full disk (it needs room for its WAL and shared-memory files). */
const NEARLY_FULL = 1 << 20;

/**
 * A full disk under the index folder, as one line: ENOSPC, EDQUOT or SQLite's SQLITE_FULL, or an I/O
 * error while the disk has no room left (a reader cannot create SQLite's shared-memory file). Not
 * damage: rebuilding would not help.
 */
function diskFull(dir: string, code: string, err: unknown, write: boolean): AccessError | undefined {
  const full = code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL';
  if (!full && !(code.startsWith('SQLITE_IOERR') || code === 'EIO')) return undefined;
  const free = freeBytes(dir);
  if (!full && (free === undefined || free >= NEARLY_FULL)) return undefined;
  const detail = `${(err as Error).message}${free === undefined ? '' : `; ${(free / 2 ** 20).toFixed(1)} MB free`}`;
  return new AccessError(
    write
      ? `The disk holding the index folder ${dir} is full (${detail}): free space there, or build the index on another disk (--out). The previous index is unchanged.`
      : `The disk holding the index folder ${dir} is full (${detail}): free space there (SQLite needs a little room beside the index even to read it).`,
  );
}

/**
 * A permission or path problem with the index folder `dir` (a file system or SQLite error), as the
 * one-line error naming the folder, what is missing and the fix; undefined for any other error.
 * `write`: the caller was writing (a build), not only reading; `file`: the database it opened.
 */
export function accessProblem(dir: string, err: unknown, options: { write?: boolean; file?: string } = {}): AccessError | undefined {
  if (err instanceof IndexError) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return undefined;
  const { write = false } = options;
  const full = diskFull(dir, code, err, write);
  if (full) return full;
  if (code === 'ENOTDIR' || code === 'EEXIST') {
    const file = fileOnTheWay(dir);
    return file ? new AccessError(`${dir} cannot be an index folder: ${file} is a file. Name a folder for the index (--out / --index, or INDEX_DIR).`) : undefined;
  }
  if (code === 'EROFS' || (code.startsWith('SQLITE_') && /read-only file ?system/i.test((err as Error).message))) {
    const fix = write ? 'build the index in a writable folder (--out)' : 'mount it read-write (SQLite writes a shared-memory file beside the index even to read it)';
    return new AccessError(`The index folder ${dir} is on a read-only file system: ${fix}.`);
  }
  if (!(code === 'EACCES' || code === 'EPERM' || code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_PERM')) return undefined;
  if (existsSync(dir) && !allowed(dir, constants.W_OK | constants.X_OK)) {
    const what = allowed(dir, constants.R_OK | constants.X_OK) ? 'write to' : 'read or write';
    const why = write ? ' to build or update the index there' : ', which SQLite needs even to read the index (it creates a shared-memory file beside it)';
    return new AccessError(`${thisUser()} may not ${what} the index folder ${dir}${ownedBy(dir)}${why}: give it write permission (chown, or chmod u+rwx) or run as the folder's owner.`);
  }
  const target = (err as { path?: unknown }).path;
  const where = typeof target === 'string' ? target : (options.file ?? dir);
  // SQLite's complaint about a file this user may open is not about permission: left to damaged().
  if (code.startsWith('SQLITE_') && (!existsSync(where) || allowed(where, constants.R_OK | (write ? constants.W_OK : 0)))) return undefined;
  return new AccessError(`${thisUser()} may not ${write ? 'write' : 'read'} ${where}${ownedBy(where)}: give it read and write permission on the files of ${dir} (chown, or chmod u+rw) or run as their owner.`);
}
