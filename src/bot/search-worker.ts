/**
 * A search worker thread of the bot's SearchPool: opens the index read-only through
 * openIndexForSearch and answers one request at a time. `reopen` opens the new index while the
 * old one keeps answering, then swaps; the old one is closed once no request uses it. The
 * embedding model loads only on `load-model` (the pool asks once the bot is up), never at open.
 */
import { niceThisThread } from '../thread.js';
import { parentPort, workerData } from 'node:worker_threads';
import { useModelPort } from '../embed/model-thread.js';
import { isUnreachable } from '../storage/postgres/sql.js';
import { openIndexForSearch, type OpenedIndex, type SearchConfig } from './answer-service.js';
import type { PoolRequest, WorkerReply, WorkerSetup } from './search-pool.js';

const port = parentPort;
if (!port) throw new Error('search-worker.ts runs as a worker thread of the bot, not on its own.');
const setup = workerData as WorkerSetup;
// Models run in the process's model thread, never in this one (it may be ended and replaced).
useModelPort(setup.modelPort);
const settings: SearchConfig = setup.settings;

// An unreachable database crosses the thread boundary as such, so the bot can say "unavailable".
const errorOf = (err: unknown): { name: string; message: string } =>
  isUnreachable(err)
    ? { name: 'DatabaseUnavailableError', message: (err as Error).message }
    : err instanceof Error
      ? { name: err.name, message: err.message }
      : { name: 'Error', message: String(err) };

const post = (reply: WorkerReply): void => port.postMessage(reply);
/** What the index says once (a failed background check of its vector file): for the bot's log, via the pool. */
const notice = (message: string): void => post({ type: 'notice', message });

/**
 * Searches yield the CPU to the bot's main thread when both want it: in a burst the main thread must
 * acknowledge every interaction within Discord's 3 s and send the answers already found, and a
 * search can wait a few milliseconds. On Linux a nice value is per thread, so this lowers only this
 * worker (elsewhere it would lower the whole bot, so it is left alone there).
 */
const YIELD_TO_MAIN_THREAD = 5;
niceThisThread(YIELD_TO_MAIN_THREAD);

class Live {
  busy = 0;
  retired = false;
  constructor(readonly index: OpenedIndex) {}

  /** Runs a request on this index, and closes a retired index when its last request ends. */
  async use<T>(fn: (index: OpenedIndex) => T | Promise<T>): Promise<T> {
    this.busy++;
    try {
      return await fn(this.index);
    } finally {
      this.busy--;
      if (this.retired && this.busy === 0) void this.close();
    }
  }

  retire(): void {
    this.retired = true;
    if (this.busy === 0) void this.close();
  }

  private async close(): Promise<void> {
    try {
      await this.index.close?.();
    } catch {
      /* closing an old index must never break the live one */
    }
  }
}

let live: Live;

/**
 * A few searches on a freshly opened index before it takes requests: the first questions of a burst
 * would otherwise pay for compiling the search code and reading the index's pages from disk, and
 * every worker is cold, not only the one a single early question reaches. Titles of the index's
 * own articles make realistic questions for any corpus. Failures are ignored: the requests that
 * follow will report a real problem.
 */
async function warmUp(index: OpenedIndex): Promise<void> {
  try {
    const { items } = await index.listArticles('', 0, WARM_UP_QUESTIONS);
    for (const item of items) await index.ask(item.title, { k: 5 });
  } catch {
    /* nothing to warm */
  }
}
const WARM_UP_QUESTIONS = 8;

async function handle(req: PoolRequest): Promise<void> {
  try {
    let value: unknown;
    if (req.op === 'ask') value = await live.use((ix) => ix.ask(req.question, req.options));
    else if (req.op === 'status') value = await live.use((ix) => ix.status());
    else if (req.op === 'list') value = await live.use((ix) => ix.listArticles(req.query, req.offset, req.limit));
    else if (req.op === 'outlets') value = await live.use((ix) => ix.listOutlets(req.prefix, req.limit));
    else if (req.op === 'load-model') {
      value = await live.use(async (ix) => {
        await ix.ready();
        return ix.status();
      });
    } else if (live.index.refresh) {
      // The index updates in place: read only what changed (new segments, deletion marks, vectors).
      await live.index.refresh();
      value = live.index.status();
    } else {
      // Requests keep arriving and are answered from the old index while the new one opens.
      const next = new Live(await openIndexForSearch(setup.dir, settings, notice));
      await warmUp(next.index);
      const old = live;
      live = next;
      old.retire();
      value = next.index.status();
    }
    post({ type: 'result', id: req.id, value });
  } catch (err) {
    post({ type: 'error', id: req.id, error: errorOf(err) });
  }
}

try {
  live = new Live(await openIndexForSearch(setup.dir, settings, notice));
  await warmUp(live.index);
  port.on('message', (req: PoolRequest) => void handle(req));
  // The model loads when the pool asks (`load-model`), once the bot is up: not during start-up.
  post({ type: 'opened', status: live.index.status() });
} catch (err) {
  post({ type: 'open-failed', error: errorOf(err) });
}
