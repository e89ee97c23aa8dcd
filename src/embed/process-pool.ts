/**
 * Embedding in several processes at once, for builds. One ONNX Runtime session with two threads
 * embeds barely faster than with one (its kernels parallelise poorly at these sizes), while two
 * processes with one thread each embed nearly twice as many passages per second on two cores
 * (BENCHMARKS.md, session 13). Processes, not worker threads: ONNX Runtime 1.14's Node binding keeps
 * per-thread state in process-wide statics (model-thread.ts says why one process has one model thread).
 * Each process holds its own copy of the model (~270 MB with bge-small int8).
 */
import type { ChildProcess } from 'node:child_process';
import os from 'node:os';
import { startProcess } from '../thread.js';
import type { Embedder, EmbedderSettings } from './embedder.js';
import type { ModelProfile } from './models.js';
import { type Reply, Replies } from './replies.js';

export type PoolRequest =
  | { id: number; op: 'load'; settings: EmbedderSettings }
  | { id: number; op: 'embed'; texts: string[]; query: boolean };

export type PoolReply = Reply;

/** How long a child may take to exit once its channel is closed (it may be mid-batch). */
const STOP_GRACE_MS = 5000;

/** EMBED_PROCESSES as a count: 0 means one per core, at most 4 (each holds a copy of the model). */
export function embedProcessCount(setting: number | undefined, cores = os.availableParallelism()): number {
  return setting && setting > 0 ? setting : Math.max(1, Math.min(4, cores));
}

/** One child and its requests in flight. */
class Child {
  private replies = new Replies();
  private gone: string | undefined;

  constructor(readonly proc: ChildProcess) {
    proc.on('message', (reply: PoolReply) => {
      this.replies.settle(reply);
      this.idle();
    });
    // SIGKILL is what the kernel sends when memory runs out: each process holds a copy of the model.
    proc.on('exit', (code, signal) =>
      this.fail(`an embedding process stopped (${signal ?? `exit code ${code}`})${signal === 'SIGKILL' ? '; if the machine ran out of memory, set EMBED_PROCESSES=1' : ''}`),
    );
    proc.on('error', (err) => this.fail(`an embedding process failed: ${err.message}`));
    this.idle();
  }

  get load(): number {
    return this.replies.size;
  }

  call<T>(body: { op: 'load'; settings: EmbedderSettings } | { op: 'embed'; texts: string[]; query: boolean }): Promise<T> {
    if (this.gone) return Promise.reject(new Error(this.gone));
    const { id, reply } = this.replies.expect<T>();
    // Waiting for a reply keeps the parent alive; an idle child never does.
    this.proc.ref();
    this.proc.channel?.ref();
    try {
      this.proc.send({ ...body, id } as PoolRequest);
    } catch (err) {
      this.replies.settle({ id, ok: false, error: (err as Error).message });
    }
    return reply;
  }

  private idle(): void {
    if (this.replies.size > 0) return;
    this.proc.unref();
    this.proc.channel?.unref();
  }

  private fail(reason: string): void {
    this.gone ??= reason;
    this.replies.failAll(() => new Error(this.gone));
  }

  /** Ends the child (it exits when its channel closes) and waits for it, killing it after a grace period. */
  async stop(): Promise<void> {
    this.gone ??= 'the embedding processes were stopped';
    const proc = this.proc;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    // Waiting for the exit keeps this process alive (an idle child is unref'd: see idle()).
    proc.ref();
    if (proc.connected) proc.disconnect();
    else proc.kill();
    const grace = setTimeout(() => proc.kill('SIGKILL'), STOP_GRACE_MS);
    grace.unref();
    await exited;
    clearTimeout(grace);
  }
}

/**
 * Starts `processes` children that each load the model with one thread, and returns an Embedder
 * whose calls go to the least busy one (`parallel` tells embedByLength how many batches to keep in
 * flight). Never throws for an unavailable model: returns the reason, as `loadEmbedder` does.
 */
export async function loadEmbedderProcesses(settings: EmbedderSettings, processes: number): Promise<{ embedder: Embedder } | { error: string }> {
  const children = Array.from({ length: processes }, () => new Child(startProcess(new URL('./embed-process', import.meta.url))));
  const stop = async (): Promise<void> => {
    await Promise.all(children.map((c) => c.stop()));
  };
  let info: { modelId: string; dim: number; profile: ModelProfile };
  try {
    // One thread each: the processes are the parallelism.
    const loaded = await Promise.all(children.map((c) => c.call<typeof info>({ op: 'load', settings: { ...settings, EMBED_THREADS: 1 } })));
    info = loaded[0]!;
  } catch (err) {
    await stop();
    return { error: (err as Error).message };
  }
  const leastBusy = (): Child => children.reduce((a, b) => (b.load < a.load ? b : a));
  return {
    embedder: {
      ...info,
      parallel: processes,
      embedPassages: (texts) => leastBusy().call<Float32Array[]>({ op: 'embed', texts, query: false }),
      embedQuery: async (text) => (await leastBusy().call<Float32Array[]>({ op: 'embed', texts: [text], query: true }))[0]!,
      dispose: stop,
    },
  };
}

/**
 * Passages this process embeds before more processes start. Starting them costs a second or two
 * and a copy of the model each; an update of a few articles (`/sources add`) is done long before
 * that pays, while a build past this many passages has minutes of embedding ahead.
 */
export const SCALE_OUT_AFTER = 512;

/**
 * An embedder that starts as `first` (this process's model) and, once more than `after` passages
 * have been asked for, starts the processes (`start`), waits for them (once: a second or two) and
 * hands them every later call, freeing `first` when its calls in flight are done. `parallel` grows
 * with it (embedByLength adds lanes). Processes that fail to start leave `first` in charge: slower,
 * never wrong.
 */
export function scaleOut(first: Embedder, start: () => Promise<{ embedder: Embedder } | { error: string }>, after = SCALE_OUT_AFTER): Embedder {
  let seen = 0;
  let inFlight = 0;
  let pool: Embedder | undefined;
  let starting: Promise<void> | undefined;
  let firstFreed: Promise<void> | undefined;
  const freeFirst = (): void => {
    if (pool && inFlight === 0) firstFreed ??= first.dispose();
  };
  const viaFirst = async <T>(call: () => Promise<T>): Promise<T> => {
    inFlight++;
    try {
      return await call();
    } finally {
      inFlight--;
      freeFirst();
    }
  };
  return {
    modelId: first.modelId,
    dim: first.dim,
    profile: first.profile,
    get parallel(): number {
      return pool?.parallel ?? first.parallel ?? 1;
    },
    embedPassages: async (texts) => {
      seen += texts.length;
      if (!pool && seen > after) {
        starting ??= start().then(
          (r) => {
            if ('embedder' in r) pool = r.embedder;
          },
          () => undefined,
        );
        await starting;
      }
      if (!pool) return viaFirst(() => first.embedPassages(texts));
      freeFirst();
      return pool.embedPassages(texts);
    },
    embedQuery: (text) => (pool ? pool.embedQuery(text) : viaFirst(() => first.embedQuery(text))),
    dispose: async () => {
      await starting;
      await Promise.all([pool?.dispose(), firstFreed ?? first.dispose()]);
    },
  };
}
