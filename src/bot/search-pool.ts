import { EventEmitter } from 'node:events';
import type { MessagePort, TransferListItem, Worker } from 'node:worker_threads';
import { connectModelThread } from '../embed/model-thread.js';
import { startWorker } from '../thread.js';
import { AccessError, IndexBusyError, IndexError, MissingIndexError, OldFormatError, VectorChecksumError } from '../storage/errors.js';
import { DatabaseUnavailableError } from '../storage/postgres/sql.js';
import type { OutletCount } from '../storage/backend.js';
import type { Answer, IndexStatus, SearchOptions } from '../types.js';
import type { AnswerService, ArticleList, SearchConfig } from './answer-service.js';

/** What a worker is started with (structured-cloned into it). */
export interface WorkerSetup {
  dir: string;
  /** The core settings (store, model, …) plus the model the user named, if any. */
  settings: SearchConfig;
  /** Where its embedding model runs: the process's model thread (see embed/model-thread.ts). */
  modelPort: MessagePort;
}

export type PoolRequest =
  | { id: number; op: 'ask'; question: string; options: SearchOptions }
  | { id: number; op: 'status' }
  | { id: number; op: 'list'; query: string; offset: number; limit: number }
  | { id: number; op: 'outlets'; prefix: string; limit: number }
  | { id: number; op: 'reopen' }
  | { id: number; op: 'load-model' };

/** A request without its id (distributes over the union). */
type Body = PoolRequest extends infer R ? (R extends PoolRequest ? Omit<R, 'id'> : never) : never;

export type WorkerReply =
  | { type: 'opened'; status: IndexStatus }
  | { type: 'open-failed'; error: SerializedError }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: SerializedError }
  /** Something the worker's index says once (onNotice), e.g. its vector file failed the background check. */
  | { type: 'notice'; message: string };

interface SerializedError {
  name: string;
  message: string;
}

export interface SearchPoolOptions {
  /** The index folder and how to open it, passed to every worker. */
  dir: string;
  /** The core settings (store, model, …) plus the model the user named, if any. */
  settings: SearchConfig;
  /** Worker threads, each with its own opened index (default: the machine's cores). */
  workers: number;
  /** Requests waiting beyond this many are refused with PoolBusyError instead of queueing. */
  maxQueue?: number;
}

/** The queue is full: the bot tells the user to try again shortly. */
export class PoolBusyError extends Error {
  constructor(waiting: number) {
    super(`${waiting} searches are already waiting`);
    this.name = 'PoolBusyError';
  }
}

/** Errors cross the thread boundary by name and message; index errors keep their class for callers. */
function revive(e: SerializedError): Error {
  if (e.name === 'MissingIndexError') return new MissingIndexError(e.message);
  if (e.name === 'IndexError') return new IndexError(e.message);
  if (e.name === 'VectorChecksumError') return new VectorChecksumError(e.message);
  // Its format number does not cross (only name and message do): the message says it.
  if (e.name === 'OldFormatError') return new OldFormatError(e.message, 0);
  if (e.name === 'IndexBusyError') return new IndexBusyError(e.message);
  if (e.name === 'AccessError') return new AccessError(e.message);
  if (e.name === 'DatabaseUnavailableError') return new DatabaseUnavailableError(e.message);
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}

function newWorker(setup: WorkerSetup, transferList: TransferListItem[]): Worker {
  return startWorker(new URL('./search-worker', import.meta.url), { workerData: setup, transferList });
}

interface Job {
  id: number;
  body: Body;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  /** Stops listening for its caller's abort (once a worker has it). */
  cleanup?: () => void;
}

interface Slot {
  worker: Worker;
  /** The request it is answering (one at a time: arrival order is kept across the pool). */
  job: Job | undefined;
  /** Out-of-band requests (reopen) by id. */
  side: Map<number, Job>;
  status: IndexStatus | undefined;
  /** No model load is pending or running in it (none asked for yet, or it has loaded or failed). */
  modelSettled: boolean;
  /** Loading its model: the thread is held for seconds, so requests go to the other workers meanwhile. */
  loadingModel: boolean;
}

/**
 * Searches off the bot's event loop: a pool of worker threads, each holding the index open
 * read-only. Requests wait in one FIFO queue and go to the next free worker, so in a burst users
 * are answered roughly in arrival order and the main thread stays free to acknowledge
 * interactions. The workers answer from keywords until `loadModels()` has loaded the embedding
 * model, one worker at a time. Events: 'models-settled' (IndexStatus) once every worker's
 * embedding model has loaded or failed (after `loadModels()` and after each reopen);
 * 'worker-exit' ({ code }) when a worker died and was replaced; 'worker-error' (Error); 'notice'
 * (string) for what an index says once (a failed background check of its vector file), once per
 * distinct message however many workers say it.
 */
