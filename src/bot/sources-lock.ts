import path from 'node:path';
import { IndexBusyError } from '../storage/errors.js';
import { acquireLock } from '../storage/lock.js';

/*
 * One change of the kept sources at a time (DATA_DIR/sources and removed-articles.json, see
 * ingest/kept-sources.ts): `/sources add` and `/sources remove` hold this lock from their first
 * change to the decision on their own update's result, and a /reindex build holds it while it runs.
 * Otherwise a build that starts after admin B's file was kept indexes it, B's own update then finds
 * nothing new and deletes B's file as "already indexed"; and two writers of the removal list lose
 * one another's entries. Shards are separate processes: the lock is a file in DATA_DIR (the index's
 * lock code: atomic, a dead holder's lock is taken over), behind a queue within this process.
 */

export const SOURCES_LOCK_FILE = '.sources.lock';
const WHAT = 'change of the sources from chat';

const queues = new Map<string, Promise<unknown>>();

export class SourcesBusyError extends IndexBusyError {
  constructor(message: string) {
    super(message);
    this.name = 'SourcesBusyError';
  }
}

/** Takes the lock at once, or throws IndexBusyError when another process holds it. */
export function lockSourcesNow(dataDir: string): Promise<() => Promise<void>> {
  return acquireLock(dataDir, { file: SOURCES_LOCK_FILE, what: WHAT });
}

/**
 * Runs `fn` holding the kept sources' lock, after the changes queued before it in this process and
 * once no other process holds it (polling every `pollMs`, for at most `waitMs`: then SourcesBusyError).
 * Not re-entrant: `fn` must not call it again.
 */
export async function withSourcesLock<T>(dataDir: string, fn: () => Promise<T>, options: { waitMs?: number; pollMs?: number } = {}): Promise<T> {
  const key = path.resolve(dataDir);
  const before = queues.get(key) ?? Promise.resolve();
  const mine = before.then(() => holding(dataDir, fn, options.waitMs ?? 15 * 60_000, options.pollMs ?? 100));
  // The next in line waits for this one to settle, whatever its outcome.
  const tail = mine.catch(() => undefined);
  queues.set(key, tail);
  try {
    return await mine;
  } finally {
    if (queues.get(key) === tail) queues.delete(key);
  }
}

async function holding<T>(dataDir: string, fn: () => Promise<T>, waitMs: number, pollMs: number): Promise<T> {
  const deadline = Date.now() + waitMs;
  let release: () => Promise<void>;
  for (;;) {
    try {
      release = await lockSourcesNow(dataDir);
      break;
    } catch (err) {
      if (!(err instanceof IndexBusyError)) throw err;
      if (Date.now() > deadline) throw new SourcesBusyError(`${err.message} (waited ${Math.round(waitMs / 1000)} s)`);
      // A little jitter, so waiting shards do not retry in lockstep.
      await new Promise((resolve) => setTimeout(resolve, pollMs * (0.5 + Math.random())));
    }
  }
  try {
    return await fn();
  } finally {
    await release();
  }
}
