import { randomBytes } from 'node:crypto';
import { link, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { IndexBusyError } from './errors.js';
import { makeFolder } from './make-folder.js';

/** Locks held by this process (a pid in the lock file cannot tell two builds of one process apart). */
const held = new Set<string>();

export const LOCK_FILE = '.index.lock';

export interface LockOptions {
  /** The lock file's name in the folder (default LOCK_FILE: the index's writer lock). */
  file?: string;
  /** What holds it, for the busy message (default "index build"). */
  what?: string;
}

/**
 * Takes the writer lock of an index folder (or, with `options.file`, another lock in a folder), atomically: the pid is written to a private temp file
 * which is then hard-linked to the lock name, so the lock never exists without its content (a
 * racer can never read an empty lock and take it as stale). A lock whose process is gone is taken
 * over. Returns the release function; throws when a live process holds it.
 */
export async function acquireLock(dir: string, options: LockOptions = {}): Promise<() => Promise<void>> {
  const lock = path.join(dir, options.file ?? LOCK_FILE);
  const what = options.what ?? 'index build';
  const key = path.resolve(lock);
  if (held.has(key)) throw new IndexBusyError(`Another ${what} (this process) is writing ${dir}; wait for it to finish.`);
  held.add(key);
  const tmp = path.join(dir, `.lock-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await makeFolder(dir);
    await writeFile(tmp, `${process.pid}\n`);
    const release = async (): Promise<void> => {
      held.delete(key);
      await rm(lock, { force: true });
    };
    for (let attempt = 0, vanished = 0; attempt < 3; attempt++) {
      if (await tryLink(tmp, lock)) return once(release);
      const owner = await readPid(lock);
      // Released between our link and our read: try the link again (never take a lock over that is
      // not there: another process may link it meanwhile, and removing it would leave two holders).
      if (owner === undefined && (await lockGone(lock)) && ++vanished < 100) {
        attempt--;
        continue;
      }
      if (owner !== undefined && owner !== process.pid && isAlive(owner)) {
        throw new IndexBusyError(`Another ${what} (process ${owner}) is writing ${dir}; wait for it to finish and run the command again.`);
      }
      // The holder died without releasing it. Our own pid counts as dead (`held` says this process does
      // not hold it: a killed run had our pid, as every run in a container is PID 1). Taking a stale
      // lock over is itself done under a second lock, so two processes that both saw it stale cannot
      // both end up holding it.
      if (await takeOverStale(tmp, lock, owner)) return once(release);
    }
    // A lock contended past every retry: busy, not damage (callers that wait retry it; the bot says busy, not "rebuild").
    throw new IndexBusyError(`Could not lock ${dir} for writing; remove ${lock} if no index build is running.`);
  } catch (err) {
    held.delete(key);
    throw err;
  } finally {
    await rm(tmp, { force: true });
  }
}

/** The pid holding the lock of `dir`, if there is a lock with a readable pid. */
export function lockOwner(dir: string): Promise<number | undefined> {
  return readPid(path.join(dir, LOCK_FILE));
}

async function lockGone(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined)) === undefined;
}

async function tryLink(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return false;
  }
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done = false;
  return async () => {
    if (done) return;
    done = true;
    await fn();
  };
}

async function readPid(file: string): Promise<number | undefined> {
  const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

async function takeOverStale(tmp: string, lock: string, stale: number | undefined): Promise<boolean> {
  const steal = `${lock}.takeover`;
  if (!(await tryLink(tmp, steal))) {
    const holder = await readPid(steal);
    // A takeover whose process died is abandoned: clear it for the next attempt.
    if (holder === undefined || holder === process.pid || !isAlive(holder)) await rm(steal, { force: true });
    return false;
  }
  try {
    // Removed only while it still names the dead holder: under the takeover lock nobody else removes it.
    const now = await readPid(lock);
    if (now !== stale || (await lockGone(lock))) return false;
    await rm(lock, { force: true });
    return await tryLink(tmp, lock);
  } finally {
    await rm(steal, { force: true });
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