export class SearchPool extends EventEmitter implements AnswerService {
  private slots: Slot[] = [];
  private queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  private reopening: Promise<IndexStatus> | undefined;
  /** `loadModels()` was called: a worker started later (a replacement) loads its model too. */
  private modelsWanted: Promise<void> | undefined;
  /** Model loads run one worker at a time, in this chain. */
  private loads: Promise<void> = Promise.resolve();
  /** Notices already emitted: every worker checks its own copy of the index and says the same. */
  private readonly noticed = new Set<string>();

  constructor(private readonly options: SearchPoolOptions) {
    super();
  }

  /** Starts the workers and resolves once every one has opened the index (rejects with the first failure). */
  async start(): Promise<IndexStatus> {
    const count = Math.max(1, this.options.workers);
    const started = await Promise.allSettled(Array.from({ length: count }, () => this.spawn()));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      // Not closed for good: the bot may build the missing index and start again.
      await this.terminateWorkers(new Error('the search pool could not start'));
      throw failed.reason;
    }
    return this.slots[0]!.status!;
  }

  get size(): number {
    return this.slots.length;
  }

  /** Requests waiting for a free worker. */
  get waiting(): number {
    return this.queue.length;
  }

  ask(question: string, options: SearchOptions): Promise<Answer> {
    return this.request({ op: 'ask', question, options }) as Promise<Answer>;
  }

  status(): Promise<IndexStatus> {
    return this.request({ op: 'status' }) as Promise<IndexStatus>;
  }

  listArticles(query: string, offset: number, limit: number, signal?: AbortSignal): Promise<ArticleList> {
    return this.request({ op: 'list', query, offset, limit }, signal) as Promise<ArticleList>;
  }

  listOutlets(prefix: string, limit: number): Promise<OutletCount[]> {
    return this.request({ op: 'outlets', prefix, limit }) as Promise<OutletCount[]>;
  }

  /**
   * After a reindex: each worker opens the new index and swaps it in, one worker at a time so the
   * others keep answering (from the old index) meanwhile. Rejects if a worker cannot open it; the
   * workers that did not swap keep the old index.
   */
  reopen(): Promise<IndexStatus> {
    if (this.slots.length === 0) return Promise.reject(new Error('the search pool has no workers (not started, or closed)'));
    this.reopening ??= (async () => {
      try {
        let status: IndexStatus | undefined;
        for (const slot of [...this.slots]) {
          status = (await this.side(slot, { op: 'reopen' })) as IndexStatus;
          slot.status = status;
          // A newly opened index loads its model (a refreshed one has it already: settled at once).
          if (this.modelsWanted) void this.loadModel(slot);
        }
        return status!;
      } finally {
        this.reopening = undefined;
      }
    })();
    return this.reopening;
  }

  /**
   * Gives every worker the embedding model, one worker at a time. The process's model thread loads
   * it once (a load holds a core for seconds) and the workers share it; until a worker has it, it
   * answers from keywords. The bot calls this once it is connected, so
   * start-up and the first answers do not compete with it. Resolves when every worker's model has
   * loaded or failed; later calls return the same promise.
   */
  loadModels(): Promise<void> {
    if (!this.modelsWanted) {
      // All marked first, so 'models-settled' waits for the last worker, not the first.
      const slots = [...this.slots];
      for (const slot of slots) slot.modelSettled = false;
      this.modelsWanted = Promise.all(slots.map((slot) => this.loadModel(slot))).then(() => undefined);
    }
    return this.modelsWanted;
  }

  private loadModel(slot: Slot): Promise<void> {
    slot.modelSettled = false;
    this.loads = this.loads.then(async () => {
      if (!this.slots.includes(slot)) return; // closed or replaced meanwhile: a replacement loads its own
      slot.loadingModel = true;
      try {
        slot.status = (await this.side(slot, { op: 'load-model' })) as IndexStatus;
      } catch {
        /* the worker stopped: its replacement loads the model again */
      } finally {
        slot.loadingModel = false;
      }
      slot.modelSettled = true;
      if (this.slots.every((s) => s.modelSettled)) this.emit('models-settled', slot.status);
      this.pump();
    });
    return this.loads;
  }

  /**
   * Resolves once every worker's embedding model has loaded or failed (or after `timeoutMs`); at once
   * when no load was asked for.
   * A shutdown right after start waits for this first, so a load under way ends before the process.
   */
  modelsSettled(timeoutMs: number): Promise<void> {
    if (this.slots.every((s) => s.modelSettled)) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref();
      this.once('models-settled', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.terminateWorkers(new Error('the search pool was closed'));
  }

  private async terminateWorkers(gone: Error): Promise<void> {
    for (const job of this.queue.splice(0)) job.reject(gone);
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate()));
    for (const s of slots) {
      s.job?.reject(gone);
      for (const j of s.side.values()) j.reject(gone);
    }
  }

  /**
   * Queues a request. When `signal` aborts before a worker takes it, it leaves the queue and rejects
   * with the signal's reason, so no worker spends time on an answer nobody waits for any more.
   */
  private request(body: Body, signal?: AbortSignal): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('the search pool was closed'));
    if (signal?.aborted) return Promise.reject(signal.reason);
    const max = this.options.maxQueue ?? Number.POSITIVE_INFINITY;
    if (this.queue.length >= max) return Promise.reject(new PoolBusyError(this.queue.length));
    return new Promise((resolve, reject) => {
      const job: Job = { id: this.nextId++, body, resolve, reject };
      if (signal) {
        const drop = (): void => {
          const at = this.queue.indexOf(job);
          if (at < 0) return;
          this.queue.splice(at, 1);
          this.dropped++;
          reject(signal.reason);
        };
        signal.addEventListener('abort', drop, { once: true });
        job.cleanup = () => signal.removeEventListener('abort', drop);
      }
      this.queue.push(job);
      this.pump();
    });
  }

  /** Requests dropped from the queue because their caller stopped waiting (for tests and logs). */
  dropped = 0;

  private side(slot: Slot, body: Body): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const job: Job = { id: this.nextId++, body, resolve, reject };
      slot.side.set(job.id, job);
      slot.worker.postMessage({ ...body, id: job.id } as PoolRequest);
    });
  }

  private pump(): void {
    // A worker loading its model takes requests only when every worker is (a pool of one).
    const skipLoading = this.slots.some((s) => !s.loadingModel);
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.job || !slot.status || (skipLoading && slot.loadingModel)) continue;
      const job = this.queue.shift()!;
      job.cleanup?.();
      slot.job = job;
      slot.worker.postMessage({ ...job.body, id: job.id } as PoolRequest);
    }
  }

  private spawn(): Promise<void> {
    const modelPort = connectModelThread();
    const setup: WorkerSetup = { dir: this.options.dir, settings: this.options.settings, modelPort };
    const worker = newWorker(setup, [modelPort]);
    const slot: Slot = { worker, job: undefined, side: new Map(), status: undefined, modelSettled: true, loadingModel: false };
    this.slots.push(slot);
    return new Promise<void>((resolveOpen, rejectOpen) => {
      let opened = false;
      worker.on('message', (msg: WorkerReply) => {
        if (msg.type === 'opened') {
          opened = true;
          slot.status = msg.status;
          resolveOpen();
          if (this.modelsWanted) void this.loadModel(slot);
          this.pump();
        } else if (msg.type === 'open-failed') {
          rejectOpen(revive(msg.error));
        } else if (msg.type === 'notice') {
          if (this.noticed.has(msg.message)) return;
          this.noticed.add(msg.message);
          this.emit('notice', msg.message);
        } else {
          const job = slot.job?.id === msg.id ? slot.job : slot.side.get(msg.id);
          if (!job) return;
          if (job === slot.job) slot.job = undefined;
          else slot.side.delete(msg.id);
          if (msg.type === 'result') job.resolve(msg.value);
          else job.reject(revive(msg.error));
          this.pump();
        }
      });
      worker.on('error', (err) => {
        if (!opened) rejectOpen(err);
        this.emit('worker-error', err);
      });
      worker.on('exit', (code) => {
        const index = this.slots.indexOf(slot);
        // Not in the pool any more: terminated on purpose (close, or a failed start).
        const expected = index < 0;
        if (!expected) this.slots.splice(index, 1);
        const lost = new Error(`a search worker stopped (exit code ${code}) while answering`);
        slot.job?.reject(lost);
        for (const j of slot.side.values()) j.reject(lost);
        if (!opened) rejectOpen(new Error(`a search worker stopped (exit code ${code}) before opening the index`));
        if (expected || this.closed || !opened) return;
        // A worker that dies is replaced, so the pool keeps its size; its request failed above.
        this.emit('worker-exit', { code });
        this.spawn().catch((err: unknown) => this.emit('worker-error', err));
      });
    });
  }
}
